/**
 * The Upstash REST bridge, driven by the real @upstash/redis client against a real redis-server.
 *
 * Why: local dev and the Upstash state adapter's tests trust the bridge to answer exactly like Upstash does;
 * if it drifts (encoding, reply shapes, errors, transactions), those would pass here and fail in production.
 */
import { Redis } from '@upstash/redis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startBridge } from '../scripts/upstash-bridge.mjs';
import { startUpstash, type UpstashBridge } from './support/redis';

process.env.UPSTASH_DISABLE_TELEMETRY = '1';

let upstash: UpstashBridge;
let redis: Redis;

beforeAll(async () => {
  upstash = await startUpstash();
  redis = upstash.redis;
});

afterAll(async () => {
  await upstash?.stop();
});

beforeEach(async () => {
  await redis.flushdb();
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** A second client on the same bridge. */
function client(options: { enableAutoPipelining?: boolean; automaticDeserialization?: boolean } = {}) {
  return new Redis({
    url: upstash.url,
    token: upstash.token,
    retry: false,
    enableTelemetry: false,
    ...options,
  });
}

/** Speaks the protocol directly, to check what goes over the wire. */
async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(upstash.url + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${upstash.token}`, ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as unknown };
}

describe('strings', () => {
  it('round-trips strings exactly, whatever they look like', async () => {
    const raw = client({ automaticDeserialization: false });
    const values = [
      'héllo wörld 🌍 日本語',
      '42',
      '007',
      '3.14',
      '{"a":1}',
      '[1,2]',
      'null',
      'true',
      'OK',
      'T0s=',
      '',
    ];
    for (const [i, value] of values.entries()) {
      expect(await raw.set(`s:${i}`, value)).toBe('OK');
      expect(await raw.get(`s:${i}`)).toBe(value);
    }
  });

  it('lets the client deserialize JSON values as it does against Upstash', async () => {
    await redis.set('obj', { name: 'Zoë', tags: ['a', 'b'], n: 1 });
    expect(await redis.get('obj')).toEqual({ name: 'Zoë', tags: ['a', 'b'], n: 1 });
    await redis.set('num', 42);
    expect(await redis.get('num')).toBe(42);
    expect(await redis.get('missing')).toBeNull();
  });

  it('base64-encodes every string except the status reply OK', async () => {
    const b64 = { 'upstash-encoding': 'base64' };
    expect(await post('/', ['set', 'k', 'é'], b64)).toEqual({ status: 200, body: { result: 'OK' } });
    expect(await post('/', ['get', 'k'], b64)).toEqual({ status: 200, body: { result: 'w6k=' } });
    expect(await post('/', ['ping'], b64)).toEqual({ status: 200, body: { result: 'UE9ORw==' } });
    expect(await post('/', ['get', 'k'])).toEqual({ status: 200, body: { result: 'é' } });
  });

  it('increments counters as numbers', async () => {
    expect(await redis.incr('n')).toBe(1);
    expect(await redis.incrby('n', 41)).toBe(42);
    expect(await redis.decr('n')).toBe(41);
  });

  it('deletes keys', async () => {
    await redis.set('a', '1');
    await redis.set('b', '2');
    expect(await redis.del('a', 'b', 'c')).toBe(2);
    expect(await redis.get('a')).toBeNull();
  });

  it('expires keys', async () => {
    await redis.set('t', 'v');
    expect(await redis.ttl('t')).toBe(-1);
    expect(await redis.expire('t', 100)).toBe(1);
    const ttl = await redis.ttl('t');
    expect(ttl).toBeGreaterThan(90);
    expect(ttl).toBeLessThanOrEqual(100);
    await redis.set('short', 'v', { px: 50 });
    expect(await redis.get('short')).toBe('v');
    // expiry happens on redis-server's clock, in another process: ask again (bounded) until it is gone
    await expect.poll(() => redis.get('short'), { timeout: 2000, interval: 20 }).toBeNull();
    expect(await redis.ttl('missing')).toBe(-2);
  });
});

describe('hashes and sets', () => {
  it('hset, hgetall and hincrby', async () => {
    expect(await redis.hset('h', { visits: 1, seg: 'returning', ünï: 'cödé' })).toBe(3);
    expect(await redis.hincrby('h', 'visits', 4)).toBe(5);
    expect(await redis.hgetall('h')).toEqual({ visits: 5, seg: 'returning', ünï: 'cödé' });
    expect(await redis.hgetall('missing')).toBeNull();
  });

  it('keeps HGETALL a flat RESP2 array on the wire', async () => {
    await redis.hset('h', { a: 'x', b: 'y' });
    const { body } = await post('/', ['hgetall', 'h']);
    expect(body).toEqual({ result: expect.any(Array) });
    const flat = (body as { result: string[] }).result;
    expect(flat).toHaveLength(4);
    expect(Object.fromEntries([0, 2].map((i) => [flat[i], flat[i + 1]]))).toEqual({ a: 'x', b: 'y' });
  });

  it('sadd and smembers', async () => {
    expect(await redis.sadd('s', 'a', 'b', 'c')).toBe(3);
    expect(await redis.sadd('s', 'a')).toBe(0);
    expect((await redis.smembers('s')).sort()).toEqual(['a', 'b', 'c']);
  });
});

describe('pipelines and transactions', () => {
  it('runs redis.pipeline() in order, with per-command errors', async () => {
    const results = await redis.pipeline().set('p', 'x').incr('n').incr('n').get('p').exec();
    expect(results).toEqual(['OK', 1, 2, 'x']);

    const withError = await redis.pipeline().incr('p').get('p').exec({ keepErrors: true });
    expect(withError[0]?.error).toMatch(/^ERR value is not an integer/);
    expect(withError[1]).toEqual({ result: 'x', error: undefined });
  });

  it('serves auto-pipelined commands in one request', async () => {
    const auto = client({ enableAutoPipelining: true });
    const writes = await Promise.all(Array.from({ length: 20 }, (_, i) => auto.set(`k:${i}`, `v${i}`)));
    expect(writes).toEqual(Array(20).fill('OK'));
    const reads = await Promise.all(Array.from({ length: 20 }, (_, i) => auto.get(`k:${i}`)));
    expect(reads).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`));
    expect((auto as unknown as { pipelineCounter: number }).pipelineCounter).toBe(2);
  });

  it('runs redis.multi() as one transaction', async () => {
    const results = await redis
      .multi()
      .set('m', 'a')
      .hset('mh', { f: 1 })
      .hincrby('mh', 'f', 2)
      .get('m')
      .exec();
    expect(results).toEqual(['OK', 1, 3, 'a']);
  });

  it('discards the whole transaction when a command cannot be queued', async () => {
    const { status, body } = await post('/multi-exec', [['set', 'x', '1'], ['nosuchcmd'], ['incr', 'n']]);
    expect(status).toBe(200);
    const [first, second, third] = body as Array<{ error?: string }>;
    expect(first?.error).toMatch(/^EXECABORT/);
    expect(second?.error).toMatch(/^ERR unknown command/);
    expect(third?.error).toMatch(/^EXECABORT/);
    expect(await redis.get('x')).toBeNull();
    expect(await redis.get('n')).toBeNull();
    await expect(redis.multi().set('x', '1').incr('x').exec()).resolves.toEqual(['OK', 2]);
  });

  it('reports a runtime error inside EXEC for its own command only, like Redis', async () => {
    await expect(redis.multi().set('x', 'text').incr('x').set('y', '1').exec()).rejects.toThrow(
      /Command 2 \[ incr \] failed: ERR value is not an integer/,
    );
    expect(await redis.get('y')).toBe(1);
  });

  it('keeps 50 concurrent multi-exec hincrby transactions isolated', async () => {
    const raw = client({ enableAutoPipelining: false });
    const seen = await Promise.all(
      Array.from({ length: 50 }, () => raw.multi().hincrby('c', 'n', 1).hget<number>('c', 'n').exec()),
    );
    expect(await raw.hget('c', 'n')).toBe(50);
    // Each transaction reads back its own increment: nothing ran between its HINCRBY and HGET.
    for (const [incremented, read] of seen) expect(read).toBe(incremented);
    expect(seen.map(([incremented]) => incremented).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
  });
});

