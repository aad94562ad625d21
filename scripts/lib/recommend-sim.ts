/**
 * @module recommend-sim
 * The offline evaluation behind `npm run simulate:recs`: how well each recommendation strategy predicts a
 * visitor's next item when the truth is known. A seeded catalogue (items in categories, each category cut
 * into "bundles" of related items, Zipf popularity) and sessions drawn from a known process:
 *
 *   the first item by popularity; each next item, with probability `stay` from the current item's bundle,
 *   with probability `sameCategory` from its category, else from the whole catalogue, always by
 *   popularity among the items the session has not viewed yet (an empty bundle passes its mass to the
 *   category, an empty category to the catalogue).
 *
 * `affinity` has real bundles (stay 0.6, same category 0.15); `independent` has none (every item drawn by
 * popularity alone), where nothing beats popularity and a learner should only match it.
 *
 * Protocol: sessions are split at random into training (80 %) and held-out (20 %) sets; the model is
 * learned on the training sessions; for each held-out session of at least two items the last item is the
 * target and the rest the prefix (the visitor viewed the prefix and is on the page of its last item).
 * Each strategy recommends `count` items (exclude: viewed) and scores a hit when the target is among them,
 * NDCG = 1 / log2(1 + rank). The oracle ranks items by their true probability of being next, which is the
 * best any recommender can do in expectation (the achievable). Intervals are normal approximations over
 * held-out sessions; differences against popular are paired (same sessions). Pure and seeded.
 */

import {
  type CatalogueItem,
  compactRecommendModel,
  encodeRecommendModel,
  indexCatalogue,
  learnNeighbours,
  mulberry32,
  type RecommendModel,
  type RecommendSource,
  recommend,
  type SessionEvent,
} from '../../worker/engine/index.ts';

const DAY = 86_400_000;

export interface RecScenario {
  name: string;
  description: string;
  /** probability that the next item comes from the current item's bundle */
  stay: number;
  /** probability that it comes from the current item's category (else: anywhere) */
  sameCategory: number;
}

export const REC_SCENARIOS: readonly RecScenario[] = [
  {
    name: 'affinity',
    description: 'next item from the same bundle w.p. 0.6, the same category 0.15, else by popularity',
    stay: 0.6,
    sameCategory: 0.15,
  },
  {
    name: 'independent',
    description: 'every item drawn independently by popularity: no affinity to learn',
    stay: 0,
    sameCategory: 0,
  },
];

export type EvalStrategy = 'similar' | 'for-you' | 'popular-in-interest' | 'popular' | 'oracle';
export const EVAL_STRATEGIES: readonly EvalStrategy[] = [
  'similar',
  'for-you',
  'popular-in-interest',
  'popular',
  'oracle',
];

export interface RecSimOptions {
  scenarios?: readonly RecScenario[];
  seed?: number;
  /** catalogue size (default 200) */
  items?: number;
  /** categories (default 8) */
  categories?: number;
  /** items per bundle (default 5) */
  bundleSize?: number;
  /** Zipf exponent of item popularity (default 1) */
  zipf?: number;
  /** sessions generated, training and held-out together (default 20,000) */
  sessions?: number;
  /** share of sessions held out (default 0.2) */
  heldOut?: number;
  /** mean session length (default 3.5; lengths are 1 + geometric, at most 15) */
  meanLength?: number;
  /** probability that a viewed item is purchased (default 0.1) */
  purchaseRate?: number;
  /** days the sessions span (default 28) */
  days?: number;
  /** items recommended (default 4) */
  count?: number;
  /** learnNeighbours' minSupport and shrinkage (defaults: the engine's) */
  minSupport?: number;
  shrinkage?: number;
  /** recommend's interestShare for `for-you` (default: the engine's) */
  interestShare?: number;
}

export const DEFAULT_REC_SIM = {
  seed: 1,
  items: 200,
  categories: 8,
  bundleSize: 5,
  zipf: 1,
  sessions: 20_000,
  heldOut: 0.2,
  meanLength: 3.5,
  purchaseRate: 0.1,
  days: 28,
  count: 4,
} as const;

export interface Estimate {
  mean: number;
  se: number;
  ci: [number, number];
}

export interface StrategyFigures {
  hr: Estimate;
  ndcg: Estimate;
  /** paired difference against popular, hit rate and NDCG */
  hrVsPopular: Estimate;
  ndcgVsPopular: Estimate;
  /** (strategy − popular) / (oracle − popular), or null when the oracle has no clear gain */
  hrCaptured: number | null;
  ndcgCaptured: number | null;
  /** share of the recommended positions filled by a fallback rather than the strategy itself */
  fallbackShare: number;
}

