/**
 * @module item-results
 * Click-through and attributed conversions of listed items (item-attribution.ts), per variant and
 * list position, and summed per recommendation strategy across campaigns: what "for-you" or "similar"
 * earns, wherever it runs.
 *
 * - `ctr` is item clicks per viewable impression of the slot (Wilson 95% interval), overall and per
 *   position: the position's CTR is how often its item was clicked when the list was seen.
 * - `conversions` are attributed conversions (a conversion the campaign counts, after a click on one
 *   of its listed items in the same visit, credited to the visit's last clicked position), `value`
 *   their summed value and `itemsBought` the clicked items that were then bought. `perClick` is
 *   attributed conversions per item click.
 *
 * Attribution answers "what did the clicks lead to", not "what did the recommendation cause": a
 * recommendation that only takes clicks from the page's other links converts as well as what it
 * replaced. The variant's own conversion rate against its control, in the same report, is the causal
 * comparison.
 */
import type { CompiledCampaign } from './document.ts';
import type { ItemMetric } from './item-attribution.ts';
import { type Estimate, proportion } from './secondary.ts';

/** One row of item_daily summed over days. */
export interface ItemCountRow {
  campaignId: string;
  seed: string;
  variantId: string;
  position: number;
  metric: string;
  amount: number;
}

export interface ItemPositionResult {
  /** 1 for the first item; 0 for clicks whose page gave no position */
  position: number;
  clicks: number;
  ctr: Estimate | null;
  conversions: number;
  value: number;
  itemsBought: number;
}

export interface ItemsResult {
  /** the variant's recommendation strategy; null for a list the page marks itself */
  strategy: string | null;
  impressions: number;
  clicks: number;
  ctr: Estimate | null;
  conversions: number;
  value: number;
  itemsBought: number;
  /** attributed conversions per item click */
  perClick: Estimate | null;
  positions: ItemPositionResult[];
}

/** One strategy over every campaign and variant that uses it. */
export interface StrategyResult extends ItemsResult {
  /** `campaign/variant` of each variant summed here */
  variants: string[];
}

interface Sums {
  clicks: number;
  conversions: number;
  value: number;
  itemsBought: number;
}

const EMPTY: Sums = { clicks: 0, conversions: 0, value: 0, itemsBought: 0 };
const FIELD: Record<ItemMetric, keyof Sums> = {
  clicks: 'clicks',
  conversions: 'conversions',
  value: 'value',
  items_bought: 'itemsBought',
};

/** Per-position sums of one variant (or one strategy). */
export type PositionSums = Map<number, Sums>;

/** campaign, seed, variant -> position -> sums */
export function itemSums(rows: readonly ItemCountRow[]): Map<string, PositionSums> {
  const out = new Map<string, PositionSums>();
  for (const r of rows) {
    const f = FIELD[r.metric as ItemMetric];
    if (!f) continue;
    const k = itemKey(r.campaignId, r.seed, r.variantId);
    const byPos = out.get(k) ?? new Map<number, Sums>();
    const s = byPos.get(r.position) ?? { ...EMPTY };
    s[f] += r.amount;
    byPos.set(r.position, s);
    out.set(k, byPos);
  }
  return out;
}

export const itemKey = (campaignId: string, seed: string, variantId: string) =>
  `${campaignId}\u0000${seed}\u0000${variantId}`;

/** The result of one variant (or strategy) from its per-position sums and its slot's impressions. */
export function itemsResult(strategy: string | null, impressions: number, byPos: PositionSums): ItemsResult {
  const n = Math.max(0, Math.floor(impressions));
  const total = { ...EMPTY };
  const positions: ItemPositionResult[] = [...byPos.entries()]
    .sort(([a], [b]) => (a === 0 ? 1 : b === 0 ? -1 : a - b))
    .map(([position, s]) => {
      total.clicks += s.clicks;
      total.conversions += s.conversions;
      total.value += s.value;
      total.itemsBought += s.itemsBought;
      return { position, ...s, ctr: proportion(s.clicks, n) };
    });
  return {
    strategy,
    impressions: n,
    ...total,
    ctr: proportion(total.clicks, n),
    perClick: proportion(total.conversions, total.clicks),
    positions,
  };
}

/** The variant's strategy, or null for a fixed variant (a list the page marks itself). */
const strategyOf = (c: CompiledCampaign, variantId: string) =>
  c.variants.find((v) => v.id === variantId)?.recommend?.strategy ?? null;

/**
 * The variant's items result, or undefined when nothing was clicked in its list and it is not a
 * recommendation (most variants have no list at all).
 */
export function variantItems(
  c: CompiledCampaign,
  variantId: string,
  impressions: number,
  sums: ReadonlyMap<string, PositionSums>,
): ItemsResult | undefined {
  const byPos = sums.get(itemKey(c.id, c.seed, variantId));
  const strategy = strategyOf(c, variantId);
  if (!byPos && strategy === null) return undefined;
  return itemsResult(strategy, impressions, byPos ?? new Map());
}

/**
 * Per recommendation strategy, every campaign's variants that use it summed (current seeds only), in
 * name order; then, when the site marks lists of its own (a fixed variant whose items were clicked), one
 * row for all of them (`strategy: null`), the baseline the strategies are read against.
 */
export function strategyResults(
  campaigns: readonly CompiledCampaign[],
  impressionsOf: (campaignId: string, seed: string, variantId: string) => number,
  sums: ReadonlyMap<string, PositionSums>,
): StrategyResult[] {
  const by = new Map<string | null, { impressions: number; byPos: PositionSums; variants: string[] }>();
  for (const c of campaigns)
    for (const v of c.variants) {
      const strategy = v.recommend?.strategy ?? null;
      if (strategy === null && !sums.has(itemKey(c.id, c.seed, v.id))) continue;
      const t = by.get(strategy) ?? {
        impressions: 0,
        byPos: new Map<number, Sums>(),
        variants: [] as string[],
      };
      t.impressions += impressionsOf(c.id, c.seed, v.id);
      t.variants.push(`${c.id}/${v.id}`);
      for (const [pos, s] of sums.get(itemKey(c.id, c.seed, v.id)) ?? []) {
        const a = t.byPos.get(pos) ?? { ...EMPTY };
        a.clicks += s.clicks;
        a.conversions += s.conversions;
        a.value += s.value;
        a.itemsBought += s.itemsBought;
        t.byPos.set(pos, a);
      }
      by.set(strategy, t);
    }
  // no strategy at all: nothing to compare a site's own lists with
  if (by.size === 1 && by.has(null)) return [];
  return [...by.entries()]
    .sort(([a], [b]) => (a === null ? 1 : b === null ? -1 : a < b ? -1 : a > b ? 1 : 0))
    .map(([strategy, t]) => ({ ...itemsResult(strategy, t.impressions, t.byPos), variants: t.variants }));
}
