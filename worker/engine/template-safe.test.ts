/**
 * @module template-safe.test
 * A visitor attribute rendered into a URL attribute is an http(s) or relative URL or nothing, judged
 * on the value the browser will decode (fixed text included); escaping still happens everywhere.
 */
import { describe, expect, it } from 'vitest';
import { parseTemplate } from './template.ts';
import {
  compileSafeAttribute,
  compileSafeTemplate,
  decodeAttributeValue,
  isSafeUrlValue,
  renderSafe,
  type SafeTemplate,
  sanitizeUrl,
} from './template-safe.ts';

function compiled(src: string): SafeTemplate {
  const r = compileSafeTemplate(src);
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.template;
}

const render = (src: string, attrs: Record<string, unknown>): string => renderSafe(compiled(src), attrs);

const DANGEROUS = [
  'javascript:alert(1)',
  'JavaScript:alert(1)',
  ' javascript:alert(1)',
  '\u0001javascript:alert(1)',
  'java\tscript:alert(1)',
  'java\nscript:alert(1)',
  'java\rscript:alert(1)',
  'javascript\t:alert(1)',
  'vbscript:msgbox(1)',
  'data:text/html,<script>alert(1)</script>',
  'DATA:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
  'file:///etc/passwd',
  'blob:https://x/1',
  'mailto:a@b',
  '//evil.example/',
  '/\\evil.example/',
  '\\\\evil.example/',
  ' //evil.example/',
];

describe('sanitizeUrl', () => {
  const kept = [
    'https://shop.example/c/shoes',
    'HTTP://shop.example',
    '/c/shoes?x=1#top',
    'c/shoes',
    './a',
    '../a',
    '#anchor',
    '?q=1',
    '',
    'http:relative-looking',
    '/javascript:alert(1)',
    '?javascript:alert(1)',
    '#javascript:alert(1)',
    'ｊavascript:alert(1)',
  ];
  for (const url of kept) it(`keeps ${JSON.stringify(url)}`, () => expect(sanitizeUrl(url)).toBe(url));
  for (const url of DANGEROUS) it(`drops ${JSON.stringify(url)}`, () => expect(sanitizeUrl(url)).toBe(''));
});

describe('decodeAttributeValue', () => {
  it('decodes what the browser decodes in an attribute', () => {
    expect(decodeAttributeValue('&#106;&#x61;&#X76;a&#115cript&colon;x')).toBe('javascript:x');
    expect(decodeAttributeValue('a&Tab;b&NewLine;c')).toBe('a\tb\nc');
    expect(decodeAttributeValue('&amp;&lt;&gt;&quot;&#39;')).toBe('&<>"\'');
    // legacy references without `;` decode, except before `=` or an alphanumeric
    expect(decodeAttributeValue('?a=1&amp=2&ampx&amp')).toBe('?a=1&amp=2&ampx&');
    expect(decodeAttributeValue('&#0;&#x110000;&#xD800;&#128;')).toBe('\uFFFD'.repeat(4));
  });

  const obfuscated = [
    '&#106;avascript:alert(1)',
    '&#x6A;avascript:alert(1)',
    '&#0000106avascript:alert(1)',
    'javascript&colon;alert(1)',
    'java&Tab;script:alert(1)',
    'java&NewLine;script:alert(1)',
    'java&#9;script:alert(1)',
    '&#32;javascript:alert(1)',
    'jav&#x09;ascript:alert(1)',
    'java&unknownref;script:alert(1)',
    '&sol;&sol;evil.example',
  ];
  for (const html of obfuscated)
    it(`an attribute value ${html} is not a safe URL`, () => expect(isSafeUrlValue(html)).toBe(false));
});