export interface RecScenarioResult {
  name: string;
  description: string;
  trainSessions: number;
  evaluated: number;
  /** bytes of the learned model as JSON */
  modelBytes: number;
  /**
   * the compact model (what KV stores): its bytes, and its answers compared with the JSON model's on
   * every evaluated request (item, source and score at every position)
   */
  compact: { bytes: number; answers: number; differing: number };
  strategies: Record<EvalStrategy, StrategyFigures>;
}

/** Mixes integers into a 32-bit seed (so streams of different roles differ). */
function mix(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193);
    h ^= h >>> 15;
  }
  return h >>> 0;
}

interface World {
  catalogue: CatalogueItem[];
  pop: number[];
  category: number[];
  bundle: number[];
  bundles: number[][];
  byCategory: number[][];
}

function world(
  o: Required<Omit<RecSimOptions, 'scenarios' | 'minSupport' | 'shrinkage' | 'interestShare'>>,
): World {
  const random = mulberry32(mix(o.seed, 1));
  // popularity: Zipf weights over a random permutation of the items
  const order = Array.from({ length: o.items }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const pop = new Array<number>(o.items).fill(0);
  order.forEach((item, rank) => {
    pop[item] = 1 / (rank + 1) ** o.zipf;
  });
  const category = Array.from({ length: o.items }, (_, i) => i % o.categories);
  const byCategory: number[][] = Array.from({ length: o.categories }, () => []);
  for (let i = 0; i < o.items; i++) byCategory[category[i] as number]?.push(i);
  const bundle = new Array<number>(o.items).fill(0);
  const bundles: number[][] = [];
  for (const members of byCategory) {
    for (let start = 0; start < members.length; start += o.bundleSize) {
      const b = members.slice(start, start + o.bundleSize);
      for (const i of b) bundle[i] = bundles.length;
      bundles.push(b);
    }
  }
  const catalogue = Array.from({ length: o.items }, (_, i) => ({
    id: `i${i}`,
    url: `/p/i${i}`,
    title: `item ${i}`,
    category: `c${category[i]}`,
  }));
  return { catalogue, pop, category, bundle, bundles, byCategory };
}

/**
 * The true probability of each item being next, given the current item and the items viewed: the
 * generative process itself (the oracle's knowledge, and how sessions are drawn).
 */
function nextDistribution(w: World, s: RecScenario, current: number, viewed: ReadonlySet<number>): number[] {
  const p = new Array<number>(w.pop.length).fill(0);
  const spread = (members: readonly number[], mass: number): boolean => {
    let total = 0;
    for (const i of members) if (!viewed.has(i)) total += w.pop[i] as number;
    if (total === 0) return false;
    for (const i of members)
      if (!viewed.has(i)) p[i] = (p[i] as number) + (mass * (w.pop[i] as number)) / total;
    return true;
  };
  const all = w.catalogue.map((_, i) => i);
  let global = 1 - s.stay - s.sameCategory;
  let category = s.sameCategory;
  if (s.stay > 0 && !spread(w.bundles[w.bundle[current] as number] as number[], s.stay)) category += s.stay;
  if (category > 0 && !spread(w.byCategory[w.category[current] as number] as number[], category))
    global += category;
  if (global > 0) spread(all, global);
  return p;
}

function draw(p: readonly number[], u: number): number {
  let total = 0;
  for (const x of p) total += x;
  let acc = 0;
  const target = u * total;
  let last = -1;
  for (let i = 0; i < p.length; i++) {
    if ((p[i] as number) <= 0) continue;
    last = i;
    acc += p[i] as number;
    if (target < acc) return i;
  }
  return last;
}

interface Session {
  items: number[];
  events: SessionEvent[];
}

function sessions(
  w: World,
  s: RecScenario,
  o: Required<Omit<RecSimOptions, 'scenarios' | 'minSupport' | 'shrinkage' | 'interestShare'>>,
) {
  const random = mulberry32(mix(o.seed, 2, s.stay * 1000, s.sameCategory * 1000));
  const first = w.pop.slice();
  const out: Session[] = [];
  const stop = 1 / o.meanLength; // 1 + a geometric count of mean meanLength - 1 (before the cap)
  for (let n = 0; n < o.sessions; n++) {
    let length = 1;
    while (length < 15 && random() >= stop) length++;
    const start = Math.floor(random() * o.days * DAY);
    const items = [draw(first, random())];
    const viewed = new Set(items);
    while (items.length < length) {
      const next = draw(nextDistribution(w, s, items[items.length - 1] as number, viewed), random());
      if (next < 0) break;
      items.push(next);
      viewed.add(next);
    }
    const events: SessionEvent[] = [];
    items.forEach((i, k) => {
      const at = start + k * 60_000;
      events.push({ item: `i${i}`, at, kind: 'view' });
      if (random() < o.purchaseRate) events.push({ item: `i${i}`, at: at + 30_000, kind: 'purchase' });
    });
    out.push({ items, events });
  }
  return out;
}

function estimate(values: readonly number[]): Estimate {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, n);
  const variance = n > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) : 0;
  const se = Math.sqrt(variance / Math.max(1, n));
  return { mean, se, ci: [mean - 1.96 * se, mean + 1.96 * se] };
}

