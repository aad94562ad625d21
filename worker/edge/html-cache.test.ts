/**
 * The HTML cache: pages the origin marks shareable are fetched once per max-age and personalized per
 * visitor on the way out; everything the origin keeps private, varies or sets a cookie on is fetched
 * every time; conditional and credentialed requests go to the origin; a purge drops a copy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, call, overrideEnv, page, putConfig, settle } from '../test/helpers.ts';

const SHOWN = 'data-hio-campaign="all" data-hio-variant="v"';
const DOC = {
  version: 1,
  campaigns: [
    { id: 'all', slot: { selector: '#hero', action: 'replace' }, variants: [{ id: 'v', html: '<b>hi</b>' }] },
  ],
};

async function originHits(pathAndQuery: string): Promise<number> {
  const r = await fetch(`http://origin.test/__hits?url=${encodeURIComponent(pathAndQuery)}`);
  return ((await r.json()) as { hits: number }).hits;
}

const q = (params: Record<string, string>) => `?${new URLSearchParams(params)}`;

describe('the HTML cache', () => {
  // opt-in (HTML_CACHE=on): see README "Cached origin HTML"
  beforeAll(() => overrideEnv({ HTML_CACHE: 'on' }));
  afterAll(() => overrideEnv(null));

  it('asks the origin once for 30 visitors of a shareable page, and personalizes each copy privately', async () => {
    await putConfig(DOC);
    const path = '/shared/thirty';
    const cookies = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const res = await page(path);
      const body = await res.text();
      expect(res.status).toBe(200);
      expect(body).toContain(SHOWN);
      expect(body).toContain('<b>hi</b>');
      expect(res.headers.get('cache-control')).toMatch(/^private/);
      expect(res.headers.get('etag')).toBeNull();
      cookies.add(res.headers.get('set-cookie') ?? '');
      if (i > 0) {
        expect(res.headers.get('server-timing')).toContain('hio-cache;desc="hit"');
        expect(Number(res.headers.get('age'))).toBeGreaterThanOrEqual(0);
      }
      await settle();
    }
    expect(cookies.size).toBe(30);
    expect([1, 2]).toContain(await originHits(path));
  });

  it.each([
    ['no-store', { cc: 'no-store' }],
    ['private', { cc: 'private, max-age=60' }],
    ['max-age without public', { cc: 'max-age=60' }],
    ['no-cache', { cc: 'public, no-cache, max-age=60' }],
    ['a Set-Cookie', { cc: 'public, max-age=60', cookie: '1' }],
    ['Vary: User-Agent', { cc: 'public, max-age=60', vary: 'User-Agent' }],
    ['Vary: *', { cc: 'public, max-age=60', vary: '*' }],
    ['CDN-Cache-Control: no-store', { cc: 'public, max-age=60', cdn: 'no-store' }],
    ['max-age=0', { cc: 'public, max-age=0' }],
  ])('asks the origin every time for a page with %s', async (_name, params) => {
    await putConfig(DOC);
    const path = `/shared/never${q(params)}`;
    for (let i = 0; i < 3; i++) {
      const res = await page(path);
      expect(await res.text()).toContain(SHOWN);
      expect(res.headers.get('server-timing') ?? '').not.toContain('hio-cache');
    }
    await settle();
    expect(await originHits(path)).toBe(3);
  });

  it('keeps pages with s-maxage (or a targeted CDN field) without public', async () => {
    const cases: Record<string, string>[] = [{ cc: 's-maxage=60' }, { cc: 'max-age=60', cdn: 'max-age=60' }];
    for (const params of cases) {
      const path = `/shared/smax${q(params)}`;
      for (let i = 0; i < 3; i++) await (await page(path)).text();
      await settle();
      expect(await originHits(path), JSON.stringify(params)).toBe(1);
    }
  });

  it('sends conditional and credentialed requests to the origin, and a reload refreshes the copy', async () => {
    const path = '/shared/conditional';
    await (await page(path)).text();
    await settle();
    expect(await originHits(path)).toBe(1);
    await (await page(path, undefined, { headers: { 'if-none-match': '"s1"' } })).text();
    await (await page(path, undefined, { headers: { authorization: 'Basic eDp5' } })).text();
    expect(await originHits(path)).toBe(3);
    const reload = await page(path, undefined, { headers: { 'cache-control': 'no-cache' } });
    expect(reload.headers.get('x-origin-hit')).toBe('4');
    await reload.text();
    await settle();
    // the copy the reload stored answers the next visitor
    const next = await page(path);
    expect(next.headers.get('x-origin-hit')).toBe('4');
    await next.text();
    expect(await originHits(path)).toBe(4);
  });

  it('gives a bot the cached origin page untouched', async () => {
    const path = '/shared/bot';
    await (await page(path)).text();
    await settle();
    const bot = await call(path, { headers: { 'user-agent': 'curl/8.0', accept: 'text/html' } });
    const body = await bot.text();
    expect(body).toContain(`Original hero ${'/shared/bot'}`);
    expect(body).not.toContain('data-hio-');
    expect(await originHits(path)).toBe(1);
  });

  it('drops a copy on POST /__hio/admin/purge, and refuses bad purge requests', async () => {
    const path = '/shared/purge?x=1';
    await (await page(path)).text();
    await settle();
    await (await page(path)).text();
    expect(await originHits(path)).toBe(1);

    const purge = (body: unknown, headers: Record<string, string> = ADMIN) =>
      call('/__hio/admin/purge', {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await purge({ paths: [path] }, {})).status).toBe(401);
    for (const bad of [
      {},
      { paths: [] },
      { paths: ['http://evil.test/'] },
      { paths: ['//evil.test/x'] },
      { paths: ['/a'], all: true },
    ]) {
      const r = await purge(bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
    }
    expect(await originHits(path)).toBe(1);

    const ok = await purge({ paths: [path, '/shared/not-cached'] });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({
      purged: 1,
      paths: [
        { path, purged: true },
        { path: '/shared/not-cached', purged: false },
      ],
    });
    await (await page(path)).text();
    expect(await originHits(path)).toBe(2);
  });
});
