/**
 * @module browser.test
 * The browser script end to end, in real Chromium: a small Node server serves a test page and the
 * freshly built script, and records every batch posted to /__hio/collect. The assertions are on those
 * requests, i.e. on what the worker would receive.
 */
import { createServer, type Server } from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient } from '../scripts/build-client.mjs';
import { launchBrowser } from '../test/support/browser';
import type { Hio, Sent } from './src/types';

interface Beacon {
  /** the page that sent it (the Referer header) */
  from: string;
  contentType: string;
  /** what the test server answered */
  status: number;
  events: Sent[];
  v: unknown;
}

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><meta name="hio:category" content="Shoes"><title>Test shop</title>
<script>window.hio=window.hio||function(){(hio.q=hio.q||[]).push(arguments)};hio('track','early',{value:5})</script>
<script src="/__hio/client.js" defer></script></head>
<body style="margin:0;font:16px sans-serif">
<div id="hero" data-hio-campaign="hero-banner" data-hio-variant="welcome-back" style="height:300px">
  <p>Welcome back</p><button id="buy" data-hio-goal="purchase" data-hio-value="49.9"><span>Buy</span></button>
  <ul><li data-hio-item="wool-sock" data-hio-pos="2"><span id="rec2">Wool socks</span></li></ul>
</div>
<div style="height:2000px"></div>
<div id="flash" data-hio-campaign="flash-sale" data-hio-variant="control" style="height:300px">Flash sale</div>
<div style="height:2000px"></div>
<form id="signup" action="/blank"><input name="email"><button id="send">Send</button></form>
<div style="height:600px"></div>
</body></html>`;

/** A single-page app: routes change with the History API, a slot is rendered after load. */
const SPA = `<!doctype html>
<html><head><meta charset="utf-8"><meta name="hio:category" content="Home"><title>SPA</title>
<script src="/__hio/client.js" defer></script></head>
<body style="margin:0"><main id="app" style="height:300px">home</main><div style="height:3000px"></div></body></html>`;

let server: Server;
let origin: string;
let browser: Browser;
let collectStatus = 204;
const beacons: Beacon[] = [];
/** the queries `hio('decide')` sent, and the decisions the test server answers with */
const decideQueries: URLSearchParams[] = [];
const DECISIONS = [
  { slot: '#rec', campaign: 'recs', variant: 'for-you', action: 'replace', html: '<b>Picked for you</b>' },
  { slot: '#promo', campaign: 'promo', variant: 'ribbon', action: 'before', html: '<i>New</i>' },
  {
    slot: '#buy-link',
    campaign: 'cta',
    variant: 'sale',
    action: 'setAttribute',
    name: 'href',
    value: '/sale?a=1&b=2',
  },
  { slot: '#side', campaign: 'side', variant: 'control', action: 'append', control: true },
  { slot: '#missing', campaign: 'gone', variant: 'x', action: 'replace', html: 'never shown' },
];

beforeAll(async () => {
  const js = await buildClient();
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://test');
    if (req.method === 'POST' && url.pathname === '/__hio/collect') {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (chunk) => {
        raw += chunk;
      });
      req.on('end', () => {
        const body = JSON.parse(raw) as { v: unknown; events: Sent[] };
        const status = collectStatus;
        beacons.push({
          from: String(req.headers.referer),
          contentType: String(req.headers['content-type']),
          status,
          ...body,
        });
        res.writeHead(status).end();
      });
    } else if (url.pathname === '/__hio/decide') {
      decideQueries.push(url.searchParams);
      if (url.searchParams.get('slots') === 'broken') res.writeHead(500).end('not json');
      else
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ path: url.searchParams.get('path'), decisions: DECISIONS }));
    } else if (url.pathname === '/__hio/client.js') {
      res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' }).end(js);
    } else if (url.pathname === '/page') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    } else if (url.pathname === '/spa' || url.pathname.startsWith('/spa/')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(SPA);
    } else if (url.pathname === '/blank') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>blank</title>');
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

/**
 * Waits for what Chromium (another process) sends to this test's server: nothing to await but its
 * arrival, so it looks again every 25 ms, for at most `timeoutMs`.
 */
async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * The visitor's dwell time, not a wait for work: an impression counts after a slot has been on screen
 * for one continuous second of real time, which is the behaviour these tests observe.
 */
const dwell = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Batches sent by pages whose URL has `run=<run>`. */
const beaconsOf = (run: string) => beacons.filter((b) => new URL(b.from).searchParams.get('run') === run);
const eventsOf = (run: string) => beaconsOf(run).flatMap((b) => b.events);
const ofType = <T extends Sent['t']>(events: Sent[], t: T) =>
  events.filter((e): e is Extract<Sent, { t: T }> => e.t === t);

async function open(context: BrowserContext, query: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${origin}/page?${query}`);
  await page.waitForFunction(() => (window as { hio?: Hio }).hio?.l === 1);
  return page;
}

