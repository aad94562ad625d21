/**
 * The isolate's cache of the live campaign document against real (Miniflare) D1: a document that
 * another isolate saved is picked up only once CONFIG_TTL_SECONDS have passed, and then without
 * making a request wait for D1 (the stale document answers while the new one loads).
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { Bindings } from '../env.ts';
import { parseConfig } from '../env.ts';
import { createConfigRepo, type LiveConfig } from './config-repo.ts';

const doc = (html: string) =>
  JSON.stringify({
    version: 1,
    campaigns: [{ id: 'ttl', slot: { selector: '#hero', action: 'replace' }, variants: [{ id: 'v', html }] }],
  });

/** What another isolate does when it saves: a row in D1, which this isolate's cache does not see. */
async function saveElsewhere(html: string): Promise<number> {
  const row = await env.HIO_DB.prepare(
    'INSERT INTO configs (document, created_at) VALUES (?, ?) RETURNING id',
  )
    .bind(doc(html), Date.now())
    .first<{ id: number }>();
  return row?.id as number;
}

/** The same database under a binding object of its own, so the repo starts with an empty cache. */
const freshBinding = (): D1Database => new Proxy(env.HIO_DB, {});

/** Which of the documents above a live config holds. */
const html = (live: LiveConfig) => /<b>\w+<\/b>/.exec(JSON.stringify(live.doc.source))?.[0];

describe('the config cache', () => {
  it('reads CONFIG_TTL_SECONDS as the cache lifetime (default 10 s)', () => {
    const base = env as unknown as Bindings;
    expect(parseConfig({ ...base }).configTtlMs).toBe(10_000);
    expect(parseConfig({ ...base, CONFIG_TTL_SECONDS: '3' }).configTtlMs).toBe(3000);
  });

  it('picks up a document saved by another isolate only after the TTL', async () => {
    const ttlMs = parseConfig({ ...(env as unknown as Bindings), CONFIG_TTL_SECONDS: '10' }).configTtlMs;
    const first = await saveElsewhere('<b>first</b>');
    const repo = createConfigRepo(freshBinding(), ttlMs, () => {});
    const pending: Promise<unknown>[] = [];
    const waitUntil = (p: Promise<unknown>) => void pending.push(p);
    // starts at the real clock: the repo stamps a loaded document's expiry with Date.now(), not with `now`
    const t0 = Date.now();

    const a = await repo.live(t0, waitUntil);
    expect([a.version, html(a)]).toEqual([first, '<b>first</b>']);
    const second = await saveElsewhere('<b>second</b>');

    // within the TTL: the cached document, and no D1 read started
    const b = await repo.live(t0 + ttlMs / 2, waitUntil);
    expect([b.version, html(b)]).toEqual([first, '<b>first</b>']);
    expect(pending).toHaveLength(0);

    // past the TTL: this request still gets the cached one, while the new one loads after it
    const c = await repo.live(t0 + 2 * ttlMs, waitUntil);
    expect(c.version).toBe(first);
    expect(pending).toHaveLength(1);
    await Promise.all(pending);
    const d = await repo.live(t0 + 2 * ttlMs, waitUntil);
    expect([d.version, html(d), d.degraded]).toEqual([second, '<b>second</b>', false]);
  });
});
