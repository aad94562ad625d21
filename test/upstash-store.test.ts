/**
 * The Upstash store against a real redis-server behind the Upstash REST bridge, with the real client:
 * the shared StateStore contract, the retention TTL, and the point of this backend: concurrent updates
 * of one visitor are all counted, exactly once.
 */
import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Op, OpGroup } from '../worker/engine/index.ts';
import { describeStateStore, freshVisitor } from '../worker/state/store-contract.ts';
import { createUpstashStore } from '../worker/state/upstash-store.ts';
import { startUpstash, type UpstashBridge } from './support/redis';

process.env.UPSTASH_DISABLE_TELEMETRY = '1';

let upstash: UpstashBridge;

beforeAll(async () => {
  upstash = await startUpstash();
});

afterAll(async () => {
  await upstash?.stop();
});

/** A client of its own, as each worker isolate has: no auto-pipelining shared with other callers. */
function client(): Redis {
  return new Redis({
    url: upstash.url,
    token: upstash.token,
    retry: false,
    enableTelemetry: false,
    enableAutoPipelining: false,
  });
}

describeStateStore('upstash', async () => ({
  store: createUpstashStore(upstash.redis),
  cleanup: async () => {
    await upstash.redis.flushall();
  },
}));

const T0 = Date.UTC(2026, 3, 20, 9);
const HALF = 7 * 86_400_000;
const OPTS = { ttlSeconds: 3600 };

