/**
 * Templates and patterns in a campaign document, through the public surface: placeholders where no
 * escaping is safe and patterns that backtrack catastrophically are refused when the document is
 * saved, with their paths; a visitor attribute rendered into a URL attribute can never be javascript:.
 */
import { describe, expect, it } from 'vitest';
import { page, putConfig } from '../test/helpers.ts';

const campaign = (variant: Record<string, unknown>, slot: Record<string, unknown> = {}) => ({
  id: 'c',
  slot: { selector: '#hero', action: 'replace', ...slot },
  variants: [{ id: 'v', ...variant }],
});

async function problemsOf(doc: unknown): Promise<string[]> {
  const res = await putConfig(doc);
  expect(res.status).toBe(400);
  return ((await res.json()) as { problems: string[] }).problems;
}

describe('templates in unsafe contexts', () => {
  it('are refused on save, each with its path', async () => {
    const problems = await problemsOf({
      version: 1,
      campaigns: [
        campaign({ html: '<a onclick="go({{ utm_source }})">x</a>' }),
        { ...campaign({ html: '<div style="color: {{ utm_medium }}">x</div>' }), id: 'd' },
        { ...campaign({ html: '<script>var s = "{{ path }}"</script>' }), id: 'e' },
        { ...campaign({ html: '<iframe srcdoc="{{ referrer }}"></iframe>' }), id: 'f' },
        {
          ...campaign({ value: '{{ utm_source }}' }, { action: 'setAttribute', name: 'onmouseover' }),
          id: 'g',
        },
      ],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^campaigns\.0\.variants\.0\.html: .*event handler/),
        expect.stringMatching(/^campaigns\.1\.variants\.0\.html: .*style/),
        expect.stringMatching(/^campaigns\.2\.variants\.0\.html: .*script/),
        expect.stringMatching(/^campaigns\.3\.variants\.0\.html: .*srcdoc/),
        expect.stringMatching(/^campaigns\.4\.variants\.0\.value: /),
      ]),
    );
  });
});

describe('URL attributes', () => {
  it('render only http(s) and relative URLs from visitor attributes', async () => {
    expect(
      (
        await putConfig({
          version: 1,
          campaigns: [
            campaign({
              html: '<a id="l" href="{{ utm_source }}">go</a><a id="s" href="/search?q={{ utm_source }}">s</a>',
            }),
          ],
        })
      ).status,
    ).toBe(200);
    for (const [source, kept] of [
      ['javascript:alert(1)', false],
      ['JaVaScRiPt:alert(1)', false],
      ['java\tscript:alert(1)', false],
      ['data:text/html,<script>alert(1)</script>', false],
      ['https://partner.example/x', true],
    ] as const) {
      const html = await (await page(`/page?utm_source=${encodeURIComponent(source)}`)).text();
      const href = /<a id="l" href="([^"]*)"/.exec(html)?.[1];
      if (kept) expect(href).toBe(source);
      else expect(href).toBe('');
      // a value is escaped before it reaches the attribute, so an entity in it stays text (a relative URL)
      if (source.startsWith('java')) expect(html).not.toMatch(/href="javascript:/i);
      // after a fixed relative prefix the value stays inside the path, escaped
      expect(html).toMatch(/<a id="s" href="\/search\?q=[^"]*">/);
      expect(html).not.toContain('<script>alert(1)');
    }
  });
});

describe('regular expressions', () => {
  it('that can backtrack catastrophically are refused in targeting and category rules', async () => {
    const problems = await problemsOf({
      version: 1,
      settings: { categoryRules: [{ pattern: '^(a+)+$', category: 'x' }] },
      campaigns: [{ ...campaign({ html: 'x' }), targeting: { path: { $regex: '(\\w+\\s?)*$' } } }],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^settings\.categoryRules\.0\.pattern: /),
        expect.stringMatching(/^campaigns\.0\.targeting/),
      ]),
    );
  });

  it('that are ordinary are accepted and still match', async () => {
    expect(
      (
        await putConfig({
          version: 1,
          settings: { categoryRules: [{ pattern: '^/c/(shoes|boots)', category: 'shoes' }] },
          campaigns: [
            { ...campaign({ html: '<b>on a category page</b>' }), targeting: { path: { $regex: '^/c/' } } },
          ],
        })
      ).status,
    ).toBe(200);
    expect(await (await page('/c/shoes')).text()).toContain('<b>on a category page</b>');
  });
});

describe('an entity in a visitor value', () => {
  it('stays text: the browser reads the escaped value as a relative URL, never as a scheme', async () => {
    await putConfig({
      version: 1,
      campaigns: [campaign({ html: '<a id="l" href="{{ utm_source }}">go</a>' })],
    });
    const html = await (
      await page(`/page?utm_source=${encodeURIComponent('&#106;avascript:alert(1)')}`)
    ).text();
    expect(/<a id="l" href="([^"]*)"/.exec(html)?.[1]).toBe('&amp;#106;avascript:alert(1)');
  });
});

describe('slots that select raw-text elements', () => {
  it('are marked but never written into: inside <script> or <style> escaping protects nothing', async () => {
    expect(
      (
        await putConfig({
          version: 1,
          campaigns: [
            {
              id: 's1',
              slot: { selector: 'script#data', action: 'replace' },
              variants: [{ id: 'v', html: 'alert({{ utm_source }})' }],
            },
            {
              id: 's2',
              slot: { selector: 'style#st', action: 'append' },
              variants: [{ id: 'v', html: 'p{}{{ utm_source }}' }],
            },
          ],
        })
      ).status,
    ).toBe(200);
    const html = await (await page('/inline-data?utm_source=x')).text();
    expect(html).toContain('window.cfg = {"a": 1}</script>');
    expect(html).toContain('p{color:red}</style>');
    expect(html).not.toContain('alert(');
    expect(html).toContain('data-hio-campaign="s1"');
  });
});
