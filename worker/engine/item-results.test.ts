/**
 * Item click-through and attributed conversions from item_daily's sums: per variant and position, and
 * per strategy over campaigns, with the site's own marked lists as the last row.
 */
import { describe, expect, it } from 'vitest';
import type { CompiledDocument } from './document.ts';
import { parseDocument } from './document.ts';
import { type ItemCountRow, itemSums, strategyResults, variantItems } from './item-results.ts';

function compile(doc: unknown): CompiledDocument {
  const r = parseDocument(doc);
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.doc;
}

const LI = '<li>{{ item.title }}</li>';
const DOC = compile({
  version: 1,
  campaigns: [
    {
      id: 'home',
      slot: { selector: '#home', action: 'replace' },
      variants: [{ id: 'picks' }, { id: 'for-you', recommend: { strategy: 'for-you' }, html: LI }],
    },
    {
      id: 'also',
      slot: { selector: '#also', action: 'replace' },
      variants: [{ id: 'control' }, { id: 'similar', recommend: { strategy: 'similar' }, html: LI }],
    },
    {
      id: 'cart',
      slot: { selector: '#cart', action: 'replace' },
      variants: [{ id: 'fy', recommend: { strategy: 'for-you' }, html: LI }],
    },
  ],
});
const [home, also, cart] = DOC.campaigns as [
  CompiledDocument['campaigns'][number],
  CompiledDocument['campaigns'][number],
  CompiledDocument['campaigns'][number],
];

const row = (
  c: { id: string; seed: string },
  variantId: string,
  position: number,
  metric: string,
  amount: number,
): ItemCountRow => ({
  campaignId: c.id,
  seed: c.seed,
  variantId,
  position,
  metric,
  amount,
});

const ROWS: ItemCountRow[] = [
  row(home, 'for-you', 1, 'clicks', 30),
  row(home, 'for-you', 2, 'clicks', 10),
  row(home, 'for-you', 1, 'conversions', 6),
  row(home, 'for-you', 1, 'value', 600),
  row(home, 'for-you', 2, 'items_bought', 2),
  row(home, 'picks', 1, 'clicks', 12),
  row(home, 'picks', 0, 'clicks', 3),
  row(cart, 'fy', 1, 'clicks', 10),
  // a metric this release does not know is left out
  row(home, 'for-you', 1, 'hovers', 99),
  // an earlier seed of the campaign is not its current result
  row({ id: 'home', seed: 'old-seed' }, 'for-you', 1, 'clicks', 500),
];

const IMPRESSIONS: Record<string, number> = {
  'home/for-you': 400,
  'home/picks': 300,
  'cart/fy': 100,
  'also/similar': 50,
};
const impressionsOf = (c: string, _seed: string, v: string) => IMPRESSIONS[`${c}/${v}`] ?? 0;

describe('item results', () => {
  const sums = itemSums(ROWS);

  it('gives a variant its click rate per position, with Wilson intervals, and what the clicks led to', () => {
    const r = variantItems(home, 'for-you', 400, sums);
    expect(r).toMatchObject({
      strategy: 'for-you',
      impressions: 400,
      clicks: 40,
      conversions: 6,
      value: 600,
      itemsBought: 2,
    });
    expect(r?.ctr?.value).toBeCloseTo(0.1, 12);
    // Wilson 95 % for 40 of 400, scipy 1.x: binomtest(40, 400).proportion_ci(method='wilson')
    // = (0.07429925914003438, 0.13331057632740284)
    expect(r?.ctr?.ci[0]).toBeCloseTo(0.07429925914003438, 8);
    expect(r?.ctr?.ci[1]).toBeCloseTo(0.13331057632740284, 8);
    expect(r?.perClick?.value).toBeCloseTo(6 / 40, 12);
    expect(r?.positions.map((p) => [p.position, p.clicks, p.ctr?.value])).toEqual([
      [1, 30, 0.075],
      [2, 10, 0.025],
    ]);
  });

  it('lists position 0 (the page gave none) last, and leaves a variant without a list out', () => {
    expect(variantItems(home, 'picks', 300, sums)?.positions.map((p) => p.position)).toEqual([1, 0]);
    expect(variantItems(home, 'picks', 300, sums)?.strategy).toBeNull();
    expect(variantItems(also, 'control', 0, sums)).toBeUndefined();
    // a recommendation variant nobody clicked yet still has its (empty) result
    expect(variantItems(also, 'similar', 50, sums)).toMatchObject({
      clicks: 0,
      impressions: 50,
      positions: [],
    });
  });

  it('sums each strategy over campaigns, then the marked lists, and leaves out earlier seeds', () => {
    const s = strategyResults(DOC.campaigns, impressionsOf, sums);
    expect(s.map((x) => [x.strategy, x.variants, x.impressions, x.clicks])).toEqual([
      ['for-you', ['home/for-you', 'cart/fy'], 500, 50],
      ['similar', ['also/similar'], 50, 0],
      [null, ['home/picks'], 300, 15],
    ]);
    expect(s[0]?.positions.map((p) => [p.position, p.clicks])).toEqual([
      [1, 40],
      [2, 10],
    ]);
  });

  it('has no strategy rows without a recommendation variant', () => {
    const plain = compile({
      version: 1,
      campaigns: [
        { id: 'home', slot: { selector: '#home', action: 'replace' }, variants: [{ id: 'picks' }] },
      ],
    });
    expect(strategyResults(plain.campaigns, impressionsOf, itemSums(ROWS))).toEqual([]);
  });
});