function runScenario(scenario: RecScenario, options: RecSimOptions): RecScenarioResult {
  const o = { ...DEFAULT_REC_SIM, ...definedOnly(options) } as Required<
    Omit<RecSimOptions, 'scenarios' | 'minSupport' | 'shrinkage' | 'interestShare'>
  >;
  const w = world(o);
  const all = sessions(w, scenario, o);
  const split = mulberry32(mix(o.seed, 3));
  const train: Session[] = [];
  const test: Session[] = [];
  for (const s of all) (split() < o.heldOut ? test : train).push(s);
  const categoryOf = (id: string) => w.catalogue[Number(id.slice(1))]?.category;
  const model: RecommendModel = learnNeighbours(
    train.map((s) => s.events),
    { now: o.days * DAY, categoryOf, minSupport: options.minSupport, shrinkage: options.shrinkage },
  );
  const compact = compactRecommendModel(model);
  let compared = 0;
  let differing = 0;
  const index = indexCatalogue(w.catalogue);
  const hits: Record<EvalStrategy, number[]> = blank();
  const gains: Record<EvalStrategy, number[]> = blank();
  const fallbacks: Record<EvalStrategy, number> = {
    similar: 0,
    'for-you': 0,
    'popular-in-interest': 0,
    popular: 0,
    oracle: 0,
  };
  const positions: Record<EvalStrategy, number> = { ...fallbacks };
  let evaluated = 0;
  for (const s of test) {
    if (s.items.length < 2) continue;
    evaluated++;
    const prefix = s.items.slice(0, -1);
    const target = `i${s.items[s.items.length - 1]}`;
    const current = prefix[prefix.length - 1] as number;
    const views = s.events.filter((e) => e.kind === 'view').slice(0, -1);
    const visitor = { viewed: views.map((e) => ({ item: e.item, at: e.at })) };
    for (const strategy of EVAL_STRATEGIES) {
      let ranked: string[];
      if (strategy === 'oracle') {
        const p = nextDistribution(w, scenario, current, new Set(prefix));
        ranked = p
          .map((x, i) => [i, x] as const)
          .filter(([, x]) => x > 0)
          .sort((a, b) => b[1] - a[1] || a[0] - b[0])
          .slice(0, o.count)
          .map(([i]) => `i${i}`);
      } else {
        const request = {
          strategy: strategy as RecommendSource,
          count: o.count,
          exclude: 'viewed' as const,
          item: `i${current}`,
        };
        const out = recommend(model, index, visitor, request, { interestShare: options.interestShare });
        const fromCompact = recommend(compact, index, visitor, request, {
          interestShare: options.interestShare,
        });
        compared++;
        const same =
          fromCompact.length === out.length &&
          out.every((r, i) => {
            const c = fromCompact[i];
            return c !== undefined && c.item === r.item && c.source === r.source && c.score === r.score;
          });
        if (!same) differing++;
        ranked = out.map((r) => r.item.id);
        positions[strategy] += out.length;
        fallbacks[strategy] += out.filter(
          (r) => r.source !== strategy && !(strategy === 'for-you' && r.source === 'popular-in-interest'),
        ).length;
      }
      const rank = ranked.indexOf(target);
      hits[strategy].push(rank >= 0 ? 1 : 0);
      gains[strategy].push(rank >= 0 ? 1 / Math.log2(rank + 2) : 0);
    }
  }
  const paired = (a: number[], b: number[]) => estimate(a.map((x, i) => x - (b[i] as number)));
  const oracleHr = paired(hits.oracle, hits.popular);
  const oracleNdcg = paired(gains.oracle, gains.popular);
  const strategies = {} as Record<EvalStrategy, StrategyFigures>;
  for (const strategy of EVAL_STRATEGIES) {
    const hrVsPopular = paired(hits[strategy], hits.popular);
    const ndcgVsPopular = paired(gains[strategy], gains.popular);
    // a share of the oracle's gain only means something when that gain is clearly there
    const clear = (d: Estimate) => d.mean > 3 * d.se && d.mean > 0;
    strategies[strategy] = {
      hr: estimate(hits[strategy]),
      ndcg: estimate(gains[strategy]),
      hrVsPopular,
      ndcgVsPopular,
      hrCaptured: clear(oracleHr) ? hrVsPopular.mean / oracleHr.mean : null,
      ndcgCaptured: clear(oracleNdcg) ? ndcgVsPopular.mean / oracleNdcg.mean : null,
      fallbackShare: positions[strategy] > 0 ? fallbacks[strategy] / positions[strategy] : 0,
    };
  }
  return {
    name: scenario.name,
    description: scenario.description,
    trainSessions: train.length,
    evaluated,
    modelBytes: new TextEncoder().encode(JSON.stringify(model)).length,
    compact: { bytes: encodeRecommendModel(model).byteLength, answers: compared, differing },
    strategies,
  };
}