describe('scripts', () => {
  const source = 'redis.call("SET", KEYS[1], ARGV[1]); return {KEYS[1], redis.call("GET", KEYS[1]), 7}';

  it('eval returns nested replies', async () => {
    expect(await redis.eval(source, ['lua:k'], ['héllo'])).toEqual(['lua:k', 'héllo', 7]);
  });

  it('script load and evalsha', async () => {
    const sha = await redis.scriptLoad(source);
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(await redis.evalsha(sha, ['lua:k'], ['v'])).toEqual(['lua:k', 'v', 7]);
  });

  it('answers an unknown sha with NOSCRIPT', async () => {
    const { status, body } = await post('/', ['evalsha', '0'.repeat(40), '0']);
    expect(status).toBe(400);
    expect((body as { error: string }).error).toMatch(/^NOSCRIPT/);
    await expect(redis.evalsha('0'.repeat(40), [], [])).rejects.toThrow(/NOSCRIPT/);
  });

  it('lets createScript fall back from EVALSHA to EVAL', async () => {
    await redis.scriptFlush();
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    const script = redis.createScript<[string, string, number]>(source);
    expect(await script.exec(['lua:s'], ['first'])).toEqual(['lua:s', 'first', 7]);
    const sent = fetchSpy.mock.calls.map(([, init]) => String(init?.body));
    expect(sent[0]).toContain('"evalsha"');
    expect(sent[1]).toContain('"eval"');
    // EVAL cached the script, so EVALSHA alone works now.
    expect(await script.evalsha(['lua:s'], ['second'])).toEqual(['lua:s', 'second', 7]);
  });
});

