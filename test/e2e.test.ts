/**
 * The personalization loop end to end, as a visitor lives it: real Chromium, the demo shop as the
 * origin, and the worker under `wrangler dev` with local KV and D1 and the demo campaigns (with every
 * test split set to show its variant, so the path is deterministic).
 */
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CAMPAIGNS, freePort, startDevStack } from '../scripts/lib/dev-stack.mjs';
import { launchBrowser } from './support/browser.ts';

interface Stack {
  workerUrl: string;
  stop(): Promise<void>;
}

const doc = JSON.parse(readFileSync(DEMO_CAMPAIGNS, 'utf8')) as {
  holdout?: number;
  campaigns: { weights?: number[]; variants: unknown[] }[];
};
doc.holdout = 0;
for (const c of doc.campaigns) c.weights = c.variants.map((_, i) => (i === c.variants.length - 1 ? 1 : 0));

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let tab: Page;
// the beacon traffic, printed when an expectation about the profile fails
const beacons: string[] = [];

async function meJson(): Promise<{
  profile: { topInterest: string | null; conversions: Record<string, number>; engaged: boolean };
  campaigns: { campaign: string; status: string; reason: string; variant?: string }[];
}> {
  const res = await context.request.get(`${stack.workerUrl}/__hio/me`);
  return res.json();
}

async function hero(): Promise<string> {
  return ((await tab.locator('#hero').textContent()) ?? '').replace(/\s+/g, ' ');
}

/** Scrolls down step by step, as a reader does, so the script sees every depth on the way. */
async function scrollToBottom(): Promise<void> {
  await tab.evaluate(async () => {
    // Chromium dispatches scroll events once per frame, before the frame's animation callbacks:
    // once the next frame's callback runs, the script has handled this step's scroll event
    const frame = () => new Promise((r) => requestAnimationFrame(r));
    for (let y = 0; y <= document.body.scrollHeight; y += 400) {
      window.scrollTo(0, y);
      await frame();
    }
    window.scrollTo(0, document.body.scrollHeight);
    await frame();
  });
}

describe('the demo shop behind HIO, in Chromium', () => {
  beforeAll(async () => {
    const [shopPort, workerPort] = [await freePort(), await freePort()];
    stack = await startDevStack({
      shopPort,
      workerPort,
      campaigns: doc,
      persistTo: true,
      adminToken: 'e2e-token',
    });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    tab = await context.newPage();
    tab.on('request', (r) => {
      if (r.url().includes('/__hio/collect'))
        beacons.push(`${r.method()} ${r.resourceType()} ${r.postData()}`);
    });
    tab.on('response', (r) => {
      if (r.url().includes('/__hio/collect')) beacons.push(`-> ${r.status()}`);
    });
    tab.on('requestfailed', (r) => {
      if (r.url().includes('/__hio/collect')) beacons.push(`FAILED ${r.failure()?.errorText}`);
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('greets a new visitor, follows their interest, and changes after a purchase', {
    timeout: 120_000,
  }, async () => {
    await tab.goto(`${stack.workerUrl}/`);
    expect(await hero()).toMatch(/welcome/i);
    expect(await tab.locator('#hero').getAttribute('data-hio-campaign')).toBe('welcome');

    // browse and read the shoes pages
    await tab.goto(`${stack.workerUrl}/c/shoes`);
    await scrollToBottom();
    const product = await tab.locator('a.card').first().getAttribute('href');
    await tab.goto(`${stack.workerUrl}${product}`);
    await scrollToBottom();
    await tab.goto(`${stack.workerUrl}/c/shoes`);
    await expect.poll(async () => (await meJson()).profile.topInterest, { timeout: 30_000 }).toBe('shoes');

    await tab.goto(`${stack.workerUrl}/`);
    expect(await hero()).toMatch(/shoes/i);
    expect(await tab.locator('#hero').getAttribute('data-hio-campaign')).toBe('shoes-affinity');
    // the strip the home page's own script renders after load is filled through the decision API
    await expect
      .poll(() => tab.locator('#tip').getAttribute('data-hio-variant'), { timeout: 10_000 })
      .toBe('interest-tip');
    expect(await tab.locator('#tip').textContent()).toMatch(/Back for more shoes/);

    // buy what "You might also like" shows first: the click on a listed item says which, and where
    await tab.goto(`${stack.workerUrl}${product}`);
    const listed = tab.locator('#also-like [data-hio-item]').first();
    await listed.scrollIntoViewIfNeeded();
    const clicked = await listed.getAttribute('data-hio-item');
    expect(await listed.getAttribute('data-hio-pos')).toBe('1');
    await listed.click();
    await tab.waitForURL(new RegExp(`/p/${clicked}$`));
    // add to cart, check out with the data-hio-goal="purchase" button
    await tab.locator('form[action="/cart"] button[type="submit"]').first().click();
    await tab.waitForURL(/\/cart$/);
    await tab.goto(`${stack.workerUrl}/checkout`);
    await tab.locator('[data-hio-goal="purchase"]').click();
    await tab.waitForURL(/\/thanks/);
    await expect
      .poll(async () => (await meJson()).profile.conversions.purchase ?? 0, { timeout: 30_000 })
      .toBe(1)
      .catch((e) => {
        console.log(beacons.join('\n'));
        throw e;
      });

    await tab.goto(`${stack.workerUrl}/`);
    expect(await tab.locator('#hero').getAttribute('data-hio-campaign')).toBe('post-purchase');
    expect(await tab.locator('#offer').getAttribute('data-hio-campaign')).toBeNull();

    // the click is counted at its position, with the purchase it led to and the item it bought
    await expect
      .poll(
        async () => {
          const res = await context.request.get(`${stack.workerUrl}/__hio/admin/results`, {
            headers: { authorization: 'Bearer e2e-token' },
          });
          const report = (await res.json()) as {
            campaigns: { id: string; variants: { id: string; items?: Record<string, unknown> }[] }[];
          };
          const items = report.campaigns
            .find((c) => c.id === 'also-like')
            ?.variants.find((v) => v.id === 'similar')?.items as {
            clicks: number;
            conversions: number;
            itemsBought: number;
            positions: { position: number }[];
          };
          return items && [items.clicks, items.conversions, items.itemsBought, items.positions[0]?.position];
        },
        { timeout: 30_000 },
      )
      .toEqual([1, 1, 1, 1]);

    // /__hio/me shows why
    const why = await meJson();
    const status = Object.fromEntries(why.campaigns.map((c) => [c.campaign, c.status]));
    expect(status['post-purchase']).toBe('assigned');
    expect(status['shoes-affinity']).toBe('slot-taken');
    expect(why.campaigns.find((c) => c.campaign === 'welcome')?.reason).toMatch(/newVisitor|slot/);
  });
});