function blank(): Record<EvalStrategy, number[]> {
  return { similar: [], 'for-you': [], 'popular-in-interest': [], popular: [], oracle: [] };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Runs every scenario (default: both) with the same options and seed. */
export function simulateRecommendations(options: RecSimOptions = {}): RecScenarioResult[] {
  return (options.scenarios ?? REC_SCENARIOS).map((s) => runScenario(s, options));
}

/**
 * A model at its largest for a catalogue: every item with a full list of `k` co-viewed and `boughtK`
 * co-purchased neighbours, ids like `sku-00042`, scores of 3 significant digits, plus 50 popular items
 * overall and in each of `categories` categories. What one KV value must hold.
 */
export function worstCaseModel(items = 5000, k = 20, boughtK = k, categories = 50): RecommendModel {
  const random = mulberry32(9);
  const id = (i: number) => `sku-${String(i).padStart(5, '0')}`;
  const list = (length: number): [string, number][] =>
    Array.from({ length }, () => [
      id(Math.floor(random() * items)),
      Number((0.01 + random() * 0.9).toPrecision(3)),
    ]);
  const neighbours: Record<string, [string, number][]> = {};
  const bought: Record<string, [string, number][]> = {};
  for (let i = 0; i < items; i++) {
    neighbours[id(i)] = list(k);
    if (boughtK > 0) bought[id(i)] = list(boughtK);
  }
  const popularList = () =>
    Array.from({ length: 50 }, (_, i): [string, number] => [id(i), Number((1 / (i + 1)).toPrecision(3))]);
  const byCategory: Record<string, [string, number][]> = {};
  for (let c = 0; c < categories; c++) byCategory[`category-${c}`] = popularList();
  const model: RecommendModel = {
    version: 1,
    trainedAt: 1_700_000_000_000,
    neighbours,
    bought,
    popular: { all: popularList(), byCategory },
  };
  return model;
}

/** The JSON size (format 1) of {@link worstCaseModel}. */
export function worstCaseModelBytes(items = 5000, k = 20, boughtK = k, categories = 50): number {
  return new TextEncoder().encode(JSON.stringify(worstCaseModel(items, k, boughtK, categories))).length;
}

/** The compact size (format 2, what KV stores) of {@link worstCaseModel}. */
export function worstCaseCompactBytes(items = 5000, k = 20, boughtK = k, categories = 50): number {
  return encodeRecommendModel(worstCaseModel(items, k, boughtK, categories)).byteLength;
}

const pct = (x: number) => (100 * x).toFixed(1);
const interval = (e: Estimate) => `${pct(e.mean)} [${pct(e.ci[0])}, ${pct(e.ci[1])}]`;
const signed = (e: Estimate) => `${e.mean >= 0 ? '+' : ''}${pct(e.mean)} [${pct(e.ci[0])}, ${pct(e.ci[1])}]`;

/** A plain-text table per scenario (percentages, 95 % intervals). */
export function renderRecTable(results: readonly RecScenarioResult[], count = DEFAULT_REC_SIM.count): string {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(
      `${r.name}: ${r.description}`,
      `  ${r.trainSessions} training sessions, ${r.evaluated} held-out sessions evaluated, model ${(r.modelBytes / 1024).toFixed(1)} KB ` +
        `as JSON, ${(r.compact.bytes / 1024).toFixed(1)} KB compact (answers identical in ${r.compact.answers - r.compact.differing} of ${r.compact.answers})`,
    );
    const header = [
      'strategy',
      `HR@${count} %`,
      `NDCG@${count} %`,
      'HR − popular',
      'oracle gain captured (HR / NDCG)',
      'fallback',
    ];
    const rows = EVAL_STRATEGIES.map((s) => {
      const f = r.strategies[s];
      const cap = (x: number | null) => (x === null ? '—' : `${pct(x)} %`);
      return [
        s,
        interval(f.hr),
        interval(f.ndcg),
        s === 'popular' ? '' : signed(f.hrVsPopular),
        `${cap(f.hrCaptured)} / ${cap(f.ndcgCaptured)}`,
        s === 'oracle' ? '' : `${pct(f.fallbackShare)} %`,
      ];
    });
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
    const fmt = (row: string[]) =>
      `  ${row.map((c, i) => c.padEnd(widths[i] as number)).join('  ')}`.trimEnd();
    lines.push(fmt(header), ...rows.map(fmt), '');
  }
  return lines.join('\n');
}
