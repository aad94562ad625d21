import { describe, expect, it } from 'vitest';
import { call, page, putConfig } from '../test/helpers.ts';
import { policyNonce, SCRIPT_TAG, validNonce } from './rewrite.ts';

const NONCE = 'r4nd0mN0nce+/=';
const EVIL = 'a"onload="alert(1)';
const tagWith = (nonce: string) => `<script src="/__hio/client.js" defer nonce="${nonce}"></script>`;

async function csp(where: string, nonce = NONCE): Promise<string> {
  await putConfig({ version: 1, campaigns: [] });
  const res = await page(`/csp?where=${where}&nonce=${encodeURIComponent(nonce)}`);
  expect(res.status).toBe(200);
  return res.text();
}

/** The element HIO injected, and that it is the only one and sits at the end of <head>. */
function injected(html: string): string {
  const tags = html.match(/<script src="\/__hio\/client\.js"[^>]*><\/script>/g) ?? [];
  expect(tags).toHaveLength(1);
  const tag = tags[0] as string;
  expect(html).toContain(`${tag}</head>`);
  return tag;
}

describe('the injected script and the page CSP nonce', () => {
  it('carries the nonce of the Content-Security-Policy header', async () => {
    expect(injected(await csp('header'))).toBe(tagWith(NONCE));
  });

  it('carries the nonce of a report-only policy when there is no enforced one', async () => {
    expect(injected(await csp('report-only'))).toBe(tagWith(NONCE));
  });

  it('carries the nonce of a <meta http-equiv> policy in the head', async () => {
    expect(injected(await csp('meta'))).toBe(tagWith(NONCE));
  });

  it('carries the nonce of a <script nonce> already in the head', async () => {
    const html = await csp('script');
    expect(html).toContain(`<script nonce='${NONCE}'>window.x = 1</script>`);
    expect(injected(html)).toBe(tagWith(NONCE));
  });

  it('carries no nonce when the page has none before the end of <head>', async () => {
    expect(injected(await csp('none'))).toBe(SCRIPT_TAG);
    // a nonce first seen in <body> comes after the script element is written
    expect(injected(await csp('late'))).toBe(SCRIPT_TAG);
    const plain = await (await page('/page')).text();
    expect(injected(plain)).toBe(SCRIPT_TAG);
  });

  it('never inserts a nonce that is not base64, from the header or from the page', async () => {
    for (const where of ['header', 'report-only', 'script']) {
      const html = await csp(where, EVIL);
      expect(injected(html), where).toBe(SCRIPT_TAG);
      expect(html.match(/onload/g) ?? [], where).toHaveLength(where === 'script' ? 1 : 0);
    }
  });

  it('carries the nonce on a personalized page too', async () => {
    await putConfig({
      version: 1,
      campaigns: [
        { id: 'c', slot: { selector: 'p', action: 'replace' }, variants: [{ id: 'v', html: 'yo' }] },
      ],
    });
    const res = await call('/csp?where=header', { headers: { accept: 'text/html' } });
    const html = await res.text();
    expect(html).toContain('<p data-hio-campaign="c" data-hio-variant="v">yo</p>');
    expect(injected(html)).toBe(tagWith(NONCE));
  });
});

describe('policyNonce', () => {
  it('reads the directive a browser applies to <script src>', () => {
    expect(policyNonce("script-src 'nonce-A'; script-src-elem 'self' 'nonce-B'")).toBe('B');
    expect(policyNonce("default-src 'nonce-C'; img-src *")).toBe('C');
    expect(policyNonce("script-src 'self'; default-src 'nonce-C'")).toBeNull();
    expect(policyNonce("style-src 'nonce-D'")).toBeNull();
    expect(policyNonce(null)).toBeNull();
  });

  it('reads a list of policies, as several headers are joined', () => {
    expect(policyNonce("default-src 'self', script-src 'strict-dynamic' 'nonce-E_-9'")).toBe('E_-9');
  });

  it('refuses values that are not base64', () => {
    expect(policyNonce(`script-src 'nonce-${EVIL}'`)).toBeNull();
    expect(policyNonce("script-src 'nonce-'")).toBeNull();
    expect(validNonce('ab==')).toBe('ab==');
    for (const bad of ['a b', 'a"b', "a'b", 'a>b', 'a&b', 'ab===', '', 'x'.repeat(300)]) {
      expect(validNonce(bad), bad).toBeNull();
    }
  });
});
