/**
 * Exposures carry the visitor's device, source, segments and pageviews before the exposure; the
 * breakdown and CUPED queries count them exactly.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import DEMO from '../../examples/shop/campaigns.json';
import { parseDocument } from '../engine/index.ts';
import { ADMIN, call, collect, eventId, page, putConfig, settle, visitorCookie } from '../test/helpers.ts';
import { readBreakdowns, readCuped } from './breakdowns.ts';

const MOBILE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1';
const DESKTOP =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36';

const DOC = {
  version: 1,
  segments: { phones: { device: 'mobile' } },
  campaigns: [
    {
      id: 'bd',
      slot: { selector: '#hero', action: 'replace' },
      variants: [{ id: 'only', html: '<b>x</b>' }],
      goals: ['buy'],
    },
  ],
};

describe('breakdowns and CUPED sums', () => {
  it("run with the demo's document (8 campaigns, 6 segments): D1 limits the terms of a compound SELECT", async () => {
    const demo = parseDocument(DEMO);
    if (!demo.ok) throw new Error(demo.problems.join());
    await expect(readBreakdowns(env.HIO_DB, demo.doc)).resolves.toBeInstanceOf(Array);
    await expect(readCuped(env.HIO_DB, demo.doc)).resolves.toBeInstanceOf(Array);
  });

  it('count each exposed visitor once per device, source and segment, with converters and covariates', async () => {
    await putConfig(DOC);
    const visitors: { ua: string; path: string; buys: boolean; before: number }[] = [
      { ua: MOBILE, path: '/page?utm_source=news', buys: true, before: 0 },
      { ua: MOBILE, path: '/page', buys: false, before: 0 },
      { ua: DESKTOP, path: '/page?utm_source=news', buys: false, before: 0 },
      { ua: DESKTOP, path: '/page', buys: true, before: 0 },
    ];
    for (const v of visitors) {
      const res = await page(v.path, undefined, { headers: { 'user-agent': v.ua } });
      const cookie = visitorCookie(res);
      await res.text();
      await settle();
      if (v.buys)
        await collect(cookie, { events: [{ t: 'conversion', id: eventId(), goal: 'buy', value: 10 }] });
    }
    await settle();
    const parsed = parseDocument(DOC);
    if (!parsed.ok) throw new Error('doc');
    const rows = await readBreakdowns(env.HIO_DB, parsed.doc);
    const get = (dimension: string, value: string, goal: string) =>
      rows.find(
        (r) => r.campaignId === 'bd' && r.dimension === dimension && r.value === value && r.goal === goal,
      );
    expect(get('device', 'mobile', '')?.visitors).toBe(2);
    expect(get('device', 'desktop', '')?.visitors).toBe(2);
    expect(get('device', 'mobile', 'buy')).toMatchObject({ visitors: 2, converters: 1 });
    expect(get('source', 'news', '')?.visitors).toBe(2);
    expect(get('source', 'direct', 'buy')).toMatchObject({ visitors: 2, converters: 1 });
    expect(get('segment', 'phones', '')?.visitors).toBe(2);
    const cuped = await readCuped(env.HIO_DB, parsed.doc);
    const conversion = cuped.find(
      (r) => r.campaignId === 'bd' && r.metric === 'conversion' && r.goal === 'buy',
    );
    const revenue = cuped.find((r) => r.campaignId === 'bd' && r.metric === 'revenue' && r.goal === 'buy');
    expect(conversion).toMatchObject({ n: 4, sumY: 2, sumY2: 2, sumX: 0, sumX2: 0, sumXY: 0 });
    expect(revenue).toMatchObject({ n: 4, sumY: 20, sumY2: 200 });

    // the results API carries them per breakdown
    const report = (await (await call('/__hio/admin/results', { headers: ADMIN })).json()) as {
      campaigns: { id: string; breakdowns?: { dimension: string; value: string; visitors: number }[] }[];
    };
    const bd = report.campaigns.find((c) => c.id === 'bd')?.breakdowns ?? [];
    expect(
      bd
        .filter((b) => b.dimension === 'device')
        .map((b) => [b.value, b.visitors])
        .sort(),
    ).toEqual([
      ['desktop', 2],
      ['mobile', 2],
    ]);
    expect(bd.find((b) => b.dimension === 'segment')).toMatchObject({ value: 'phones', visitors: 2 });
  });
});
