import { describe, expect, it } from 'vitest';
import { PAGE } from '../test/fixtures.ts';
import { ADMIN, call, putConfig, visitorCookie } from '../test/helpers.ts';
import { createSharedCache, type SharedCache, storage } from '../test/shared-cache.ts';
import { applyCaching, privateCacheControl, varyOnCookie } from './proxy.ts';

const EMPTY = { version: 1, campaigns: [] };
const ONE_CAMPAIGN = {
  version: 1,
  campaigns: [
    { id: 'all', slot: { selector: '#hero', action: 'replace' }, variants: [{ id: 'v', html: '<b>hi</b>' }] },
  ],
};
const SHOWN = 'data-hio-campaign="all" data-hio-variant="v"';
const SHARED_FIELDS = [
  'cdn-cache-control',
  'cloudflare-cdn-cache-control',
  'surrogate-control',
  'edge-control',
  'x-accel-expires',
  'expires',
  'last-modified',
  'etag',
];

/** A CDN in front of the worker: every request goes through it. */
function cdn(mode: 'rfc9111' | 'http1.0' = 'rfc9111'): SharedCache {
  return createSharedCache(
    (req) => {
      const u = new URL(req.url);
      return call(u.pathname + u.search, { method: req.method, headers: req.headers });
    },
    { mode },
  );
}

function browser(path: string, cookie?: string, accept = 'text/html,application/xhtml+xml'): Request {
  const headers = new Headers({ accept });
  if (cookie) headers.set('cookie', cookie);
  return new Request(`http://hio.test${path}`, { headers });
}

const setCookies = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0]);

describe('the test shared cache (a control: it stores what a CDN may)', () => {
  const at = Date.parse('2026-01-01T00:00:00Z');
  const req = new Request('http://x.test/');
  const with_ = (headers: Record<string, string>, status = 200) =>
    storage(req, new Response('', { status, headers }), 'rfc9111', at);

  it('lets a targeted field override Cache-Control: private, as RFC 9213 says', () => {
    expect(with_({ 'cache-control': 'private', 'cdn-cache-control': 'max-age=600' }).ttlMs).toBe(600_000);
    expect(with_({ 'cache-control': 'public, max-age=60', 'surrogate-control': 'no-store' }).ttlMs).toBe(0);
  });

  it('stores a Set-Cookie response unless told private, and strips fields named by private=', () => {
    expect(with_({ 'cache-control': 'max-age=60', 'set-cookie': 'a=1' }).ttlMs).toBe(60_000);
    expect(with_({ 'cache-control': 'private, max-age=60', 'set-cookie': 'a=1' }).ttlMs).toBe(0);
    expect(with_({ 'cache-control': 'private="set-cookie", max-age=60' })).toEqual({
      ttlMs: 60_000,
      strip: ['set-cookie'],
    });
  });

  it('takes s-maxage over max-age, and Expires or Last-Modified when there is no max-age', () => {
    expect(with_({ 'cache-control': 'max-age=60, s-maxage=5' }).ttlMs).toBe(5_000);
    expect(with_({ expires: new Date(at + 30_000).toUTCString() }).ttlMs).toBe(30_000);
    expect(with_({ 'last-modified': new Date(at - 1_000_000).toUTCString() }).ttlMs).toBe(100_000);
    expect(with_({ 'last-modified': new Date(at - 1_000_000).toUTCString() }, 201).ttlMs).toBe(0);
    expect(with_({ 'cache-control': 'no-store, max-age=60' }).ttlMs).toBe(0);
  });

  it('an HTTP/1.0 cache reads Expires and ignores Cache-Control: private', () => {
    const res = new Response('', {
      headers: { 'cache-control': 'private', expires: new Date(at + 30_000).toUTCString() },
    });
    expect(storage(req, res, 'http1.0', at).ttlMs).toBe(30_000);
  });

  it('serves a stored page to another visitor when the origin allows it (non-HTML passes untouched)', async () => {
    const cache = cdn();
    const a = await cache.fetch(browser('/cdn', undefined, 'application/json'));
    expect(a.hit).toBe(false);
    await a.res.text();
    const b = await cache.fetch(browser('/cdn', undefined, 'application/json'));
    expect(b.hit).toBe(true);
    expect(await b.res.text()).toBe(PAGE);
  });
});

