import { describe, expect, it } from 'vitest';
import { parseDocument } from './document.ts';
import { buildReport, type RawCounts } from './report.ts';

const doc = (() => {
  const r = parseDocument({
    version: 1,
    holdout: 0.1,
    campaigns: [
      {
        id: 'c',
        slot: { selector: '#h', action: 'replace' },
        variants: [{ id: 'control' }, { id: 'b', html: 'B' }, { id: 'c3', html: 'C' }],
        weights: [0.34, 0.33, 0.33],
        goals: ['purchase'],
      },
    ],
  });
  if (!r.ok) throw new Error(r.problems.join());
  return r.doc;
})();

function raw(visitors: [number, number, number], conv: [number, number, number], holdout = 0): RawCounts {
  const ids = ['control', 'b', 'c3'];
  return {
    exposures: [
      ...ids.map((id, i) => ({
        campaignId: 'c',
        seed: 'c',
        variantId: id,
        day: '2026-11-21',
        visitors: visitors[i] ?? 0,
      })),
      { campaignId: 'c', seed: 'c', variantId: '__holdout', day: '2026-11-21', visitors: holdout },
      {
        campaignId: '__all',
        seed: 'all',
        variantId: '__treated',
        day: '2026-11-21',
        visitors: visitors.reduce((a, b) => a + b),
      },
      { campaignId: '__all', seed: 'all', variantId: '__holdout', day: '2026-11-21', visitors: holdout },
    ],
    conversions: [
      ...ids.map((id, i) => ({
        campaignId: 'c',
        seed: 'c',
        variantId: id,
        goal: 'purchase',
        converters: conv[i] ?? 0,
        valueSum: (conv[i] ?? 0) * 10,
        valueSumSq: (conv[i] ?? 0) * 100,
      })),
      {
        campaignId: '__all',
        seed: 'all',
        variantId: '__treated',
        goal: 'purchase',
        converters: conv.reduce((a, b) => a + b),
        valueSum: conv.reduce((a, b) => a + b) * 10,
        valueSumSq: 0,
      },
      {
        campaignId: '__all',
        seed: 'all',
        variantId: '__holdout',
        goal: 'purchase',
        converters: Math.round(holdout * 0.1),
        valueSum: Math.round(holdout * 0.1) * 10,
        valueSumSq: 0,
      },
    ],
    conversionsDaily: [],
    slots: [],
  };
}

describe('buildReport', () => {
  it('computes rates, lift, Holm-adjusted p-values and verdicts against control', () => {
    const r = buildReport(doc, raw([1000, 1000, 1000], [100, 150, 105], 300));
    const c = r.campaigns[0];
    const b = c?.variants[1]?.goals.purchase;
    const c3 = c?.variants[2]?.goals.purchase;
    expect(c?.controlId).toBe('control');
    expect(b?.rate).toBe(0.15);
    expect(b?.lift).toBeCloseTo(0.5, 10);
    expect(b?.verdict).toBe('winner');
    expect(c3?.verdict).toBe('inconclusive');
    // Holm: the smallest p-value is multiplied by the number of comparisons (2)
    expect(b?.adjustedPValue).toBeCloseTo(Math.min(1, 2 * (b?.pValue ?? 1)), 12);
    expect(b?.revenuePerVisitor).toBe(1.5);
    expect(c?.srm.warning).toBe(false);
    expect(c?.holdout.visitors).toBe(300);
  });

  it('flags a broken split and withholds verdicts below the minimum sample', () => {
    const r = buildReport(doc, raw([1000, 600, 1000], [100, 90, 100]));
    expect(r.campaigns[0]?.srm.warning).toBe(true);
    const small = buildReport(doc, raw([50, 50, 50], [1, 20, 1]));
    expect(small.campaigns[0]?.variants[1]?.goals.purchase?.verdict).toBe('insufficient-data');
  });

  it('shows what the programme caused against the global holdout', () => {
    const r = buildReport(doc, raw([1000, 1000, 1000], [100, 150, 105], 1000));
    const g = r.programme.goals.purchase;
    // treated 355/3000 vs holdout 100/1000: caused = 355 - 0.1 * 3000
    expect(g?.caused.conversions).toBeCloseTo(55, 9);
    expect(g?.total.conversions).toBe(455);
    expect(r.programme.holdoutShare).toBe(0.1);
  });

  it('never emits NaN or Infinity', () => {
    const r = buildReport(doc, raw([0, 0, 0], [0, 0, 0]));
    expect(JSON.stringify(r)).not.toMatch(/NaN|Infinity/);
  });
});

describe('daily series', () => {
  it('has visitors, conversions, impressions and clicks per variant and day', () => {
    const r = raw([100, 100, 100], [10, 20, 10]);
    r.slots = [
      { campaignId: 'c', seed: 'c', variantId: 'b', day: '2026-11-21', impressions: 80, clicks: 8 },
      { campaignId: 'c', seed: 'c', variantId: 'b', day: '2026-11-22', impressions: 20, clicks: 1 },
    ];
    r.conversionsDaily = [
      { campaignId: 'c', seed: 'c', variantId: 'b', goal: 'purchase', day: '2026-11-22', converters: 20 },
    ];
    const c = buildReport(doc, r).campaigns[0];
    expect(c?.variants[1]).toMatchObject({ impressions: 100, clicks: 9, clickRate: 0.09 });
    expect(c?.daily.filter((d) => d.variant === 'b')).toEqual([
      { day: '2026-11-21', variant: 'b', visitors: 100, conversions: {}, impressions: 80, clicks: 8 },
      {
        day: '2026-11-22',
        variant: 'b',
        visitors: 0,
        conversions: { purchase: 20 },
        impressions: 20,
        clicks: 1,
      },
    ]);
  });
});