describe('upstash store', () => {
  it('keeps one hash and one id set per visitor, both with the retention TTL', async () => {
    const id = freshVisitor();
    const store = createUpstashStore(client());
    await store.apply(id, 'page', [{ ops: [{ o: 'inc', f: 'pv', n: 1 }] }], { ttlSeconds: 86_400 });
    await store.apply(id, 'beacon', [{ id: 'e1', ops: [{ o: 'inc', f: 'et', n: 1 }] }], {
      ttlSeconds: 86_400,
    });
    const redis = upstash.redis;
    expect(await redis.keys(`hio:*${id}`)).toEqual(expect.arrayContaining([`hio:v:${id}`, `hio:e:${id}`]));
    for (const key of [`hio:v:${id}`, `hio:e:${id}`]) {
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(86_400 - 5);
      expect(ttl).toBeLessThanOrEqual(86_400);
    }
    // every apply refreshes it
    await redis.expire(`hio:v:${id}`, 10);
    await store.apply(id, 'beacon', [{ id: 'e1', ops: [{ o: 'inc', f: 'et', n: 1 }] }], {
      ttlSeconds: 86_400,
    });
    expect(await redis.ttl(`hio:v:${id}`)).toBeGreaterThan(86_400 - 5);
    await store.erase(id);
    expect(await redis.exists(`hio:v:${id}`, `hio:e:${id}`)).toBe(0);
  });

  it('counts 50 concurrent beacon batches of one visitor exactly', async () => {
    const id = freshVisitor();
    const ms = Array.from({ length: 50 }, (_, i) => 1000 + i * 37);
    const batch = (i: number): OpGroup[] => [
      { id: `c${i}`, ops: [{ o: 'inc', f: 'c.goal', n: 1 }] },
      {
        id: `e${i}`,
        ops: [
          { o: 'inc', f: 'et', n: ms[i] as number },
          { o: 'decay', f: 'i.shoes', n: 1, now: T0, half: HALF },
        ],
      },
    ];
    const results = await Promise.all(
      ms.map((_, i) => createUpstashStore(client()).apply(id, 'beacon', batch(i), OPTS)),
    );
    expect(results.every((r) => r.applied === 2 && r.duplicates === 0)).toBe(true);
    const p = (await createUpstashStore(client()).load(id)).profile;
    expect(p['c.goal']).toBe(50);
    expect(p.et).toBe(ms.reduce((a, b) => a + b, 0));
    expect(p['i.shoes']).toBe(50);
  });

  it('counts 50 concurrent page views of one visitor exactly', async () => {
    const id = freshVisitor();
    const page = (now: number): Op[] => [
      { o: 'session', now, idle: 30 * 60_000 },
      { o: 'inc', f: 'pv', n: 1 },
      { o: 'inc', f: 'spv', n: 1 },
    ];
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        createUpstashStore(client()).apply(id, 'page', [{ ops: page(T0 + i) }], OPTS),
      ),
    );
    const p = (await createUpstashStore(client()).load(id)).profile;
    expect(p).toMatchObject({ pv: 50, spv: 50, v: 1, fs: expect.any(Number), ls: T0 + 49 });
  });

  it('counts a batch retried concurrently once', async () => {
    const id = freshVisitor();
    const batch: OpGroup[] = ['r1', 'r2', 'r3'].map((eid) => ({
      id: eid,
      ops: [{ o: 'inc', f: 'c.goal', n: 1 }],
    }));
    const results = await Promise.all(
      Array.from({ length: 50 }, () => createUpstashStore(client()).apply(id, 'beacon', batch, OPTS)),
    );
    expect(results.reduce((a, r) => a + r.applied, 0)).toBe(3);
    expect(results.reduce((a, r) => a + r.duplicates, 0)).toBe(147);
    expect((await createUpstashStore(client()).load(id)).profile['c.goal']).toBe(3);
  });

  it('remembers only the newest event ids', async () => {
    const id = freshVisitor();
    const store = createUpstashStore(client(), { maxEventIds: 5 });
    const conv = (eid: string): OpGroup => ({ id: eid, ops: [{ o: 'inc', f: 'c.goal', n: 1 }] });
    await store.apply(id, 'beacon', ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map(conv), OPTS);
    expect(await upstash.redis.zcard(`hio:e:${id}`)).toBe(5);
    expect(await store.apply(id, 'beacon', [conv('g'), conv('c')], OPTS)).toEqual({
      applied: 0,
      duplicates: 2,
    });
    expect(await store.apply(id, 'beacon', [conv('a')], OPTS)).toEqual({ applied: 1, duplicates: 0 });
  });

  it('keeps the id set of a busy visitor at 128 ids in Redis’s compact encoding', async () => {
    const id = freshVisitor();
    const store = createUpstashStore(client());
    for (let b = 0; b < 3; b++) {
      const batch = Array.from({ length: 100 }, (_, i) => ({
        id: `b${b}e${i}x${id}`.slice(0, 14),
        ops: [{ o: 'inc', f: 'et', n: 1 } as const],
      }));
      expect(await store.apply(id, 'beacon', batch, OPTS)).toEqual({ applied: 100, duplicates: 0 });
    }
    const key = `hio:e:${id}`;
    expect(await upstash.redis.zcard(key)).toBe(128);
    expect(await upstash.redis.exec(['OBJECT', 'ENCODING', key])).toBe('listpack');
    expect(Number(await upstash.redis.exec(['MEMORY', 'USAGE', key]))).toBeLessThan(4096);
  });

  it('falls back from EVALSHA to EVAL when Redis has lost the scripts', async () => {
    const id = freshVisitor();
    const store = createUpstashStore(client());
    await store.apply(id, 'beacon', [{ ops: [{ o: 'inc', f: 'et', n: 1 }] }], OPTS);
    await upstash.redis.scriptFlush();
    await store.apply(id, 'beacon', [{ ops: [{ o: 'inc', f: 'et', n: 1 }] }], OPTS);
    await upstash.redis.scriptFlush();
    expect((await store.load(id)).profile).toEqual({ et: 2 });
  });

  it('reads profiles the same with or without the client’s automatic deserialization', async () => {
    const id = freshVisitor();
    const raw = new Redis({
      url: upstash.url,
      token: upstash.token,
      retry: false,
      automaticDeserialization: false,
    });
    const groups: OpGroup[] = [
      {
        ops: [
          { o: 'set', f: 'lc', v: 'true' },
          { o: 'set', f: 'a.x', v: '"q"|1' },
          { o: 'inc', f: 'n', n: 0.5 },
        ],
      },
    ];
    await createUpstashStore(raw).apply(id, 'beacon', groups, OPTS);
    const expected = { lc: 'true', 'a.x': '"q"|1', n: 0.5 };
    expect((await createUpstashStore(raw).load(id)).profile).toEqual(expected);
    expect((await createUpstashStore(upstash.redis).load(id)).profile).toEqual(expected);
  });

  it('fails loudly when Redis cannot be reached', async () => {
    const down = new Redis({ url: 'http://127.0.0.1:1', token: 't', retry: false, enableTelemetry: false });
    const store = createUpstashStore(down);
    await expect(store.ping()).rejects.toThrow();
    await expect(store.load('v1')).rejects.toThrow();
  });
});
