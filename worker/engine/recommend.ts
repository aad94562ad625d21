/**
 * @module recommend
 * Item recommendations, the pure core: a model learned from visitor sessions (item-to-item co-views,
 * co-purchases and time-decayed popularity per category) and the strategies that answer a recommendation
 * variant from it, each with a stated fallback order. No clock, no I/O, no randomness: training takes
 * `now`, and the same inputs give the same model and the same answers.
 *
 * Learning (`learnNeighbours`):
 * - co-views: every item present in a session (viewed or purchased) counts once per session. For two items
 *   i and j, with n_i the sessions holding i and c_ij those holding both, the similarity is the cosine
 *   c_ij / sqrt(n_i · n_j), multiplied by the shrinkage c_ij / (c_ij + λ) (λ = 10; 0 turns it off), and kept
 *   only when c_ij ≥ `minSupport`;
 * - co-purchases ("bought together"): the same over the items purchased in a session;
 * - popularity: the sessions holding an item, each weighted 2^(-age / half-life) by the item's last event
 *   in it, overall and per category (`categoryOf`), normalized so the most popular item scores 1;
 * - each list keeps its top k (ties by item id) with scores rounded to 3 significant digits. The learned
 *   model is plain JSON (format 1); KV stores and isolates hold its compact form (recommend-model.ts,
 *   format 2), which answers identically.
 *
 * Answering (`recommend`): see {@link RECOMMEND_FALLBACKS} for each strategy's order and {@link RecommendOptions}.
 */

/** One event of a session, as the training data holds it. */
export interface SessionEvent {
  item: string;
  /** ms since the epoch */
  at: number;
  kind: 'view' | 'purchase';
}

import {
  type CompactRecommendModel,
  EMPTY_LIST,
  modelLists,
  type ScoredList,
  scoredList,
} from './recommend-model.ts';

/** An item with its score, as the model stores it: `[id, score]`. */
export type ScoredItem = [item: string, score: number];

export const RECOMMEND_MODEL_VERSION = 1;

/** The learned model, plain JSON (format 1; KV stores its compact form, recommend-model.ts). */
export interface RecommendModel {
  version: typeof RECOMMEND_MODEL_VERSION;
  /** the `now` it was trained at (ms) */
  trainedAt: number;
  /** item -> its most similar items by co-views, best first */
  neighbours: Record<string, ScoredItem[]>;
  /** item -> the items most often purchased in the same session, best first */
  bought: Record<string, ScoredItem[]>;
  popular: { all: ScoredItem[]; byCategory: Record<string, ScoredItem[]> };
}

/** Either form of the model: `recommend` answers the same from both. */
export type AnyRecommendModel = RecommendModel | CompactRecommendModel;

export interface LearnOptions {
  /** training time (ms): ages for the popularity decay are measured from it */
  now: number;
  /** the category of an item (undefined when it has none); only popularity uses it */
  categoryOf?: (item: string) => string | null | undefined;
  /** fewest sessions holding both items for a pair to count (default 2) */
  minSupport?: number;
  /** λ of the shrinkage c / (c + λ), which discounts pairs seen in few sessions (default 10; 0: none) */
  shrinkage?: number;
  /** neighbours kept per item, for co-views and co-purchases (default 20) */
  k?: number;
  /** items kept per popularity list (default 50) */
  popularK?: number;
  /** popularity half-life in ms (default 7 days) */
  halfLife?: number;
  /** most distinct items taken from one session, the latest (default 50; a bot's crawl stays bounded) */
  maxSessionItems?: number;
}

export const DEFAULT_LEARN_OPTIONS = {
  minSupport: 2,
  shrinkage: 10,
  k: 20,
  popularK: 50,
  halfLife: 7 * 86_400_000,
  maxSessionItems: 50,
} as const;

/** A score rounded to 3 significant digits (what the model stores). */
export function roundScore(x: number): number {
  return x === 0 || !Number.isFinite(x) ? 0 : Number(x.toPrecision(3));
}

/** Best first, ties by id (so the order never depends on insertion order). */
function byScore(a: ScoredItem, b: ScoredItem): number {
  return b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
}

function topK(list: ScoredItem[], k: number): ScoredItem[] {
  const rounded = list.map(([item, s]): ScoredItem => [item, roundScore(s)]).filter(([, s]) => s > 0);
  return rounded.sort(byScore).slice(0, k);
}