describe('protocol edges', () => {
  it('rejects a wrong or missing token with 401', async () => {
    const wrong = await fetch(upstash.url, {
      method: 'POST',
      headers: { authorization: 'Bearer nope' },
      body: '["get","k"]',
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: 'Unauthorized' });
    const missing = await fetch(`${upstash.url}/get/k`);
    expect(missing.status).toBe(401);
    const bad = new Redis({ url: upstash.url, token: 'nope', retry: false, enableTelemetry: false });
    await expect(bad.get('k')).rejects.toThrow(/Unauthorized/);
  });

  it('answers an unknown command with 400 and the Redis error', async () => {
    const { status, body } = await post('/', ['nosuchcmd', 'x']);
    expect(status).toBe(400);
    expect((body as { error: string }).error).toMatch(/^ERR unknown command 'nosuchcmd'/);
    await expect(redis.exec(['nosuchcmd'])).rejects.toThrow(/ERR unknown command/);
  });

  it('refuses commands that would change the shared connection', async () => {
    const { status, body } = await post('/', ['select', '1']);
    expect(status).toBe(400);
    expect((body as { error: string }).error).toMatch(/not supported/);
  });

  it('serves path-style commands', async () => {
    const get = async (path: string) =>
      (await fetch(upstash.url + path, { headers: { authorization: `Bearer ${upstash.token}` } })).json();
    expect(await get('/set/path%20key/a%2Fb?EX=100')).toEqual({ result: 'OK' });
    expect(await get('/get/path%20key')).toEqual({ result: 'a/b' });
    expect(await get('/ttl/path%20key')).toEqual({ result: 100 });
    const viaQueryToken = await fetch(`${upstash.url}/get/path%20key?_token=${upstash.token}`);
    expect(await viaQueryToken.json()).toEqual({ result: 'a/b' });
  });

  it('refuses bodies over 10 MB', async () => {
    const res = await fetch(upstash.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${upstash.token}` },
      body: JSON.stringify(['set', 'big', 'x'.repeat(11 * 1024 * 1024)]),
    });
    expect(res.status).toBe(413);
  });

  it('fails to start when Redis is unreachable', async () => {
    await expect(startBridge({ redisUrl: 'redis://127.0.0.1:1', token: 't' })).rejects.toThrow();
  });
});
