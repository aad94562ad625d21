import { describe, expect, it } from 'vitest';
import { PAGE } from '../test/fixtures.ts';
import { call, DESKTOP_UA, page, putConfig, visitorCookie } from '../test/helpers.ts';

interface Echo {
  url: string;
  headers: Record<string, string>;
}

async function echo(init: RequestInit): Promise<Echo> {
  return (await (await call('/echo?q=1', init)).json()) as Echo;
}

/** Added by the runtime on every subrequest (not by the worker, and not removable by it). */
const RUNTIME = { 'cf-worker': 'vitest-pool-workers-runner-workers.example.com' };

describe('what the origin receives', () => {
  it('exactly: no client forwarding claims, no hop-by-hop headers, none of HIO cookies; ours from the URL', async () => {
    const got = await echo({
      method: 'GET',
      headers: {
        accept: 'text/plain',
        'accept-language': 'de',
        'user-agent': DESKTOP_UA,
        'x-custom': 'kept',
        cookie: 'a=1; hio_vid=abc.def; hio_admin=v1.2.3; b=2',
        host: 'evil.example',
        'x-forwarded-host': 'evil.example',
        'x-forwarded-proto': 'https',
        'x-forwarded-for': '6.6.6.6',
        'x-forwarded-port': '444',
        'x-forwarded-prefix': '/evil',
        'x-forwarded-server': 'evil',
        forwarded: 'for=6.6.6.6;host=evil.example;proto=https',
        'x-real-ip': '6.6.6.6',
        'true-client-ip': '6.6.6.6',
        'x-client-ip': '6.6.6.6',
        'x-original-url': '/admin',
        'x-rewrite-url': '/admin',
        'x-host': 'evil.example',
        connection: 'keep-alive, X-Hop-Secret, x-other-hop',
        'x-hop-secret': 'for the next hop only',
        'x-other-hop': '1',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        trailer: 'x-t',
        upgrade: 'h2c',
        'proxy-authorization': 'Basic cHJveHk6c2VjcmV0',
        'proxy-connection': 'keep-alive',
        'accept-encoding': 'zstd',
        // set by Cloudflare's edge for the connecting client (a client's own value is overwritten)
        'cf-connecting-ip': '203.0.113.7',
      },
    });
    expect(got.url).toBe('http://origin.test/echo?q=1');
    expect(got.headers).toEqual({
      ...RUNTIME,
      accept: 'text/plain',
      'accept-encoding': 'gzip, br',
      'accept-language': 'de',
      cookie: 'a=1; b=2',
      host: 'origin.test',
      'user-agent': DESKTOP_UA,
      'x-custom': 'kept',
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-host': 'hio.test',
      'x-forwarded-proto': 'http',
    });
  });

  it('exactly, for a bare request: only the forwarding headers the worker knows', async () => {
    const got = await echo({ headers: { 'user-agent': 'curl/8' } });
    expect(got.headers).toEqual({
      ...RUNTIME,
      'accept-encoding': 'gzip, br',
      host: 'origin.test',
      'user-agent': 'curl/8',
      'x-forwarded-host': 'hio.test',
      'x-forwarded-proto': 'http',
    });
  });

  it('forwards no cookie at all when only HIO cookies were sent', async () => {
    const got = await echo({ headers: { cookie: 'hio_vid=x.y; hio_admin=z' } });
    expect(got.headers.cookie).toBeUndefined();
  });

  it('forwards a range request with the client own Accept-Encoding (a range counts encoded bytes)', async () => {
    const got = await echo({ headers: { range: 'bytes=0-9', 'accept-encoding': 'identity' } });
    expect(got.headers.range).toBe('bytes=0-9');
    expect(got.headers['accept-encoding']).toBe('identity');
  });
});

describe('byte ranges of HTML', () => {
  const ONE_CAMPAIGN = {
    version: 1,
    campaigns: [
      {
        id: 'all',
        slot: { selector: '#hero', action: 'replace' },
        variants: [{ id: 'v', html: '<b>hi</b>' }],
      },
    ],
  };
  const bytes = new TextEncoder().encode(PAGE);

  it('passes a 206 answer to a Range request through untouched: no script, no cookie, same headers', async () => {
    await putConfig(ONE_CAMPAIGN);
    const res = await page('/range', undefined, { headers: { range: 'bytes=100-219' } });
    expect(res.status).toBe(206);
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([...bytes.slice(100, 220)]);
    expect(res.headers.get('content-range')).toBe(`bytes 100-219/${bytes.length}`);
    expect(res.headers.get('etag')).toBe('"v1"');
    expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(res.headers.get('server-timing')).toBeNull();
    expect(res.headers.get('x-seen-accept-encoding')).toBe('(none)');
  });

  it('passes a 206 through even to a request without Range, and a ranged page is never rewritten', async () => {
    await putConfig(ONE_CAMPAIGN);
    const res = await page('/range');
    expect(res.status).toBe(206);
    expect(new TextDecoder().decode(await res.arrayBuffer())).toBe(PAGE.slice(0, 100));
    expect(res.headers.getSetCookie()).toEqual([]);
    // the whole page, asked for with a Range the origin ignored: still not rewritten
    const whole = await page('/page', undefined, { headers: { range: 'bytes=0-' } });
    expect(whole.status).toBe(200);
    expect(await whole.text()).toBe(PAGE);
    expect(whole.headers.getSetCookie()).toEqual([]);
    // and the same page without Range is personalized, as a control
    const normal = await page('/page');
    expect(await normal.text()).toContain('data-hio-campaign="all"');
    expect(visitorCookie(normal)).toMatch(/^hio_vid=/);
  });
});