/** Distinct items of a session, the latest `max` by their last event; with their last time. */
function sessionItems(events: readonly SessionEvent[], kind: 'any' | 'purchase', max: number) {
  const last = new Map<string, number>();
  for (const e of events) {
    if (kind === 'purchase' && e.kind !== 'purchase') continue;
    if (typeof e.item !== 'string' || e.item === '' || !Number.isFinite(e.at)) continue;
    const seen = last.get(e.item);
    if (seen === undefined || e.at > seen) last.set(e.item, e.at);
  }
  const items = [...last.entries()];
  if (items.length > max) {
    items.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    items.length = max;
  }
  return items;
}

/** Cosine similarities of items co-occurring in sessions, top k per item. */
function cooccurrence(
  sessions: readonly (readonly string[])[],
  minSupport: number,
  shrinkage: number,
  k: number,
): Record<string, ScoredItem[]> {
  const index = new Map<string, number>();
  const ids: string[] = [];
  const n: number[] = [];
  const pairs = new Map<number, number>();
  const indexOf = (item: string): number => {
    let i = index.get(item);
    if (i === undefined) {
      i = ids.length;
      index.set(item, i);
      ids.push(item);
      n.push(0);
    }
    return i;
  };
  const encoded = sessions.map((items) => items.map(indexOf));
  const N = ids.length;
  for (const items of encoded) {
    for (const i of items) n[i] = (n[i] as number) + 1;
    for (let a = 0; a < items.length; a++) {
      for (let b = a + 1; b < items.length; b++) {
        const i = items[a] as number;
        const j = items[b] as number;
        const key = i < j ? i * N + j : j * N + i;
        pairs.set(key, (pairs.get(key) ?? 0) + 1);
      }
    }
  }
  const lists: ScoredItem[][] = ids.map(() => []);
  for (const [key, c] of pairs) {
    if (c < minSupport) continue;
    const i = Math.floor(key / N);
    const j = key - i * N;
    const sim =
      (c / Math.sqrt((n[i] as number) * (n[j] as number))) * (shrinkage > 0 ? c / (c + shrinkage) : 1);
    (lists[i] as ScoredItem[]).push([ids[j] as string, sim]);
    (lists[j] as ScoredItem[]).push([ids[i] as string, sim]);
  }
  const out: [string, ScoredItem[]][] = [];
  const order = ids.map((_, i) => i).sort((a, b) => ((ids[a] as string) < (ids[b] as string) ? -1 : 1));
  for (const i of order) {
    const top = topK(lists[i] as ScoredItem[], k);
    if (top.length > 0) out.push([ids[i] as string, top]);
  }
  // fromEntries defines own properties, so an item id such as "__proto__" is kept as data
  return Object.fromEntries(out);
}

/**
 * Learns the recommendation model from sessions (one array of events per visitor session; order within a
 * session does not matter, times do for popularity).
 */