describe('compileSafeTemplate and renderSafe', () => {
  it('drops a javascript: URL that makes the whole attribute value', () => {
    const src = '<a href="{{ utm_source }}">go</a>';
    expect(render(src, { utm_source: 'javascript:alert(1)' })).toBe('<a href="">go</a>');
    expect(render(src, { utm_source: 'https://partner.example/x?a=1&b=2' })).toBe(
      '<a href="https://partner.example/x?a=1&amp;b=2">go</a>',
    );
  });

  for (const value of DANGEROUS) {
    it(`drops ${JSON.stringify(value)} in href, src and action`, () => {
      const src = '<a href="{{ v }}"><img src="{{ v }}"></a><form action="{{ v }}"></form>';
      expect(render(src, { v: value })).toBe('<a href=""><img src=""></a><form action=""></form>');
    });
  }

  it('drops a value that joins a fixed prefix into a scheme', () => {
    const src = '<a href="java{{ rest }}">x</a>';
    expect(render(src, { rest: 'script:alert(1)' })).toBe('<a href="">x</a>');
    expect(render('<a href="&#{{ n }}">x</a>', { n: '106;avascript:alert(1)' })).toBe('<a href="">x</a>');
  });

  it('keeps a fixed relative prefix relative whatever the value', () => {
    const src = '<a href="/search?q={{ q }}">Search</a>';
    for (const q of ['shoes', 'javascript:alert(1)', 'a"b<c>&d', '//evil.example'])
      expect(render(src, { q })).toBe(
        `<a href="/search?q=${q.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}">Search</a>`,
      );
  });

  it('drops a value that turns a fixed "/" into another host', () => {
    expect(render('<a href="/{{ p }}">x</a>', { p: '/evil.example' })).toBe('<a href="">x</a>');
    expect(render('<a href="/{{ p }}">x</a>', { p: 'c/shoes' })).toBe('<a href="/c/shoes">x</a>');
  });

  it('checks every URL of a srcset and a ping list', () => {
    const src = '<img srcset="{{ a }} 1x, {{ b }} 2x">';
    expect(render(src, { a: '/a.png', b: 'https://cdn.example/b.png' })).toBe(
      '<img srcset="/a.png 1x, https://cdn.example/b.png 2x">',
    );
    expect(render(src, { a: '/a.png', b: 'javascript:alert(1)' })).toBe('<img srcset="">');
    expect(render('<a ping="{{ p }}">', { p: '/a javascript:x' })).toBe('<a ping="">');
  });

  it('still escapes " \' < & in attributes and text', () => {
    const v = `"'<>&`;
    expect(render(`<div title="{{ v }}" data-x='{{ v }}'>{{ v }}</div>`, { v })).toBe(
      `<div title="&quot;&#39;&lt;&gt;&amp;" data-x='&quot;&#39;&lt;&gt;&amp;'>&quot;&#39;&lt;&gt;&amp;</div>`,
    );
    expect(render('<a href="{{ v }}">', { v: '/x?a="b"&c=<d>' })).toBe(
      '<a href="/x?a=&quot;b&quot;&amp;c=&lt;d&gt;">',
    );
  });

  it('renders a template without URL attributes as renderTemplate does', () => {
    const t = compiled('<b>{{ name }}</b> {{interests.shoes}} {{ missing }}{{ list }}');
    const plain = parseTemplate('<b>{{ name }}</b> {{interests.shoes}} {{ missing }}{{ list }}');
    expect(plain.ok && t).toEqual(plain.ok ? plain.template : undefined);
    expect(renderSafe(t, { name: '<x>', interests: { shoes: 2 }, list: ['a', 'b'] })).toBe(
      '<b>&lt;x&gt;</b> 2 a, b',
    );
  });

  it('leaves fixed URL attributes alone (they are the author’s own markup)', () => {
    expect(render('<a href="javascript:void(0)">{{ t }}</a>', { t: 'x' })).toBe(
      '<a href="javascript:void(0)">x</a>',
    );
  });

  it('refuses unsafe templates with every problem', () => {
    const r = compileSafeTemplate(
      '<a onclick="{{ a }}" href="{{ b }}">{{ c }}</a><style>{{ d }}</style>',
      'campaigns.0.variants.0.html',
    );
    expect(r.ok).toBe(false);
    expect(r.problems).toHaveLength(2);
    expect(r.problems[0]).toMatch(/^campaigns\.0\.variants\.0\.html: "\{\{ a \}\}"/);
    expect(r.problems[1]).toMatch(/"\{\{ d \}\}"/);
  });
});

describe('compileSafeAttribute (setAttribute slots)', () => {
  it('checks the whole value of a URL attribute', () => {
    const r = compileSafeAttribute('href', '{{ utm_source }}');
    if (!r.ok) throw new Error(r.problems.join());
    expect(renderSafe(r.template, { utm_source: 'javascript:alert(1)' })).toBe('');
    expect(renderSafe(r.template, { utm_source: '/c/shoes' })).toBe('/c/shoes');
    const prefixed = compileSafeAttribute('HREF', '/c/{{ topInterest }}');
    if (!prefixed.ok) throw new Error(prefixed.problems.join());
    expect(renderSafe(prefixed.template, { topInterest: 'javascript:alert(1)' })).toBe(
      '/c/javascript:alert(1)',
    );
  });

  it('escapes an ordinary attribute and refuses event handlers', () => {
    const r = compileSafeAttribute('title', '{{ x }}');
    expect(r.ok && renderSafe(r.template, { x: '"<' })).toBe('&quot;&lt;');
    expect(compileSafeAttribute('onclick', '{{ x }}', 'campaigns.1.variants.0.value')).toEqual({
      ok: false,
      problems: [
        'campaigns.1.variants.0.value: "{{ x }}" is written into "onclick", an event handler attribute, where escaping is not safe',
      ],
    });
  });
});
