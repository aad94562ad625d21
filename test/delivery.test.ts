/**
 * At-least-once delivery, end to end: real Chromium, the demo shop behind the worker under `wrangler dev`
 * with STATE_BACKEND=upstash, and a switch in front of the Upstash bridge that takes the visitor store
 * down (every call answers 503, so the collector answers 503). A purchase clicked while the store is down
 * is kept by the browser script and counted exactly once when the store is back, however often it is sent.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CAMPAIGNS, freePort, startDevStack } from '../scripts/lib/dev-stack.mjs';
import { launchBrowser } from './support/browser.ts';
import { startUpstash, type UpstashBridge } from './support/redis.ts';

process.env.UPSTASH_DISABLE_TELEMETRY = '1';

/** A pass-through to `target` that answers 503 to everything while `down`. */
async function storeSwitch(target: string): Promise<{ url: string; down: boolean; close(): Promise<void> }> {
  const state = { down: false };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (state.down) {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"store down (test)"}');
        return;
      }
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers))
        if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers.set(k, v);
      fetch(target + (req.url ?? '/'), {
        method: req.method,
        headers,
        body: req.method === 'GET' || req.method === 'HEAD' ? undefined : Buffer.concat(chunks),
      }).then(
        async (r) => {
          res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
          res.end(Buffer.from(await r.arrayBuffer()));
        },
        () => res.writeHead(502).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

interface Collect {
  body: string;
  status?: number;
}

let upstash: UpstashBridge;
let store: Awaited<ReturnType<typeof storeSwitch>>;
let stack: { workerUrl: string; stop(): Promise<void>; output(lines?: number): string };
let browser: Browser;
let context: BrowserContext;
let tab: Page;
const collects: Collect[] = [];

async function purchases(): Promise<number | undefined> {
  const res = await context.request.get(`${stack.workerUrl}/__hio/me`, {
    headers: { accept: 'application/json' },
  });
  if (!res.ok()) return undefined;
  const me = (await res.json()) as { profile?: { conversions?: Record<string, number> } };
  return me.profile?.conversions?.purchase ?? 0;
}

const stored = () => tab.evaluate(() => localStorage.getItem('hio_q'));

describe('a purchase while the visitor store is down', () => {
  beforeAll(async () => {
    upstash = await startUpstash();
    store = await storeSwitch(upstash.url);
    const doc = JSON.parse(readFileSync(DEMO_CAMPAIGNS, 'utf8')) as object;
    stack = await startDevStack({
      shopPort: await freePort(),
      workerPort: await freePort(),
      persistTo: true,
      campaigns: doc,
      vars: {
        STATE_BACKEND: 'upstash',
        UPSTASH_REDIS_REST_URL: store.url,
        UPSTASH_REDIS_REST_TOKEN: upstash.token,
      },
    });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.on('request', (r) => {
      if (new URL(r.url()).pathname === '/__hio/collect') collects.push({ body: r.postData() ?? '' });
    });
    context.on('response', (r) => {
      if (new URL(r.url()).pathname !== '/__hio/collect') return;
      const entry = collects.find((c) => c.body === r.request().postData() && c.status === undefined);
      if (entry) entry.status = r.status();
    });
    context.on('requestfailed', (r) => {
      if (new URL(r.url()).pathname === '/__hio/collect') console.log('failed', r.failure()?.errorText);
    });
    tab = await context.newPage();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await store?.close();
    await upstash?.stop();
  });

  it('is kept by the browser and counted exactly once when the store is back', {
    timeout: 120_000,
  }, async () => {
    await tab.goto(`${stack.workerUrl}/c/shoes`);
    const product = await tab.locator('a.card').first().getAttribute('href');
    await tab.goto(`${stack.workerUrl}${product}`);
    await tab.locator('form[action="/cart"] button[type="submit"]').first().click();
    await tab.waitForURL(/\/cart$/);
    await tab.goto(`${stack.workerUrl}/checkout`);
    expect(await purchases()).toBe(0);

    store.down = true;
    await tab.locator('[data-hio-goal="purchase"]').click();
    await tab.waitForURL(/\/thanks/);
    // the checkout page sent it as it was left (the worker answers 503; Chromium reports a keepalive request
    // of a page that is gone as aborted), and the thanks page sends it again on load: refused too
    await expect
      .poll(() => collects.some((c) => c.body.includes('"purchase"') && c.status === 503), {
        timeout: 20_000,
      })
      .toBe(true);
    const kept = JSON.parse((await stored()) ?? '[]') as { t: string; goal?: string; id: string }[];
    const purchase = kept.find((e) => e.t === 'conversion' && e.goal === 'purchase');
    expect(purchase).toBeDefined();
    expect(await purchases()).toBeUndefined(); // /__hio/me cannot read the store either

    store.down = false;
    await tab.goto(`${stack.workerUrl}/`);
    await expect.poll(() => stored(), { timeout: 20_000 }).toBeNull();
    expect(await purchases()).toBe(1);

    // whatever is sent again (a later page, another tab, a replayed request) counts once
    const again = collects.find((c) => c.body.includes(purchase!.id));
    const res = await context.request.post(`${stack.workerUrl}/__hio/collect`, {
      headers: { 'content-type': 'text/plain' },
      data: again!.body,
    });
    expect(res.status()).toBe(204);
    await tab.goto(`${stack.workerUrl}/c/shoes`);
    await tab.goto(`${stack.workerUrl}/`);
    expect(await purchases()).toBe(1);
  });
});
