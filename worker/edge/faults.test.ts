/**
 * Fail open, lose nothing: the worker built with broken backends still serves the site.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { createConfigRepo } from '../db/config-repo.ts';
import { createDeps } from '../deps.ts';
import type { Bindings } from '../env.ts';
import type { StateStore } from '../state/store.ts';
import { PAGE } from '../test/fixtures.ts';
import { DESKTOP_UA, eventId, putConfig } from '../test/helpers.ts';
import type { Deps } from '../types.ts';

const DOC = {
  version: 1,
  settings: { goals: ['g'] },
  campaigns: [
    {
      id: 'all',
      slot: { selector: '#hero', action: 'replace' },
      variants: [{ id: 'v', html: '<b>personal</b>' }],
    },
  ],
};
const SCRIPT = '<script src="/__hio/client.js" defer></script>';

function appWith(patch: (d: Deps) => Partial<Deps>) {
  const pending: Promise<unknown>[] = [];
  const app = createApp({
    makeDeps: (e: Bindings) => {
      const base = createDeps(e, { waitUntil: (p) => pending.push(p) });
      return { ...base, ...patch(base) };
    },
  });
  const fetch = (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set('user-agent', DESKTOP_UA);
    if (!headers.has('accept')) headers.set('accept', 'text/html');
    return app.fetch(
      new Request(`http://hio.test${path}`, { ...init, headers }),
      env as unknown as Bindings,
      {
        waitUntil: (p: Promise<unknown>) => pending.push(p),
        passThroughOnException() {},
        props: {},
      } as unknown as ExecutionContext,
    );
  };
  return { fetch, settle: () => Promise.allSettled(pending) };
}

function brokenStore(base: StateStore): StateStore {
  const fail = async (): Promise<never> => {
    throw new Error('store unreachable');
  };
  return { ...base, load: fail, apply: fail, erase: fail, ping: fail };
}

async function cookieFor(fetch: ReturnType<typeof appWith>['fetch']): Promise<string> {
  const res = await fetch('/page');
  const c = res.headers.getSetCookie().find((x) => x.startsWith('hio_vid='));
  return (c as string).split(';')[0] as string;
}

describe('faults', () => {
  it('serves the origin page unpersonalized, with the script, when the state store errors', async () => {
    await putConfig(DOC);
    const good = appWith(() => ({}));
    const cookie = await cookieFor(good.fetch);
    const bad = appWith((d) => ({ store: brokenStore(d.store) }));
    // the origin answers later than the failing store, and first: both orders give the same page
    for (const path of ['/page', '/slow?ms=200']) {
      const res = await bad.fetch(path, { headers: { cookie } });
      expect(res.status).toBe(200);
      const body = await res.text();
      // the slots as the origin sent them, but the script is there: what the visitor does on this
      // page is kept in the browser and sent again once the store is back
      expect(body, path).toContain(SCRIPT);
      expect(body, path).not.toContain('personal');
      if (path === '/page') expect(body.replace(SCRIPT, '')).toBe(PAGE);
      expect(res.headers.get('server-timing'), path).toContain('hio-skip;desc="error"');
    }
  });

  it('serves the page unpersonalized within the budget when the state store is slow', async () => {
    await putConfig(DOC);
    const good = appWith(() => ({}));
    const cookie = await cookieFor(good.fetch);
    const STORE_MS = 2000;
    const logs: string[] = [];
    let budget = 0;
    const slow = appWith((d) => {
      budget = d.config.stateBudgetMs;
      return {
        store: { ...d.store, load: () => new Promise((r) => setTimeout(() => r({ profile: {} }), STORE_MS)) },
        log: (_level, msg) => void logs.push(msg),
      };
    });
    // the origin takes longer than the budget, so the decision (given up at the budget) is known
    // before the page streams and its time is in Server-Timing
    const res = await slow.fetch('/slow?ms=400', { headers: { cookie } });
    const body = await res.text();
    expect(budget).toBe(50); // STATE_BUDGET_MS is not set: the default
    const timing = res.headers.get('server-timing') ?? '';
    expect(timing).toContain('hio-skip;desc="state-timeout"');
    const waited = Number(/hio;desc="decide";dur=([\d.]+)/.exec(timing)?.[1]);
    // it gave up at the budget: not before it, and long before the store would have answered
    expect(waited).toBeGreaterThanOrEqual(budget);
    expect(waited).toBeLessThan(STORE_MS);
    expect(logs).toContain(`visitor state read exceeded ${budget} ms; serving unpersonalized`);
    expect(body).toBe(PAGE.replace('</head>', `${SCRIPT}</head>`));
  });

  it('answers 503 with Retry-After when the beacon cannot store events, and stores nothing', async () => {
    await putConfig(DOC);
    const good = appWith(() => ({}));
    const cookie = await cookieFor(good.fetch);
    await good.settle();
    const visitor = cookie.slice('hio_vid='.length).split('.')[0] as string;
    const id = eventId();
    // the profile reads, so the plan has rows for D1 too; the write is refused
    const bad = appWith((d) => ({ store: { ...d.store, apply: brokenStore(d.store).apply } }));
    const res = await bad.fetch('/__hio/collect', {
      method: 'POST',
      headers: { cookie, 'content-type': 'text/plain' },
      body: JSON.stringify({ events: [{ t: 'conversion', id, goal: 'g', value: 9 }] }),
    });
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    await bad.settle();
    // neither the profile (the beacon's KV key) nor the results (D1) hold the event
    expect(await env.HIO_KV.get(`b:${visitor}`)).toBeNull();
    const me = (await (
      await good.fetch('/__hio/me', { headers: { cookie, accept: 'application/json' } })
    ).json()) as {
      stored: Record<string, unknown>;
    };
    expect(me.stored['c.g']).toBeUndefined();
    const rows = await env.HIO_DB.prepare(
      'SELECT COUNT(*) AS n FROM conversion_events WHERE visitor_id = ? OR event_id = ?',
    )
      .bind(visitor, id)
      .first<{ n: number }>();
    expect(rows?.n).toBe(0);
  });

  it('keeps serving pages and reports degraded health when D1 errors', async () => {
    const failingDb = {
      prepare() {
        throw new Error('D1 down');
      },
      batch() {
        throw new Error('D1 down');
      },
    } as unknown as D1Database;
    const app = appWith((d) => ({
      env: { ...d.env, HIO_DB: failingDb },
      configRepo: createConfigRepo(failingDb, 10_000, () => {}),
    }));
    const res = await app.fetch('/page');
    expect(res.status).toBe(200);
    // no document could be loaded, so the consent rules are unknown: the origin's page, no cookie
    expect(await res.text()).toBe(PAGE);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(res.headers.get('server-timing')).toContain('hio-skip;desc="no-document"');
    const health = (await (await app.fetch('/__hio/health')).json()) as { ok: boolean; degraded: string[] };
    expect(health.ok).toBe(false);
    expect(health.degraded.join(' ')).toMatch(/d1/);
  });

  it('keeps the last document it loaded through a D1 outage, and says so in health', async () => {
    await putConfig(DOC);
    let down = false;
    const flakyDb = new Proxy(env.HIO_DB, {
      get(target, prop) {
        const value = Reflect.get(target, prop) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (down) throw new Error('D1_ERROR: D1 is down');
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    let t = Date.now();
    // a 1 s cache on a clock the test moves, so the outage begins after the document was cached
    const repo = createConfigRepo(flakyDb, 1000, () => {});
    const app = appWith((d) => ({ env: { ...d.env, HIO_DB: flakyDb }, configRepo: repo, now: () => t }));
    expect(await (await app.fetch('/page')).text()).toContain('<b>personal</b>');
    await app.settle();
    down = true;
    t += 60_000;
    // stale: answered from the cached document while the reload fails in the background
    expect(await (await app.fetch('/page')).text()).toContain('<b>personal</b>');
    await app.settle();
    expect(await (await app.fetch('/page')).text()).toContain('<b>personal</b>');
    expect((await repo.live(t)).degraded).toBe(true);
    const health = (await (await app.fetch('/__hio/health')).json()) as {
      ok: boolean;
      degraded: string[];
      campaigns: number;
    };
    expect(health.ok).toBe(false);
    expect(health.campaigns).toBe(1);
    expect(health.degraded.join(' ')).toMatch(/d1: error/);
    expect(health.degraded.join(' ')).toMatch(/config: serving a cached/);
  });

  it('answers 502 when the origin cannot be reached, and passes a slow origin through', async () => {
    // with the HTML cache on (HTML_CACHE=on, as the shipped wrangler.toml has it)
    const down = appWith(() => ({
      fetchOrigin: () => Promise.reject(new TypeError('fetch failed')),
      htmlCache: caches.default,
    }));
    const res = await down.fetch('/page?not-cached');
    expect(res.status).toBe(502);
    // a page the HTML cache holds (the origin made it shareable) is still served within its max-age
    const up = appWith(() => ({ htmlCache: caches.default }));
    await (await up.fetch('/page?cached-before')).text();
    await up.settle();
    const cached = await down.fetch('/page?cached-before');
    expect(cached.status).toBe(200);
    expect(await cached.text()).toContain('<b>personal</b>');
    const slow = appWith(() => ({}));
    const r2 = await slow.fetch('/slow?ms=300');
    expect(r2.status).toBe(200);
    expect(await r2.text()).toContain('<b>personal</b>');
  });
});

describe('corrupt data in a store', () => {
  it('reads a corrupt profile as empty, serves the page, and heals it on the next write', async () => {
    await putConfig(DOC);
    const app = appWith(() => ({}));
    const cookie = await cookieFor(app.fetch);
    const id = cookie.slice('hio_vid='.length).split('.')[0] as string;
    await app.settle();
    await env.HIO_KV.put(`p:${id}`, '{"a.all": 3, "x": [oops');
    await env.HIO_KV.put(`b:${id}`, '"a string, not a profile"');
    const res = await app.fetch('/page', { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<b>personal</b>');
    await app.settle();
    const healed = JSON.parse((await env.HIO_KV.get(`p:${id}`)) as string) as Record<string, unknown>;
    expect(healed['a.all']).toMatch(/^v\|/);
  });

  it('serves pages when the stored campaign document no longer parses', async () => {
    await putConfig(DOC);
    await env.HIO_DB.prepare('INSERT INTO configs (document, created_at) VALUES (?, ?)')
      .bind('{"version": 2}', Date.now())
      .run();
    createConfigRepo(env.HIO_DB, 0, () => {}).invalidate();
    const app = appWith((d) => ({ configRepo: createConfigRepo(d.env.HIO_DB, 60_000, () => {}) }));
    const res = await app.fetch('/page');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(PAGE);
    expect(res.headers.getSetCookie()).toEqual([]);
    const health = (await (await app.fetch('/__hio/health')).json()) as { degraded: string[] };
    expect(health.degraded.join(' ')).toMatch(/config/);
    await putConfig(DOC);
  });
});

describe('decision still pending when the origin answers', () => {
  it('streams at once and lets the slot wait for the decision', async () => {
    await putConfig(DOC);
    const good = appWith(() => ({}));
    const cookie = await cookieFor(good.fetch);
    await good.settle();
    const slowish = appWith((d) => ({
      // from the network: a page from the HTML cache waits for the decision instead
      htmlCache: null,
      store: {
        ...d.store,
        load: async (id: string) => {
          await new Promise((r) => setTimeout(r, 30));
          return d.store.load(id);
        },
      },
    }));
    const res = await slowish.fetch('/page', { headers: { cookie } });
    expect(res.headers.get('server-timing')).toBe('hio;desc="decide, streamed"');
    expect(res.headers.get('cache-control')).toMatch(/^private/);
    expect(res.headers.get('etag')).toBeNull();
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    // the rewriter emits what precedes a waiting slot: the first bytes do not wait for the decision
    expect(first.startsWith('<!doctype html>')).toBe(true);
    expect(first).not.toContain('id="hero"');
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read())
      rest += new TextDecoder().decode(r.value);
    expect(rest).toContain(
      '<section id="hero" data-hio-campaign="all" data-hio-variant="v"><b>personal</b></section>',
    );
  });
});
