import { beforeEach, describe, expect, it } from 'vitest';
import type { Report } from '../engine/index.ts';
import {
  ADMIN,
  browseItems,
  call,
  collect,
  emptyEventLog,
  eventId,
  forgetRecsModel,
  page,
  putConfig,
  settle,
  visitorCookie,
} from '../test/helpers.ts';

const CATALOGUE = {
  items: [
    { id: 'boot', url: '/item/boot', title: 'Harbor Boot', category: 'shoes', price: 189 },
    { id: 'sock', url: '/item/sock', title: 'Wool <Sock> & "Liner"', category: 'shoes', price: 12 },
    { id: 'lace', url: '/item/lace', title: 'Waxed Laces', category: 'shoes', price: 6 },
    { id: 'tote', url: '/item/tote', title: 'Canvas Tote', category: 'bags', price: 59 },
    { id: 'pack', url: '/item/pack', title: 'Day Pack', category: 'bags', price: 99 },
  ],
};

const DOC = {
  version: 1,
  campaigns: [
    {
      id: 'also-like',
      slot: { selector: '#recs', action: 'replace' },
      // everyone gets the recommendations here; the demo runs it as an A/B test against the control
      weights: [0, 1],
      variants: [
        { id: 'control' },
        {
          id: 'similar',
          recommend: { strategy: 'similar', count: 2 },
          html: '<li><a href="{{ item.url }}">{{ item.title }}</a></li>',
        },
      ],
    },
  ],
};

const browse = browseItems;

const slot = (html: string) => /<ul id="recs"[^>]*>([\s\S]*?)<\/ul>/.exec(html)?.[0] ?? '';

beforeEach(async () => {
  await emptyEventLog();
  await forgetRecsModel();
});

