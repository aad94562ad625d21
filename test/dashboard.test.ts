/**
 * The dashboard as a marketer uses it: real Chromium, the demo shop behind the worker under `wrangler dev`,
 * traffic with known true rates sent through the worker by the demo-traffic generator, then a login through
 * the form. Every number in the variant tables must be the results API's number, formatted the page's way,
 * and the charts must have drawn their points. Leaves a screenshot at /tmp/hio-dashboard.png.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTraffic, waitForRecorded } from '../scripts/demo-traffic.mjs';
import type { Report } from '../worker/engine/index.ts';
import { fmt, testId, verdictLabel } from '../worker/routes/dashboard-format.ts';
import { launchBrowser } from './support/browser.ts';
import { type TestStack, useDevStack } from './support/dev-stack.ts';

const TOKEN = 'dashboard-e2e-token';
const DOC = {
  version: 1,
  holdout: 0.1,
  campaigns: [
    {
      id: 'hero-test',
      slot: { selector: '#hero', action: 'replace' },
      weights: [0.5, 0.5],
      variants: [
        { id: 'control' },
        { id: 'bold', html: '<div class="hio-banner"><h1>Free shipping on everything today</h1></div>' },
      ],
      goals: ['purchase'],
    },
  ],
};

let stack: TestStack;
let browser: Browser;

async function results(): Promise<Report> {
  const res = await stack.admin('/__hio/admin/results');
  expect(res.status).toBe(200);
  return (await res.json()) as Report;
}

async function text(page: Page, id: string): Promise<string> {
  return ((await page.locator(`[data-testid="${id}"]`).textContent()) ?? '').trim();
}

describe('the results dashboard, in Chromium', () => {
  stack = useDevStack({ campaigns: DOC, adminToken: TOKEN, startTimeoutMs: 180_000 });
  beforeAll(async () => {
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('shows the API numbers and draws the charts after a login', { timeout: 240_000 }, async () => {
    const traffic = await runTraffic({
      url: stack.workerUrl,
      token: TOKEN,
      visitors: 300,
      seed: 11,
      rates: { control: 0.08, bold: 0.3, none: 0.08 },
      thinkMs: [20, 60],
    });
    expect(traffic.serverErrors).toEqual({ count: 0, samples: [] });
    expect(traffic.visitors).toBe(300);
    expect(traffic.conversions).toBeGreaterThan(20);
    // the worker (another process) records after it answers: poll its results, a bounded number of
    // times, until they hold every visitor and purchase the traffic made
    await waitForRecorded(stack.workerUrl, TOKEN, {
      visitors: traffic.visitors,
      conversions: traffic.conversions,
    });
    const report = await results();
    const c = report.campaigns[0];
    // known true rates (8 % against 30 %): the API and the page name the variant the winner
    expect(c?.variants.find((v) => v.id === 'bold')?.goals.purchase?.verdict).toBe('winner');
    expect(c?.variants.find((v) => v.id === 'bold')?.goals.purchase?.chanceToBeatControl).toBeGreaterThan(
      0.9,
    );

    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const dashboard = await page.goto(`${stack.workerUrl}/__hio/dashboard`);
    expect(dashboard?.status()).toBe(401);
    await page.fill('#password', 'wrong');
    await Promise.all([page.waitForLoadState('load'), page.click('button[type="submit"]')]);
    expect(await page.locator('[data-testid="login-error"]').isVisible()).toBe(true);
    await page.fill('#password', TOKEN);
    await Promise.all([
      page.waitForURL(`${stack.workerUrl}/__hio/dashboard`),
      page.click('button[type="submit"]'),
    ]);
    await page.locator('[data-testid="programme"]').waitFor();

    // the page and the API read the same data at (nearly) the same time; fetch again in case it moved
    const now = await results();
    for (const campaign of now.campaigns) {
      for (const v of campaign.variants) {
        expect(await text(page, testId('visitors', campaign.id, v.id))).toBe(fmt.count(v.visitors));
        expect(await text(page, testId('impressions', campaign.id, v.id))).toBe(fmt.count(v.impressions));
        expect(await text(page, testId('clicks', campaign.id, v.id))).toBe(fmt.count(v.clicks));
        for (const [goal, g] of Object.entries(v.goals)) {
          const cell = (kind: string) => text(page, testId(kind, campaign.id, v.id, goal));
          expect(await cell('conversions')).toBe(fmt.count(g.conversions));
          expect(await cell('rate')).toBe(fmt.pct(g.rate));
          expect(await cell('lift')).toBe(fmt.lift(g.lift));
          expect(await cell('p')).toBe(fmt.p(g.adjustedPValue));
          expect(await cell('seqp')).toBe(fmt.p(g.sequentialPValue));
          expect(await cell('ctbc')).toBe(fmt.pct(g.chanceToBeatControl));
          expect(await cell('loss')).toBe(fmt.pp(g.expectedLoss));
          expect(await cell('rpv')).toBe(fmt.money(g.revenuePerVisitor));
          if (!v.control) expect(await cell('ci')).toBe(fmt.ci(g.ci));
          if (!v.control) expect(await cell('verdict')).toBe(verdictLabel(g.verdict));
        }
      }
      expect(await text(page, testId('visitors', campaign.id, '__holdout'))).toBe(
        fmt.count(campaign.holdout.visitors),
      );
      const hl = campaign.holdout.lift.purchase;
      if (hl)
        expect(await text(page, testId('holdout-lift', campaign.id, 'purchase'))).toBe(fmt.lift(hl.lift));
    }
    const prog = now.programme.goals.purchase;
    expect(await text(page, 'programme-lift-purchase')).toBe(fmt.lift(prog?.lift));
    expect(await text(page, 'programme-caused-purchase')).toBe(fmt.decimal(prog?.caused.conversions));
    expect(await text(page, 'programme-total-purchase')).toBe(fmt.count(prog?.total.conversions));

    // the charts: a line with points per variant, and a row with an interval in the forest plot
    const rate = page.locator('[data-testid="chart-rate-hero-test-purchase"]');
    expect(await rate.locator('circle').count()).toBeGreaterThanOrEqual(2);
    for (const d of await rate
      .locator('path')
      .evaluateAll((ps) => ps.map((p) => p.getAttribute('d') ?? ''))) {
      expect(d).toMatch(/^M\d/);
    }
    const box = await rate.boundingBox();
    expect(box?.width).toBeGreaterThan(300);
    const lift = page.locator('[data-testid="chart-lift-hero-test-purchase"]');
    expect(await lift.locator('[data-series="bold"] circle').count()).toBe(1);
    expect(await lift.locator('[data-series="bold"] path.ci').getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+ L/);

    // the CSV link works with the session cookie
    const href = await page.locator('[data-testid="csv"]').getAttribute('href');
    const csv = await page.context().request.get(new URL(href ?? '', stack.workerUrl).href);
    expect(csv.status()).toBe(200);
    expect(await csv.text()).toMatch(/^campaign,variant,control,visitors/);

    await page.locator('[data-testid="help"] summary').click();
    await page.screenshot({ path: '/tmp/hio-dashboard.png', fullPage: true });

    // logging out ends the session
    await Promise.all([page.waitForLoadState('load'), page.click('text=Log out')]);
    expect(await page.locator('[data-testid="login-form"]').isVisible()).toBe(true);
    expect((await page.context().request.get(`${stack.workerUrl}/__hio/admin/results`)).status()).toBe(401);
  });
});
