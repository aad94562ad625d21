import { describe, expect, it } from 'vitest';
import { PAGE } from '../test/fixtures.ts';
import { call, page, putConfig, visitorCookie } from '../test/helpers.ts';

const SCRIPT = '<script src="/__hio/client.js" defer></script>';
const EMPTY = { version: 1, campaigns: [] };
const ONE_CAMPAIGN = {
  version: 1,
  campaigns: [
    { id: 'all', slot: { selector: '#hero', action: 'replace' }, variants: [{ id: 'v', html: '<b>hi</b>' }] },
  ],
};

describe('the proxy', () => {
  it('passes a page no campaign matches through byte for byte, apart from the one script tag', async () => {
    await putConfig(EMPTY);
    const res = await page('/page');
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toBe(PAGE.replace('</head>', `${SCRIPT}</head>`));
    expect(body.split(SCRIPT)).toHaveLength(2);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });

  it('passes non-HTML responses through untouched, headers included', async () => {
    const png = await call('/image.png');
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(png.headers.get('etag')).toBe('"img"');
    expect(png.headers.get('set-cookie')).toBeNull();
    expect([...new Uint8Array(await png.arrayBuffer())]).toEqual([
      137, 80, 78, 71, 13, 10, 26, 10, 0, 255, 1, 2,
    ]);
    const txt = await page('/plain');
    expect(await txt.text()).toBe('plain text, not html');
    expect(txt.headers.get('etag')).toBe('"p1"');
  });

  it('passes redirects through with every Set-Cookie and does not follow them', async () => {
    const res = await page('/redirect', undefined, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/page');
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
  });

  it('keeps every Set-Cookie of a rewritten page and adds the visitor cookie', async () => {
    const res = await page('/cookies');
    const cookies = res.headers.getSetCookie();
    expect(cookies.slice(0, 2)).toEqual(['x=1; Path=/', 'y=2; Path=/']);
    expect(cookies[2]).toMatch(
      /^hio_vid=[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}; Max-Age=34560000; Path=\/; HttpOnly; SameSite=Lax$/,
    );
  });

  it('passes HEAD, 204 and 304 through', async () => {
    const head = await page('/page', undefined, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect(head.headers.get('etag')).toBe('"v1"');
    const nc = await page('/no-content');
    expect(nc.status).toBe(204);
    expect(nc.headers.get('x-origin')).toBe('yes');
    const nm = await page('/not-modified');
    expect(nm.status).toBe(304);
    expect(nm.headers.get('etag')).toBe('"v1"');
  });

  it('forwards method, headers and body to the origin only, with Host rewritten', async () => {
    const res = await call('/echo?q=1', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-custom': 'kept',
        'accept-encoding': 'zstd, gzip',
      },
      body: 'a=1&b=2',
    });
    const echo = (await res.json()) as {
      method: string;
      url: string;
      headers: Record<string, string>;
      body: string;
    };
    expect(echo.method).toBe('POST');
    expect(echo.url).toBe('http://origin.test/echo?q=1');
    expect(echo.body).toBe('a=1&b=2');
    expect(echo.headers['x-custom']).toBe('kept');
    expect(echo.headers['accept-encoding']).toBe('gzip, br');
  });

  it("keeps HIO's own cookie from the origin and passes every other cookie", async () => {
    await putConfig(EMPTY);
    const hio = visitorCookie(await page('/page'));
    const echoed = async (cookie: string) =>
      ((await (await call('/echo', { headers: { cookie } })).json()) as { headers: Record<string, string> })
        .headers.cookie;
    expect(await echoed(`theme=dark; ${hio}; cart=3`)).toBe('theme=dark; cart=3');
    // names that merely contain ours are someone else's
    expect(await echoed(`${hio};xhio_vid=1;hio_vid_other=2`)).toBe('xhio_vid=1;hio_vid_other=2');
    // nothing left: no Cookie header at all
    expect(await echoed(hio)).toBeUndefined();
  });

  it('never lets a request choose the origin host', async () => {
    const res = await call('/echo', {
      headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example' },
    });
    const echo = (await res.json()) as { url: string };
    expect(new URL(echo.url).host).toBe('origin.test');
    const abs = await exports_fetch('http://evil.example/echo');
    expect(new URL(((await abs.json()) as { url: string }).url).host).toBe('origin.test');
  });

  it('passes an origin error status through as the origin sent it', async () => {
    const res = await page('/error');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(await res.text()).toBe('<html><head></head><body>origin broke</body></html>');
  });

  it('weakens a strong ETag and drops Content-Length on a rewritten page', async () => {
    await putConfig(EMPTY);
    const res = await page('/page');
    expect(res.headers.get('etag')).toBe('W/"v1"');
    expect(res.headers.get('content-length')).toBeNull();
  });

  it('injects the script into pages without <head>, and keeps a non-UTF-8 charset intact', async () => {
    const nohead = await (await page('/nohead')).text();
    expect(nohead).toBe(`<p>no head here</p>${SCRIPT}`);
    const latin = await page('/latin1');
    expect(latin.headers.get('content-type')).toBe('text/html; charset=iso-8859-1');
    const bytes = new Uint8Array(await latin.arrayBuffer());
    expect(bytes.includes(0xe9)).toBe(true);
  });

  it('rewrites gzip-encoded pages', async () => {
    const res = await page('/gzip');
    expect(await res.text()).toContain(SCRIPT);
  });

  it('streams: the first bytes arrive before the origin has finished', async () => {
    const t0 = Date.now();
    const res = await page('/chunked');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    const tFirst = Date.now() - t0;
    let rest = '';
    const dec = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += dec.decode(value, { stream: true });
    }
    const tAll = Date.now() - t0;
    expect(first.value?.byteLength).toBeGreaterThan(0);
    expect(rest).toContain('third');
    // the origin pauses 2 x 400 ms between chunks: the first chunk came before the pauses
    expect(tAll - tFirst).toBeGreaterThanOrEqual(600);
  });

  it('serves no personalization and no cookie to bots', async () => {
    await putConfig(ONE_CAMPAIGN);
    const res = await page('/page', undefined, {
      headers: { 'user-agent': 'Googlebot/2.1 (+http://www.google.com/bot.html)' },
    });
    expect(await res.text()).toBe(PAGE);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it('marks a personalized page private and uncacheable by shared caches', async () => {
    await putConfig(ONE_CAMPAIGN);
    const res = await page('/page');
    const body = await res.text();
    expect(body).toContain(
      '<section id="hero" data-hio-campaign="all" data-hio-variant="v"><b>hi</b></section>',
    );
    expect(res.headers.get('cache-control')).toBe('private, max-age=60');
    expect(res.headers.get('etag')).toBeNull();
    expect(res.headers.get('server-timing')).toMatch(
      /^hio;desc="decide";dur=\d+(\.\d+)?(, hio-cache;desc="hit")?$/,
    );
    expect(visitorCookie(res)).toMatch(/^hio_vid=/);
  });
});

async function exports_fetch(url: string): Promise<Response> {
  const { exports } = await import('cloudflare:workers');
  return exports.default.fetch(new Request(url));
}