/** Chromium keeps a headless page visible: fake the page being hidden / shown again. */
const setHidden = (page: Page, hidden: boolean) =>
  page.evaluate((hidden) => {
    for (const [k, value] of [
      ['visibilityState', 'hidden'],
      ['hidden', true],
    ] as const)
      if (hidden) Object.defineProperty(document, k, { value, configurable: true });
      else Reflect.deleteProperty(document, k);
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);

const scrollTo = (page: Page, y: number) => page.evaluate((y) => window.scrollTo(0, y), y);

describe('the browser script in Chromium', () => {
  it('records a visit and sends it when the page is hidden and when it is left', async () => {
    const context = await browser.newContext({ viewport: { width: 800, height: 600 } });
    const requested: string[] = [];
    context.on('request', (r) => requested.push(new URL(r.url()).pathname));
    const started = Date.now();
    const page = await open(context, 'run=visit');

    await page.evaluate(() => {
      const hio = (window as { hio?: Hio }).hio;
      hio?.('track', 42); // not a goal: nothing is sent, nothing throws
      hio?.('track', 'late', { value: '12.5' });
    });
    await dwell(1500); // the hero slot has been fully visible for more than a second
    await page.click('#buy span');
    await page.click('#rec2'); // a marked item of the slot's list
    // the flash sale slot is on screen for 200 ms only: no impression
    await scrollTo(page, 2000);
    await dwell(200);
    await scrollTo(page, 0);
    await dwell(1500);

    await setHidden(page, true);
    const first = await until('the batch sent on visibilitychange', () => beaconsOf('visit')[0]);
    await setHidden(page, false);

    await scrollTo(page, 2000);
    await dwell(1500); // now the flash sale slot stays for a second
    await page.fill('#signup input', 'a@b.example');
    await scrollTo(page, 100_000);
    await page.click('#send'); // submits and navigates away: pagehide
    await page.waitForURL(/\/blank/);
    await until('the batch sent on pagehide', () => eventsOf('visit').some((e) => e.t === 'form_submit'));
    const elapsed = Date.now() - started;

    const sent = beaconsOf('visit');
    expect(sent.length).toBeGreaterThanOrEqual(2);
    for (const b of sent) {
      expect(b.contentType).toMatch(/^text\/plain/);
      expect(b.v).toBe(1);
    }
    const events = eventsOf('visit');
    const firstTypes = first.events.map((e) => e.t);

    expect(ofType(events, 'pageview')).toEqual([
      expect.objectContaining({ path: '/page', category: 'shoes' }),
    ]);
    expect(ofType(events, 'conversion')).toEqual([
      expect.objectContaining({ goal: 'early', value: 5 }),
      expect.objectContaining({ goal: 'late', value: 12.5 }),
      {
        t: 'conversion',
        goal: 'purchase',
        value: 49.9,
        campaign: 'hero-banner',
        variant: 'welcome-back',
        id: expect.any(String),
        ts: expect.any(Number),
      },
    ]);
    const clicks = ofType(events, 'click');
    expect(clicks).toEqual([
      expect.objectContaining({ campaign: 'hero-banner', variant: 'welcome-back' }),
      expect.objectContaining({
        campaign: 'hero-banner',
        variant: 'welcome-back',
        item: 'wool-sock',
        pos: 2,
      }),
    ]);
    expect(clicks[0]).not.toHaveProperty('item');
    const impressions = ofType(events, 'impression');
    expect(impressions.map((e) => e.campaign)).toEqual(['hero-banner', 'flash-sale']);
    expect(impressions[1]?.variant).toBe('control');
    expect(first.events.filter((e) => e.t === 'impression')).toHaveLength(1);
    expect(ofType(events, 'scroll').map((e) => e.depth)).toEqual([25, 50, 75, 90, 100]);
    expect(ofType(events, 'form_start')).toEqual([expect.objectContaining({ form: 'signup' })]);
    expect(ofType(events, 'form_submit')).toEqual([expect.objectContaining({ form: 'signup' })]);
    expect(firstTypes).toEqual(
      expect.arrayContaining(['pageview', 'impression', 'click', 'conversion', 'engaged']),
    );

    const engaged = ofType(events, 'engaged').map((e) => e.ms);
    expect(engaged.length).toBeGreaterThanOrEqual(2);
    for (const ms of engaged) expect(ms).toBeGreaterThan(0);
    expect(engaged.reduce((a, b) => a + b)).toBeLessThanOrEqual(elapsed);

    const ids = events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const e of events) expect(e.ts).toBeGreaterThanOrEqual(started - 1000);

    // no cookie, nothing loaded beyond the page, the script and the beacons
    expect(await context.cookies()).toEqual([]);
    expect(new Set(requested.filter((p) => p !== '/favicon.ico'))).toEqual(
      new Set(['/page', '/__hio/client.js', '/__hio/collect', '/blank']),
    );
    await context.close();
  });

  it('sends a batch as soon as 20 events are waiting', async () => {
    const context = await browser.newContext();
    const page = await open(context, 'run=full');
    await page.evaluate(() => {
      for (let i = 0; i < 25; i++) (window as { hio?: Hio }).hio?.('track', `goal-${i}`);
    });
    const [batch] = await until('a full batch', () => beaconsOf('full').length > 0 && beaconsOf('full'));
    // pageview, the stub's "early" conversion and 18 of the page's: 20, plus the engaged time so far
    expect(batch?.events.filter((e) => e.t !== 'engaged')).toHaveLength(20);
    expect(batch?.events[batch.events.length - 1]?.t).toBe('engaged');
    // something that must not happen has no event to await: watch for a while that no second batch
    // comes, then hide the page and see the rest arrive
    await dwell(200);
    expect(beaconsOf('full')).toHaveLength(1); // the rest waits for the page to be hidden
    await setHidden(page, true);
    const [, rest] = await until(
      'the batch sent when the page is hidden',
      () => beaconsOf('full')[1] && beaconsOf('full'),
    );
    expect(ofType(rest?.events ?? [], 'conversion').map((e) => e.goal)).toEqual(
      Array.from({ length: 7 }, (_, i) => `goal-${i + 18}`),
    );
    await context.close();
  });

  it('defines no global but window.hio and sets no cookie', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${origin}/blank`);
    const before = await page.evaluate(() => Object.getOwnPropertyNames(window));
    await page.goto(`${origin}/page?run=globals`);
    await page.waitForFunction(() => (window as { hio?: Hio }).hio?.l === 1);
    const after = await page.evaluate(() => Object.getOwnPropertyNames(window));
    expect(after.filter((n) => !before.includes(n))).toEqual(['hio']);
    expect(await page.evaluate(() => document.cookie)).toBe('');
    await context.close();
  });

  it('keeps a batch the collector refused with 503 and sends it again, same ids, on the next page', async () => {
    const context = await browser.newContext();
    collectStatus = 503;
    try {
      const page = await open(context, 'run=down');
      await page.evaluate(() => (window as { hio?: Hio }).hio?.('track', 'purchase', { value: 10 }));
      await setHidden(page, true);
      const refused = await until('the refused batch', () => beaconsOf('down')[0]);
      expect(refused.status).toBe(503);
      // the page stays: the answer arrives, and the batch is still stored
      await dwell(200); // a window in which a wrong script would have dropped the batch on its 503
      expect(JSON.parse(String(await page.evaluate(() => localStorage.getItem('hio_q'))))).toEqual(
        refused.events,
      );
    } finally {
      collectStatus = 204;
    }

    const page = await open(context, 'run=up');
    const retried = await until('the retried batch', () => beaconsOf('up')[0]);
    const refusedEvents = beaconsOf('down')[0]?.events ?? [];
    expect(refusedEvents.map((e) => e.t)).toEqual(expect.arrayContaining(['pageview', 'conversion']));
    // sent at once on load: the stored events first, unchanged (same ids), then the new page's
    expect(retried.events.slice(0, refusedEvents.length)).toEqual(refusedEvents);
    expect(retried.events.slice(refusedEvents.length).map((e) => e.t)).toContain('pageview');
    await page.waitForFunction(() => localStorage.getItem('hio_q') === null);
    await context.close();
  });

  it('forgets a batch the collector refused as invalid (400): it would never be taken', async () => {
    const context = await browser.newContext();
    collectStatus = 400;
    try {
      const page = await open(context, 'run=invalid');
      await setHidden(page, true);
      await until('the refused batch', () => beaconsOf('invalid')[0]);
      await page.waitForFunction(() => localStorage.getItem('hio_q') === null);
    } finally {
      collectStatus = 204;
    }
    await context.close();
  });

  it('without keepalive, a page being left sends by sendBeacon and keeps the batch until a later page confirms it', async () => {
    const context = await browser.newContext();
    await context.addInitScript(() => {
      if (location.search.includes('nokeepalive')) Reflect.deleteProperty(Request.prototype, 'keepalive');
    });
    const beaconTypes: string[] = [];
    context.on('request', (r) => {
      if (r.url().endsWith('/__hio/collect')) beaconTypes.push(r.resourceType());
    });
    const page = await open(context, 'run=beacon&nokeepalive');
    expect(await page.evaluate(() => 'keepalive' in Request.prototype)).toBe(false);
    await page.evaluate(() => (window as { hio?: Hio }).hio?.('track', 'signup'));
    await setHidden(page, true);
    const delivered = await until('the beacon', () => beaconsOf('beacon')[0]);
    expect(delivered.status).toBe(204);
    expect(beaconTypes).toEqual(['ping']); // sendBeacon, not fetch
    await dwell(200); // a window in which a wrong script would have dropped the unanswered batch
    // a beacon gives no answer: still stored
    const kept = JSON.parse(String(await page.evaluate(() => localStorage.getItem('hio_q')))) as Sent[];
    expect(kept).toEqual(delivered.events);

    const later = await open(context, 'run=later');
    const batch = await until('the batch after the reload', () => beaconsOf('later')[0]);
    expect(batch.events.slice(0, kept.length)).toEqual(kept);
    await later.waitForFunction(() => localStorage.getItem('hio_q') === null);
    await context.close();
  });
  it('counts the route changes of a single-page app as pageviews, and slots rendered later', async () => {
    const context = await browser.newContext({ viewport: { width: 800, height: 600 } });
    const page = await context.newPage();
    await page.goto(`${origin}/spa?run=spa`, { referer: 'https://search.example/' });
    await page.waitForFunction(() => (window as { hio?: Hio }).hio?.l === 1);
    await page.evaluate(() => {
      document.querySelector('meta[name="hio:category"]')?.setAttribute('content', 'Bags');
      history.pushState({}, '', '/spa/bags?run=spa');
      // the same path with another query is the same page
      history.replaceState({}, '', '/spa/bags?run=spa&sort=price');
      const slot = document.createElement('div');
      slot.setAttribute('data-hio-campaign', 'late-slot');
      slot.setAttribute('data-hio-variant', 'v');
      slot.style.height = '200px';
      slot.textContent = 'rendered by the app';
      document.body.prepend(slot);
    });
    // the app's slot is on screen for more than a second: its impression counts
    await dwell(1500);
    await page.evaluate(() =>
      document.querySelector('meta[name="hio:category"]')?.setAttribute('content', 'Home'),
    );
    await page.goBack(); // popstate, back to /spa
    await page.waitForFunction(() => location.pathname === '/spa');
    await dwell(1200); // the slot is still on the page: on this new page it counts again
    await setHidden(page, true);
    await until('the batch of the last route', () => ofType(eventsOf('spa'), 'pageview').length >= 3);
    await until('the impression on the last route', () => ofType(eventsOf('spa'), 'impression').length >= 2);

    const events = eventsOf('spa');
    expect(ofType(events, 'pageview').map((e) => [e.path, e.category, e.ref])).toEqual([
      ['/spa', 'home', 'https://search.example/'],
      ['/spa/bags', 'bags', undefined],
      ['/spa', 'home', undefined],
    ]);
    expect(ofType(events, 'impression').map((e) => e.campaign)).toEqual(['late-slot', 'late-slot']);
    // what each route left behind went out before the next route's pageview
    const order = events.filter((e) => e.t === 'pageview' || e.t === 'engaged').map((e) => e.t);
    expect(order.slice(0, 3)).toEqual(['pageview', 'engaged', 'pageview']);
    await context.close();
  });

  it("hio('decide') renders the decisions into the app's slots, marked, and their impressions count", async () => {
    const context = await browser.newContext({ viewport: { width: 800, height: 600 } });
    const page = await context.newPage();
    await page.goto(`${origin}/spa/shop?run=decide`, { referer: 'https://search.example/' });
    await page.waitForFunction(() => (window as { hio?: Hio }).hio?.l === 1);
    const got = await page.evaluate(
      () =>
        new Promise<unknown[]>((resolve) => {
          const app = document.getElementById('app') as HTMLElement;
          app.innerHTML =
            '<div id="rec" style="height:100px">default</div><div id="promo">promo</div>' +
            '<a id="buy-link" href="/buy">Buy</a><div id="side">side</div>';
          (window as unknown as { hio: Hio }).hio(
            'decide',
            ['#rec', 'promo', '#buy-link', '#side', '#missing'],
            resolve,
          );
        }),
    );
    expect(got).toHaveLength(DECISIONS.length);
    const q = decideQueries.at(-1);
    expect(q?.get('path')).toBe('/spa/shop?run=decide');
    expect(q?.get('ref')).toBe('https://search.example/');
    expect(q?.get('slots')).toBe('#rec,promo,#buy-link,#side,#missing');
    const html = await page.evaluate(() => document.getElementById('app')?.innerHTML);
    expect(html).toBe(
      '<div id="rec" style="height:100px" data-hio-campaign="recs" data-hio-variant="for-you"><b>Picked for you</b></div>' +
        '<div data-hio-campaign="promo" data-hio-variant="ribbon"><i>New</i></div><div id="promo">promo</div>' +
        '<a id="buy-link" href="/sale?a=1&amp;b=2" data-hio-campaign="cta" data-hio-variant="sale">Buy</a>' +
        '<div id="side" data-hio-campaign="side" data-hio-variant="control">side</div>',
    );
    // the rendered slot is on screen for more than a second: its impression is reported (the exposure)
    await dwell(1300);
    await setHidden(page, true);
    await until('the impressions of the decided slots', () =>
      ofType(eventsOf('decide'), 'impression').some((e) => e.campaign === 'recs'),
    );
    const seen = ofType(eventsOf('decide'), 'impression').map((e) => `${e.campaign}/${e.variant}`);
    expect(seen).toEqual(
      expect.arrayContaining(['recs/for-you', 'promo/ribbon', 'cta/sale', 'side/control']),
    );
    expect(seen).not.toContain('gone/x');

    // a failed call leaves the page as it is and tells the callback
    const failed = await page.evaluate(
      () =>
        new Promise<[number, boolean]>((resolve) =>
          (window as unknown as { hio: Hio }).hio('decide', 'broken', (list: unknown[], err: unknown) =>
            resolve([list.length, err !== undefined]),
          ),
        ),
    );
    expect(failed).toEqual([0, true]);
    await context.close();
  });
});