describe('recommendations through the worker', () => {
  it('learns co-views from beacons and shows the neighbours of the page item, without viewed items', async () => {
    expect((await putConfig(DOC)).status).toBe(200);
    const put = await call('/__hio/admin/catalog', {
      method: 'PUT',
      headers: { ...ADMIN, 'content-type': 'application/json' },
      body: JSON.stringify(CATALOGUE),
    });
    expect(put.status).toBe(200);

    // no model yet: the slot keeps the origin's list, marked as the variant the visitor is assigned
    const before = await (await page('/item/boot')).text();
    expect(slot(before)).toContain('Origin picks');
    expect(slot(before)).toContain('data-hio-variant="similar"');

    // boot is viewed with sock by three visitors, with lace by two; tote and pack by two others
    for (let i = 0; i < 3; i++) await browse(['boot', 'sock']);
    for (let i = 0; i < 2; i++) await browse(['lace', 'boot']);
    for (let i = 0; i < 2; i++) await browse(['tote', 'pack']);

    const train = await call('/__hio/admin/train', { method: 'POST', headers: ADMIN });
    expect(train.status).toBe(200);
    const trained = ((await train.json()) as { recommendations: Record<string, unknown> }).recommendations;
    expect(trained).toMatchObject({ outcome: 'trained', sessions: 7, truncated: false });

    // a new visitor on boot's page: its neighbours, best first, escaped and marked
    const fresh = slot(await (await page('/item/boot')).text());
    expect(fresh).toContain('data-hio-campaign="also-like"');
    expect(fresh).toContain(
      '<li data-hio-item="sock" data-hio-pos="1"><a href="/item/sock">Wool &lt;Sock&gt; &amp; &quot;Liner&quot;</a></li>' +
        '<li data-hio-item="lace" data-hio-pos="2"><a href="/item/lace">Waxed Laces</a></li>',
    );
    expect(fresh).not.toContain('Origin picks');

    // a visitor who viewed sock: it is left out, lace comes first, the next from the fallbacks
    const cookie = await browse(['sock']);
    const html = slot(await (await page('/item/boot', cookie)).text());
    expect(html).toContain('<li data-hio-item="lace" data-hio-pos="1">');
    expect(html).not.toContain('data-hio-item="sock"');
    expect(html).not.toContain('data-hio-item="boot"');
    expect(html.match(/data-hio-item=/g)).toHaveLength(2);
  });

  it('measures clicks on recommended items per position, and the purchase they led to, once', async () => {
    const doc = { ...DOC, settings: { goals: ['purchase', 'add_to_cart'] } };
    doc.campaigns = DOC.campaigns.map((c) => ({ ...c, goals: ['purchase'] }));
    expect((await putConfig(doc)).status).toBe(200);
    const put = await call('/__hio/admin/catalog', {
      method: 'PUT',
      headers: { ...ADMIN, 'content-type': 'application/json' },
      body: JSON.stringify(CATALOGUE),
    });
    expect(put.status).toBe(200);
    const res = await page('/item/boot');
    await res.text();
    const cookie = visitorCookie(res);
    const seen: { v: number; events: Record<string, unknown>[] } = {
      v: 1,
      events: [
        { t: 'pageview', id: eventId(), path: '/item/boot', item: 'boot' },
        { t: 'impression', id: eventId(), campaign: 'also-like', variant: 'similar' },
        // the second item of the list, then what the page wrote by mistake (kept as the slot's click)
        { t: 'click', id: eventId(), campaign: 'also-like', variant: 'similar', item: 'sock', pos: 2 },
        {
          t: 'click',
          id: eventId(),
          campaign: 'also-like',
          variant: 'similar',
          item: 'no such id!',
          pos: 'x',
        },
      ],
    };
    const bought = {
      v: 1,
      events: [
        { t: 'pageview', id: eventId(), path: '/item/sock', item: 'sock' },
        { t: 'conversion', id: eventId(), goal: 'add_to_cart' },
        { t: 'conversion', id: eventId(), goal: 'purchase', value: 12 },
      ],
    };
    // the position is a number or nothing: a string is refused with the batch
    expect((await collect(cookie, seen)).status).toBe(400);
    seen.events[3] = { ...seen.events[3], pos: null };
    for (const body of [seen, bought, seen, bought]) expect((await collect(cookie, body)).status).toBe(204);
    await settle();

    const report = (await (await call('/__hio/admin/results', { headers: ADMIN })).json()) as Report;
    const similar = report.campaigns[0]?.variants.find((v) => v.id === 'similar');
    expect(similar?.clicks).toBe(2);
    expect(similar?.items).toMatchObject({
      strategy: 'similar',
      impressions: 1,
      clicks: 1,
      conversions: 1,
      value: 12,
      itemsBought: 1,
      positions: [{ position: 2, clicks: 1, conversions: 1, value: 12, itemsBought: 1, ctr: { value: 1 } }],
    });
    expect(report.campaigns[0]?.variants.find((v) => v.id === 'control')?.items).toBeUndefined();
    expect(report.strategies).toMatchObject([
      { strategy: 'similar', variants: ['also-like/similar'], clicks: 1, conversions: 1, value: 12 },
    ]);

    const csv = await (await call('/__hio/admin/results?format=csv', { headers: ADMIN })).text();
    const [header, ...rows] = csv.trim().split('\n');
    const cols = (header ?? '').split(',');
    const row = rows.map((r) => r.split(',')).find((r) => r[1] === 'similar') ?? [];
    expect(row[cols.indexOf('strategy')]).toBe('similar');
    expect(row[cols.indexOf('item_clicks')]).toBe('1');
    expect(row[cols.indexOf('attributed_conversions')]).toBe('1');

    const dashboard = await (await call('/__hio/dashboard', { headers: ADMIN })).text();
    expect(dashboard).toContain('data-testid="items-also-like"');
    expect(dashboard).toMatch(/data-testid="items-ctr-at-also-like-similar-2">100\.00%/);
    expect(dashboard).toContain('data-testid="strategies"');
  });
});