export function learnNeighbours(
  sessions: readonly (readonly SessionEvent[])[],
  options: LearnOptions,
): RecommendModel {
  const o = { ...DEFAULT_LEARN_OPTIONS, ...stripUndefined(options), now: options.now };
  const max = Math.max(1, Math.floor(o.maxSessionItems));
  const viewed: string[][] = [];
  const purchased: string[][] = [];
  const popularity = new Map<string, number>();
  for (const events of sessions) {
    const items = sessionItems(events, 'any', max);
    viewed.push(items.map(([item]) => item));
    const p = sessionItems(events, 'purchase', max);
    if (p.length > 0) purchased.push(p.map(([item]) => item));
    for (const [item, at] of items) {
      const age = Math.max(0, o.now - at);
      popularity.set(item, (popularity.get(item) ?? 0) + 2 ** (-age / o.halfLife));
    }
  }
  const all: ScoredItem[] = [];
  const byCategory = new Map<string, ScoredItem[]>();
  let top = 0;
  for (const s of popularity.values()) top = Math.max(top, s);
  for (const [item, s] of popularity) {
    const entry: ScoredItem = [item, top > 0 ? s / top : 0];
    all.push(entry);
    const category = o.categoryOf?.(item);
    if (typeof category === 'string' && category !== '') {
      const list = byCategory.get(category) ?? [];
      list.push(entry);
      byCategory.set(category, list);
    }
  }
  const categories: Record<string, ScoredItem[]> = Object.fromEntries(
    [...byCategory.keys()]
      .sort()
      .map((category) => [category, topK(byCategory.get(category) as ScoredItem[], o.popularK)]),
  );
  return {
    version: RECOMMEND_MODEL_VERSION,
    trainedAt: o.now,
    neighbours: cooccurrence(viewed, o.minSupport, o.shrinkage, o.k),
    bought: cooccurrence(purchased, o.minSupport, o.shrinkage, o.k),
    popular: { all: topK(all, o.popularK), byCategory: categories },
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function isScoredList(v: unknown): v is ScoredItem[] {
  return (
    Array.isArray(v) &&
    v.every(
      (e) =>
        Array.isArray(e) &&
        e.length === 2 &&
        typeof e[0] === 'string' &&
        typeof e[1] === 'number' &&
        Number.isFinite(e[1]),
    )
  );
}

function isScoredRecord(v: unknown): v is Record<string, ScoredItem[]> {
  return !!v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every(isScoredList);
}

/** A stored model (parsed JSON), or null when it is not one of this version (then: no recommendations model). */
export function parseRecommendModel(value: unknown): RecommendModel | null {
  if (!value || typeof value !== 'object') return null;
  const m = value as Partial<RecommendModel>;
  if (m.version !== RECOMMEND_MODEL_VERSION || typeof m.trainedAt !== 'number') return null;
  if (!isScoredRecord(m.neighbours) || !isScoredRecord(m.bought)) return null;
  if (!m.popular || !isScoredList(m.popular.all) || !isScoredRecord(m.popular.byCategory)) return null;
  return m as RecommendModel;
}

// ---- answering ----

/** A catalogue item (`PUT /__hio/admin/catalog`). */
export interface CatalogueItem {
  id: string;
  url: string;
  title: string;
  image?: string;
  price?: number;
  category?: string;
  available?: boolean;
}

/** The strategies a recommendation variant can name. */
export type RecommendStrategy =
  | 'for-you'
  | 'similar'
  | 'popular-in-interest'
  | 'recently-viewed'
  | 'bought-together';
export const RECOMMEND_STRATEGIES: readonly RecommendStrategy[] = [
  'for-you',
  'similar',
  'popular-in-interest',
  'recently-viewed',
  'bought-together',
];
/** What can fill a position: a strategy, or the last resort, overall popularity. */
export type RecommendSource = RecommendStrategy | 'popular';

/**
 * The order in which each strategy's positions are filled when it has too few results of its own: the
 * strategy first, then each fallback in turn, until `count` items are found or every source is spent.
 */
export const RECOMMEND_FALLBACKS: Readonly<Record<RecommendSource, readonly RecommendSource[]>> = {
  similar: ['similar', 'for-you', 'popular-in-interest', 'popular'],
  'for-you': ['for-you', 'popular-in-interest', 'popular'],
  'popular-in-interest': ['popular-in-interest', 'popular'],
  'recently-viewed': ['recently-viewed', 'for-you', 'popular-in-interest', 'popular'],
  'bought-together': ['bought-together', 'similar', 'for-you', 'popular-in-interest', 'popular'],
  popular: ['popular'],
};

export type RecommendExclude = 'viewed' | 'purchased' | 'none';

/** What the page and the visitor's profile tell about the visitor. */
export interface RecommendVisitor {
  /** items the visitor viewed, with when (any order; repeats are fine, the latest counts) */
  viewed?: readonly { item: string; at: number }[];
  /** items the visitor purchased */
  purchased?: readonly string[];
  /** items in the visitor's cart */
  cart?: readonly string[];
  /** the profile's top interest category; when absent, the category most viewed (recency weighted) */
  topInterest?: string | null;
}

export interface RecommendRequest {
  strategy: RecommendSource;
  count: number;
  exclude?: RecommendExclude;
  /** the catalogue id of the page's own item (`<meta name="hio:item">`), never recommended */
  item?: string | null;
}

export interface RecommendOptions {
  /** weight of the r-th most recent viewed item (r = 0 for the latest): decay^r (default 0.7) */
  recencyDecay?: number;
  /** most recent viewed items whose neighbours count (default 10) */
  maxHistory?: number;
  /**
   * share of a `for-you` answer's positions held for the top interest's popular items (default 0: the
   * interest only fills what the visitor's own items leave; `npm run simulate:recs` found a fixed quota
   * costs hit rate both where categories carry information and where they carry none)
   */
  interestShare?: number;
  /** also say, for each item, what of the visitor's data it came from (`basis`; for /__hio/me) */
  explain?: boolean;
}

export const DEFAULT_RECOMMEND_OPTIONS = {
  recencyDecay: 0.7,
  maxHistory: 10,
  interestShare: 0,
  explain: false,
} as const;

/** Where the visitor's top interest came from: the profile's, or the categories of the items viewed. */
export interface RecommendInterest {
  category: string;
  from: 'profile' | 'viewed';
}

/** What of the visitor's own data an item was found from (with `explain`). */
export interface RecommendBasis {
  /**
   * `similar`, `for-you`, `bought-together`: the visitor's items whose lists hold it (the page's item,
   * viewed items, cart items), the strongest contribution first, at most 3
   */
  from?: string[];
  /** `popular-in-interest`: the category */
  interest?: RecommendInterest;
}

/** One recommended item: the catalogue entry, the strategy that filled its position, and its score there. */
export interface Recommendation {
  item: CatalogueItem;
  source: RecommendSource;
  score: number;
  /** with `options.explain` only */
  basis?: RecommendBasis;
}

/** The catalogue by id; build it once per catalogue and pass it to every `recommend` call. */
export type CatalogueIndex = ReadonlyMap<string, CatalogueItem>;

export function indexCatalogue(items: readonly CatalogueItem[]): CatalogueIndex {
  const index = new Map<string, CatalogueItem>();
  for (const item of items) if (!index.has(item.id)) index.set(item.id, item);
  return index;
}

/** Viewed items, latest first, each once. */
function recentViews(visitor: RecommendVisitor): string[] {
  const last = new Map<string, number>();
  for (const v of visitor.viewed ?? []) {
    const seen = last.get(v.item);
    if (seen === undefined || v.at > seen) last.set(v.item, v.at);
  }
  return [...last.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([item]) => item);
}

/** Most of the visitor's items named as the basis of one recommended item. */
const MAX_BASIS = 3;

/**
 * Σ_r weight_r · score(seed_r, j) over the lists of weighted seed items, best first; with `from`, also
 * each candidate's seeds by contribution (strongest first, ties in seed order).
 */
function aggregate(
  listOf: (item: string) => ScoredList,
  seeds: readonly [string, number][],
  from?: Map<string, string[]>,
): ScoredItem[] {
  const sum = new Map<string, number>();
  const parts = from ? new Map<string, [string, number][]>() : null;
  for (const [seed, w] of seeds) {
    const list = listOf(seed);
    for (let i = 0; i < list.length; i++) {
      const j = list.id(i);
      const s = list.score(i);
      sum.set(j, (sum.get(j) ?? 0) + w * s);
      if (parts) {
        const p = parts.get(j);
        if (p) p.push([seed, w * s]);
        else parts.set(j, [[seed, w * s]]);
      }
    }
  }
  if (parts && from)
    for (const [j, p] of parts)
      from.set(
        j,
        p
          .sort((a, b) => b[1] - a[1])
          .slice(0, MAX_BASIS)
          .map(([seed]) => seed),
      );
  return [...sum.entries()].sort(byScore);
}

/**
 * Recommends at most `request.count` catalogue items for a visitor, each with the strategy that filled
 * its position ({@link RECOMMEND_FALLBACKS}). Never an item missing from the catalogue or marked `available: false`,
 * never the page's own item, never the same item twice; `exclude: 'viewed'` leaves out what the visitor
 * viewed (except in `recently-viewed`'s own positions, which would otherwise be empty), `'purchased'` what
 * they purchased. `bought-together` never proposes what is already in the cart.
 *
 * Strategies:
 * - `similar`: neighbours of the page's item; without one (or when it has no neighbours), the visitor's
 *   viewed items' neighbours, recency weighted;
 * - `for-you`: the viewed items' neighbours (the page's item counting as the latest view), recency weighted
 *   (with `interestShare`, that share of the positions held for `popular-in-interest`; default none);
 * - `popular-in-interest`: the most popular items of the visitor's top interest category;
 * - `recently-viewed`: the visitor's viewed items, latest first;
 * - `bought-together`: co-purchases of the page's item and the cart's items;
 * - `popular`: the most popular items overall (the last fallback of every strategy).
 */
export function recommend(
  model: AnyRecommendModel | null,
  catalogue: CatalogueIndex | readonly CatalogueItem[],
  visitor: RecommendVisitor,
  request: RecommendRequest,
  options: RecommendOptions = {},
): Recommendation[] {
  const o = { ...DEFAULT_RECOMMEND_OPTIONS, ...stripUndefined(options) };
  const index = Array.isArray(catalogue) ? indexCatalogue(catalogue) : (catalogue as CatalogueIndex);
  const count = Math.max(0, Math.floor(request.count));
  if (count === 0) return [];
  const page = typeof request.item === 'string' && request.item !== '' ? request.item : null;
  const views = recentViews(visitor).filter((item) => item !== page);
  const history = (page ? [page, ...views] : views).slice(0, Math.max(1, o.maxHistory));
  const weighted: [string, number][] = history.map((item, r) => [item, o.recencyDecay ** r]);
  const cart = new Set(visitor.cart ?? []);

  const viewedSet = new Set(request.exclude === 'viewed' ? views : []);
  const purchasedSet = new Set(request.exclude === 'purchased' ? (visitor.purchased ?? []) : []);
  const blocked = (id: string, source: RecommendSource): boolean =>
    id === page || purchasedSet.has(id) || (viewedSet.has(id) && source !== 'recently-viewed');

  const interest = topInterestOf(visitor, history, index, o.recencyDecay);
  const m = modelLists(model);
  // with `explain`: each candidate's seeds, per source (the page's own list has the page as its seed)
  const basisOf = new Map<RecommendSource, (id: string) => string[] | undefined>();
  const fromFor = (source: RecommendSource) => {
    if (!o.explain) return undefined;
    const from = new Map<string, string[]>();
    basisOf.set(source, (id) => from.get(id));
    return from;
  };
  const candidates = (source: RecommendSource): ScoredList => {
    switch (source) {
      case 'similar': {
        const own = page ? m.neighbours(page) : EMPTY_LIST;
        if (own.length > 0) {
          if (o.explain && page) basisOf.set(source, () => [page]);
          return own;
        }
        return scoredList(aggregate(m.neighbours, weighted, fromFor(source)));
      }
      case 'for-you':
        return scoredList(aggregate(m.neighbours, weighted, fromFor(source)));
      case 'popular-in-interest':
        return interest ? m.popular(interest.category) : EMPTY_LIST;
      case 'recently-viewed':
        return scoredList(views.map((item, r): ScoredItem => [item, roundScore(o.recencyDecay ** r)]));
      case 'bought-together': {
        const seeds: [string, number][] = [...(page ? [page] : []), ...cart].map((item) => [item, 1]);
        return scoredList(aggregate(m.bought, seeds, fromFor(source)).filter(([item]) => !cart.has(item)));
      }
      case 'popular':
        return m.popular(null);
    }
  };
  const basis = (source: RecommendSource, id: string): RecommendBasis => {
    if (source === 'popular-in-interest' && interest) return { interest };
    const seeds = basisOf.get(source)?.(id);
    return seeds ? { from: seeds } : {};
  };

  const out: Recommendation[] = [];
  const taken = new Set<string>();
  const fill = (source: RecommendSource, upTo: number): void => {
    if (out.length >= upTo) return;
    const list = candidates(source);
    for (let i = 0; i < list.length; i++) {
      const id = list.id(i);
      if (taken.has(id) || blocked(id, source)) continue;
      const item = index.get(id);
      if (!item || item.available === false) continue;
      taken.add(id);
      const r: Recommendation = { item, source, score: roundScore(list.score(i)) };
      if (o.explain) r.basis = basis(source, id);
      out.push(r);
      if (out.length >= upTo) return;
    }
  };
  const chain = RECOMMEND_FALLBACKS[request.strategy] ?? RECOMMEND_FALLBACKS.popular;
  if (request.strategy === 'for-you') {
    // the personal part first, then the interest's share; if either runs short the other fills in
    const personal = count - Math.floor(count * Math.min(1, Math.max(0, o.interestShare)));
    fill('for-you', personal);
    fill('popular-in-interest', count);
  }
  for (const source of chain) fill(source, count);
  return out;
}

/** The visitor's top interest, else the category of their viewed items with the most recency weight. */
function topInterestOf(
  visitor: RecommendVisitor,
  history: readonly string[],
  index: CatalogueIndex,
  decay: number,
): RecommendInterest | null {
  if (typeof visitor.topInterest === 'string' && visitor.topInterest !== '')
    return { category: visitor.topInterest, from: 'profile' };
  const weight = new Map<string, number>();
  history.forEach((item, r) => {
    const category = index.get(item)?.category;
    if (category) weight.set(category, (weight.get(category) ?? 0) + decay ** r);
  });
  let best: string | null = null;
  let bestWeight = 0;
  for (const [category, w] of weight) {
    if (w > bestWeight || (w === bestWeight && best !== null && category < best)) {
      best = category;
      bestWeight = w;
    }
  }
  return best === null ? null : { category: best, from: 'viewed' };
}