describe('a shared cache in front of the worker', () => {
  for (const mode of ['rfc9111', 'http1.0'] as const) {
    it(`never serves visitor A's personalized page or cookie to visitor B (${mode} cache)`, async () => {
      await putConfig(ONE_CAMPAIGN);
      const cache = cdn(mode);
      const a1 = await cache.fetch(browser('/cdn'));
      expect(await a1.res.text()).toContain(SHOWN);
      const cookieA = visitorCookie(a1.res);

      const b = await cache.fetch(browser('/cdn'));
      expect(b.hit).toBe(false);
      expect(await b.res.text()).toContain(SHOWN);
      expect(visitorCookie(b.res)).not.toBe(cookieA);

      // A's next page (a known visitor, personalized) is no more storable than the first
      const a2 = await cache.fetch(browser('/cdn', cookieA));
      expect(a2.hit).toBe(false);
      expect(await a2.res.text()).toContain(SHOWN);
      expect(a2.res.headers.getSetCookie()).toEqual([]);
      expect(cache.size()).toBe(0);
    });
  }

  it('drops every shared-cache directive and validator of a personalized page, and varies on Cookie', async () => {
    await putConfig(ONE_CAMPAIGN);
    const res = await call('/cdn', { headers: { accept: 'text/html' } });
    await res.text();
    expect(res.headers.get('cache-control')).toBe('private, max-age=60');
    for (const f of SHARED_FIELDS) expect(res.headers.get(f), f).toBeNull();
    expect(res.headers.get('vary')).toBe('Accept-Encoding, Cookie');
    // a purge label makes nothing storable
    expect(res.headers.get('surrogate-key')).toBe('page shop');
  });

  it('keeps the caching of a known visitor page that shows no campaign, keyed on the cookie', async () => {
    await putConfig(EMPTY);
    const cache = cdn();
    // the first page sets the cookie: stored by no one
    const a1 = await cache.fetch(browser('/cdn'));
    await a1.res.text();
    const cookieA = visitorCookie(a1.res);
    expect(a1.res.headers.get('cache-control')).toBe('private, max-age=60');
    expect(cache.size()).toBe(0);

    const a2 = await cache.fetch(browser('/cdn', cookieA));
    expect(await a2.res.text()).toBe(
      PAGE.replace('</head>', '<script src="/__hio/client.js" defer></script></head>'),
    );
    expect(a2.res.headers.get('cache-control')).toBe('public, max-age=60, s-maxage=600');
    expect(a2.res.headers.get('etag')).toBe('W/"v1"');
    expect(a2.res.headers.get('vary')).toBe('Accept-Encoding, Cookie');
    expect(a2.res.headers.getSetCookie()).toEqual([]);
    expect(cache.size()).toBe(1);
    expect((await cache.fetch(browser('/cdn', cookieA))).hit).toBe(true);

    // another visitor, known or new, is not served A's copy (and the new one gets a cookie of its own)
    const b1 = await cache.fetch(browser('/cdn'));
    expect(b1.hit).toBe(false);
    const cookieB = visitorCookie(b1.res);
    expect(cookieB).not.toBe(cookieA);
    expect((await cache.fetch(browser('/cdn', cookieB))).hit).toBe(false);
  });

  it('makes a page private when the origin sets a cookie of its own on it', async () => {
    await putConfig(EMPTY);
    const first = await call('/cdn', { headers: { accept: 'text/html' } });
    await first.text();
    const cache = cdn();
    const a = await cache.fetch(browser('/cdn?cookie', visitorCookie(first)));
    await a.res.text();
    expect(setCookies(a.res)).toEqual(['session=origin-secret']);
    expect(a.res.headers.get('cache-control')).toBe('private, max-age=60');
    const b = await cache.fetch(browser('/cdn?cookie', visitorCookie(first)));
    expect(b.hit).toBe(false);
  });

  it('stores a preview by no cache at all', async () => {
    await putConfig(ONE_CAMPAIGN);
    const link = await call('/__hio/admin/preview?campaign=all&variant=v&path=/cdn', { headers: ADMIN });
    const { url } = (await link.json()) as { url: string };
    const u = new URL(url);
    const cache = cdn();
    const p = await cache.fetch(browser(u.pathname + u.search));
    expect(await p.res.text()).toContain(SHOWN);
    expect(p.res.headers.get('cache-control')).toBe('no-store');
    for (const f of SHARED_FIELDS) expect(p.res.headers.get(f), f).toBeNull();
    expect(cache.size()).toBe(0);
  });
});

describe('privateCacheControl and varyOnCookie', () => {
  it('replaces every shared-cache directive with private', () => {
    expect(privateCacheControl(null)).toBe('private');
    expect(privateCacheControl('public, max-age=60, s-maxage=600, proxy-revalidate')).toBe(
      'private, max-age=60',
    );
    expect(privateCacheControl('private="set-cookie", max-age=5, must-revalidate')).toBe(
      'private, max-age=5, must-revalidate',
    );
    expect(privateCacheControl('no-store')).toBe('private, no-store');
  });

  it('merges Cookie into Vary once', () => {
    const vary = (v: string | null) => {
      const h = new Headers(v === null ? {} : { vary: v });
      varyOnCookie(h);
      return h.get('vary');
    };
    expect(vary(null)).toBe('Cookie');
    expect(vary('Accept-Encoding')).toBe('Accept-Encoding, Cookie');
    expect(vary('accept-encoding, cookie')).toBe('accept-encoding, cookie');
    expect(vary('*')).toBe('*');
  });
});

describe('applyCaching', () => {
  const origin = () =>
    new Headers({
      'cache-control': 'public, max-age=60, s-maxage=600',
      'cdn-cache-control': 'max-age=600',
      expires: 'Thu, 01 Jan 2099 00:00:00 GMT',
      'last-modified': 'Wed, 21 Oct 2015 07:28:00 GMT',
      etag: '"v1"',
    });
  const apply = (personalized: boolean, oneVisitor: boolean, noStore = false) => {
    const h = origin();
    applyCaching(h, { personalized, oneVisitor, noStore });
    return Object.fromEntries(h);
  };

  it('leaves the same-for-everyone page cacheable, with a weak validator, varying on Cookie', () => {
    expect(apply(false, false)).toEqual({ ...Object.fromEntries(origin()), etag: 'W/"v1"', vary: 'Cookie' });
  });

  it('keeps the weakened validators of an unpersonalized page that sets a cookie, but privately', () => {
    expect(apply(false, true)).toEqual({
      'cache-control': 'private, max-age=60',
      'last-modified': 'Wed, 21 Oct 2015 07:28:00 GMT',
      etag: 'W/"v1"',
      vary: 'Cookie',
    });
  });

  it('gives a personalized page no validator and no shared-cache field', () => {
    expect(apply(true, true)).toEqual({ 'cache-control': 'private, max-age=60', vary: 'Cookie' });
    expect(apply(true, true, true)).toEqual({ 'cache-control': 'no-store', vary: 'Cookie' });
  });
});
