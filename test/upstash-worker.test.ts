/**
 * The worker with STATE_BACKEND=upstash, under `wrangler dev`, against a real redis-server through the
 * Upstash REST bridge: pages and beacons read and write the visitor's hash in Redis, and the loop works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startDevStack } from '../scripts/lib/dev-stack.mjs';
import { DESKTOP_UA } from './support/browser.ts';
import { startUpstash, type UpstashBridge } from './support/redis.ts';

process.env.UPSTASH_DISABLE_TELEMETRY = '1';

const DOC = {
  version: 1,
  campaigns: [
    {
      id: 'buyers',
      slot: { selector: '#hero', action: 'replace' },
      targeting: { 'conversions.purchase': { $gte: 1 } },
      variants: [{ id: 'thanks', html: '<p>Thanks!</p>' }],
    },
  ],
};

let upstash: UpstashBridge;
let stack: { workerUrl: string; stop(): Promise<void> };

function get(path: string, cookie?: string): Promise<Response> {
  return fetch(stack.workerUrl + path, {
    headers: { 'user-agent': DESKTOP_UA, accept: 'text/html', ...(cookie ? { cookie } : {}) },
  });
}

describe('STATE_BACKEND=upstash', () => {
  beforeAll(async () => {
    upstash = await startUpstash();
    stack = await startDevStack({
      shopPort: await freePort(),
      workerPort: await freePort(),
      persistTo: true,
      campaigns: DOC,
      vars: {
        STATE_BACKEND: 'upstash',
        UPSTASH_REDIS_REST_URL: upstash.url,
        UPSTASH_REDIS_REST_TOKEN: upstash.token,
      },
    });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await upstash?.stop();
  });

  it('keeps visitor state in Redis and personalizes from it', { timeout: 60_000 }, async () => {
    const health = (await (await get('/__hio/health')).json()) as {
      backends: { state: string };
      ok: boolean;
    };
    expect(health.backends.state).toBe('upstash');
    expect(health.ok).toBe(true);

    const first = await get('/');
    const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0] as string;
    expect(cookie).toMatch(/^hio_vid=/);
    expect(await first.text()).not.toContain('Thanks!');
    const id = cookie.slice('hio_vid='.length).split('.')[0] as string;

    const batch = JSON.stringify({
      v: 1,
      events: [
        { t: 'pageview', id: 'page-e2e-1', path: '/' },
        { t: 'conversion', id: 'conv-e2e-1', goal: 'purchase', value: 42 },
      ],
    });
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${stack.workerUrl}/__hio/collect`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', cookie, 'user-agent': DESKTOP_UA },
        body: batch,
      });
      expect(res.status).toBe(204);
    }
    expect(await upstash.redis.hget(`hio:v:${id}`, 'c.purchase')).toBe(1);
    expect(await upstash.redis.hget(`hio:v:${id}`, 'pv')).toBe(1);

    const second = await get('/', cookie);
    expect(await second.text()).toContain('<p>Thanks!</p>');

    const erase = await fetch(`${stack.workerUrl}/__hio/me`, { method: 'DELETE', headers: { cookie } });
    expect(erase.status).toBe(200);
    expect(await upstash.redis.exists(`hio:v:${id}`)).toBe(0);
  });
});
