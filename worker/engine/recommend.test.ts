/**
 * @module recommend.test
 * The recommendation core against answers computed by hand: a six-session co-occurrence matrix (cosine,
 * support threshold, shrinkage, co-purchases), popularity with a one-day half-life, then each strategy,
 * its fallback order, the exclusion rules and determinism on a model written out by hand.
 */

import { describe, expect, it } from 'vitest';
import { mulberry32 } from './bandit.ts';
import {
  type CatalogueItem,
  indexCatalogue,
  learnNeighbours,
  parseRecommendModel,
  RECOMMEND_FALLBACKS,
  RECOMMEND_STRATEGIES,
  type RecommendModel,
  type RecommendRequest,
  type RecommendVisitor,
  recommend,
  roundScore,
  type SessionEvent,
} from './recommend.ts';

const DAY = 86_400_000;
const NOW = 10 * DAY;

const view = (item: string, day: number): SessionEvent => ({ item, at: day * DAY, kind: 'view' });
const buy = (item: string, day: number): SessionEvent => ({ item, at: day * DAY, kind: 'purchase' });

/**
 * Sessions holding: S1 {A,B,C}, S2 {A,B}, S3 {A,B,D}, S4 {C,D}, S5 {A,C}, S6 {B}.
 * n: A 4, B 4, C 3, D 2. Co-occurrences: AB 3 (S1 S2 S3), AC 2 (S1 S5), BC, AD, BD, CD 1 each.
 * Purchases: S1 {A,C}, S5 {A,C}, S3 {B}.
 */
const SESSIONS: SessionEvent[][] = [
  [view('A', 9), view('B', 10), buy('C', 10), buy('A', 10)], // S1, day 10 (A's last event on day 10)
  [view('A', 9), view('B', 9)], // S2, day 9
  [view('A', 8), buy('B', 8), view('D', 8)], // S3, day 8
  [view('C', 10), view('D', 10)], // S4, day 10
  [buy('A', 9), buy('C', 9)], // S5, day 9
  [view('B', 7)], // S6, day 7
];
const CATEGORY: Record<string, string> = { A: 'x', B: 'x', C: 'y', D: 'y' };
const categoryOf = (item: string) => CATEGORY[item];

describe('learnNeighbours on a matrix computed by hand', () => {
  it('keeps pairs with at least two common sessions, scored c / sqrt(n_i n_j)', () => {
    const model = learnNeighbours(SESSIONS, { now: NOW, categoryOf, shrinkage: 0 });
    // AB: 3 / sqrt(4 · 4) = 0.75; AC: 2 / sqrt(4 · 3) = 0.57735 -> 0.577; the pairs seen once are dropped
    expect(model.neighbours).toEqual({
      A: [
        ['B', 0.75],
        ['C', 0.577],
      ],
      B: [['A', 0.75]],
      C: [['A', 0.577]],
    });
    expect(model.version).toBe(1);
    expect(model.trainedAt).toBe(NOW);
  });

  it('with a support of one keeps every pair, ties by id', () => {
    const model = learnNeighbours(SESSIONS, { now: NOW, minSupport: 1, shrinkage: 0 });
    // BC 1/sqrt(12) = 0.2887; AD, BD 1/sqrt(8) = 0.3536; CD 1/sqrt(6) = 0.4082
    expect(model.neighbours.D).toEqual([
      ['C', 0.408],
      ['A', 0.354],
      ['B', 0.354],
    ]);
    expect(model.neighbours.B).toEqual([
      ['A', 0.75],
      ['D', 0.354],
      ['C', 0.289],
    ]);
  });

  it('shrinks by c / (c + λ) and cuts to the top k', () => {
    const model = learnNeighbours(SESSIONS, { now: NOW, shrinkage: 1, k: 1 });
    // AB 0.75 · 3/4 = 0.5625 -> 0.563; AC 0.57735 · 2/3 = 0.3849 -> 0.385 (cut from A's list by k = 1)
    expect(model.neighbours).toEqual({ A: [['B', 0.563]], B: [['A', 0.563]], C: [['A', 0.385]] });
    // the default λ = 10: AB 0.75 · 3/13 = 0.1731, AC 0.57735 · 2/12 = 0.0962
    expect(learnNeighbours(SESSIONS, { now: NOW }).neighbours.A).toEqual([
      ['B', 0.173],
      ['C', 0.0962],
    ]);
  });

  it('learns co-purchases from purchase events only (singletons count in n)', () => {
    const model = learnNeighbours(SESSIONS, { now: NOW, minSupport: 1, shrinkage: 0 });
    // purchased: S1 {A,C}, S3 {B}, S5 {A,C}: AC 2 / sqrt(2 · 2) = 1; B bought alone has no partner
    expect(model.bought).toEqual({ A: [['C', 1]], C: [['A', 1]] });
    // one more session buying A alone: n_A = 3, so AC = 2 / sqrt(6) = 0.8165
    const more = learnNeighbours([...SESSIONS, [buy('A', 10)]], { now: NOW, shrinkage: 0 });
    expect(more.bought.A).toEqual([['C', 0.816]]);
  });

  it('decays popularity by the age of the last event in each session (half-life one day)', () => {
    const model = learnNeighbours(SESSIONS, { now: NOW, categoryOf, halfLife: DAY });
    // A: S1 1 + S2 0.5 + S3 0.25 + S5 0.5 = 2.25; B: 1 + 0.5 + 0.25 + S6 0.125 = 1.875;
    // C: S1 1 + S4 1 + S5 0.5 = 2.5; D: S3 0.25 + S4 1 = 1.25. Divided by the top, 2.5:
    expect(model.popular.all).toEqual([
      ['C', 1],
      ['A', 0.9],
      ['B', 0.75],
      ['D', 0.5],
    ]);
    expect(model.popular.byCategory).toEqual({
      x: [
        ['A', 0.9],
        ['B', 0.75],
      ],
      y: [
        ['C', 1],
        ['D', 0.5],
      ],
    });
  });

  it('without decay, popularity is the session count', () => {
    const model = learnNeighbours(SESSIONS, { now: NOW, halfLife: Number.POSITIVE_INFINITY, popularK: 3 });
    // A 4, B 4, C 3, D 2 -> 1, 1, 0.75 (A before B by id), D cut by popularK = 3
    expect(model.popular.all).toEqual([
      ['A', 1],
      ['B', 1],
      ['C', 0.75],
    ]);
    expect(model.popular.byCategory).toEqual({});
  });

  it('takes only the latest maxSessionItems items of a session', () => {
    const long = [view('A', 1), view('B', 2), view('C', 3), view('D', 4)];
    const model = learnNeighbours([long, long], { now: NOW, maxSessionItems: 2 });
    expect(Object.keys(model.neighbours).sort()).toEqual(['C', 'D']);
  });

  it('is deterministic whatever the order of sessions and events, and survives JSON', () => {
    const random = mulberry32(7);
    const shuffled = SESSIONS.map((s) => [...s].sort(() => random() - 0.5)).sort(() => random() - 0.5);
    const a = learnNeighbours(SESSIONS, { now: NOW, categoryOf, minSupport: 1 });
    const b = learnNeighbours(shuffled, { now: NOW, categoryOf, minSupport: 1 });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(parseRecommendModel(JSON.parse(JSON.stringify(a)))).toEqual(a);
    expect(parseRecommendModel({ ...a, version: 2 })).toBeNull();
    expect(parseRecommendModel({ ...a, neighbours: { A: [['B', 'x']] } })).toBeNull();
    expect(parseRecommendModel('nope')).toBeNull();
  });

  it('rounds to 3 significant digits', () => {
    expect(roundScore(0.57735)).toBe(0.577);
    expect(roundScore(0.0021349)).toBe(0.00213);
    expect(roundScore(0)).toBe(0);
  });
});

// ---- answering, on a model written by hand ----

const item = (id: string, category: string, extra: Partial<CatalogueItem> = {}): CatalogueItem => ({
  id,
  url: `/p/${id}`,
  title: id,
  category,
  ...extra,
});
const CATALOGUE = [
  item('P', 'shoes'),
  item('Q', 'shoes'),
  item('R', 'shoes'),
  item('S', 'shoes'),
  item('T', 'bags'),
  item('U', 'bags'),
  item('V', 'bags', { available: false }),
  item('W', 'hats'),
  item('X', 'hats'),
];
const MODEL: RecommendModel = {
  version: 1,
  trainedAt: NOW,
  neighbours: {
    P: [
      ['Q', 0.9],
      ['R', 0.5],
      ['S', 0.2],
    ],
    Q: [
      ['P', 0.9],
      ['T', 0.6],
      ['V', 0.5],
      ['GONE', 0.4],
    ],
    R: [['P', 0.5]],
  },
  bought: {
    P: [
      ['U', 0.8],
      ['W', 0.3],
    ],
    T: [
      ['W', 0.5],
      ['P', 0.4],
    ],
  },
  popular: {
    all: [
      ['X', 1],
      ['W', 0.9],
      ['P', 0.8],
      ['U', 0.7],
      ['T', 0.6],
    ],
    byCategory: {
      shoes: [
        ['P', 1],
        ['S', 0.8],
        ['R', 0.4],
      ],
      bags: [
        ['V', 1],
        ['U', 0.5],
      ],
      hats: [
        ['W', 1],
        ['X', 0.9],
      ],
    },
  },
};
const INDEX = indexCatalogue(CATALOGUE);

function ask(
  visitor: RecommendVisitor,
  request: Partial<RecommendRequest> & Pick<RecommendRequest, 'strategy'>,
) {
  return recommend(MODEL, INDEX, visitor, { count: 4, exclude: 'none', ...request }).map((r) => [
    r.item.id,
    r.source,
    r.score,
  ]);
}

describe('recommend', () => {
  it("similar: the page item's neighbours, then for-you, popular-in-interest, popular", () => {
    // P's neighbours Q, R, S; then for-you from [P] alone adds nothing new; interest (none given, from
    // the history [P]: shoes) adds nothing new; popular's first, X
    expect(ask({}, { strategy: 'similar', item: 'P' })).toEqual([
      ['Q', 'similar', 0.9],
      ['R', 'similar', 0.5],
      ['S', 'similar', 0.2],
      ['X', 'popular', 1],
    ]);
  });

  it('similar without a page item: viewed neighbours, recency weighted (decay 0.7)', () => {
    // history Q (latest, weight 1), P (0.7): P 0.9, Q 0.63, T 0.6, V 0.5 (unavailable), GONE 0.4 (not in
    // the catalogue), R 0.35, S 0.14
    const visitor = {
      viewed: [
        { item: 'P', at: 1 },
        { item: 'Q', at: 2 },
        { item: 'P', at: 0 },
      ],
    };
    expect(ask(visitor, { strategy: 'similar' })).toEqual([
      ['P', 'similar', 0.9],
      ['Q', 'similar', 0.63],
      ['T', 'similar', 0.6],
      ['R', 'similar', 0.35],
    ]);
    // excluding what was viewed: T, R, S, then for-you has nothing new, interest shoes (the history's
    // weight: shoes 1.7) has P, S, R: all taken or viewed; popular: X
    expect(ask(visitor, { strategy: 'similar', exclude: 'viewed' })).toEqual([
      ['T', 'similar', 0.6],
      ['R', 'similar', 0.35],
      ['S', 'similar', 0.14],
      ['X', 'popular', 1],
    ]);
  });

  it('for-you: the personal positions, then the top interest fills what they leave', () => {
    const visitor = { viewed: [{ item: 'Q', at: 2 }], topInterest: 'hats' };
    // page P (weight 1), Q (0.7): from P Q .9 R .5 S .2; from Q P .63 T .42 V .35 GONE .28
    // -> Q .9, P .63 (the page: never), R .5, T .42, ...; exclude viewed drops Q
    expect(ask(visitor, { strategy: 'for-you', item: 'P', exclude: 'viewed' })).toEqual([
      ['R', 'for-you', 0.5],
      ['T', 'for-you', 0.42],
      ['S', 'for-you', 0.2],
      ['W', 'popular-in-interest', 1],
    ]);
    // count 8: 6 personal (only 3 exist), then hats W X, then popular (X W taken, P the page) U
    expect(ask(visitor, { strategy: 'for-you', item: 'P', exclude: 'viewed', count: 8 })).toEqual([
      ['R', 'for-you', 0.5],
      ['T', 'for-you', 0.42],
      ['S', 'for-you', 0.2],
      ['W', 'popular-in-interest', 1],
      ['X', 'popular-in-interest', 0.9],
      ['U', 'popular', 0.7],
    ]);
  });

  it('for-you with no history is popular-in-interest then popular', () => {
    expect(ask({ topInterest: 'bags' }, { strategy: 'for-you' })).toEqual([
      ['U', 'popular-in-interest', 0.5],
      ['X', 'popular', 1],
      ['W', 'popular', 0.9],
      ['P', 'popular', 0.8],
    ]);
  });

  it('popular-in-interest: the top interest, else the category viewed most recently weighted', () => {
    expect(ask({ topInterest: 'shoes' }, { strategy: 'popular-in-interest', count: 2 })).toEqual([
      ['P', 'popular-in-interest', 1],
      ['S', 'popular-in-interest', 0.8],
    ]);
    // views: T (latest, bags 1), W (0.7), X (0.49): hats 1.19 > bags 1
    const visitor = {
      viewed: [
        { item: 'X', at: 1 },
        { item: 'W', at: 2 },
        { item: 'T', at: 3 },
      ],
    };
    expect(ask(visitor, { strategy: 'popular-in-interest', count: 3 })).toEqual([
      ['W', 'popular-in-interest', 1],
      ['X', 'popular-in-interest', 0.9],
      ['P', 'popular', 0.8],
    ]);
  });

  it('recently-viewed: latest first, kept under exclude viewed, not the page, then for-you', () => {
    const visitor = {
      viewed: [
        { item: 'R', at: 1 },
        { item: 'Q', at: 3 },
        { item: 'P', at: 2 },
      ],
      purchased: ['R'],
    };
    // views latest first: Q, P (the page: never), R; then for-you from P, Q, R (weights 1, .7, .49):
    // Q .9, P .63 + .245, R .5, T .42, V .35 (unavailable), GONE .28 (unknown), S .2: Q and R are viewed
    expect(ask(visitor, { strategy: 'recently-viewed', item: 'P', exclude: 'viewed' })).toEqual([
      ['Q', 'recently-viewed', 1],
      ['R', 'recently-viewed', 0.7],
      ['T', 'for-you', 0.42],
      ['S', 'for-you', 0.2],
    ]);
    // without a page: Q, P, R; purchased R excluded
    expect(ask(visitor, { strategy: 'recently-viewed', exclude: 'purchased', count: 2 })).toEqual([
      ['Q', 'recently-viewed', 1],
      ['P', 'recently-viewed', 0.7],
    ]);
  });

  it('bought-together: co-purchases of the page item and the cart, never the cart', () => {
    // page P, cart T: U .8, W .3 + .5 = .8, P (the page); W before U? tie .8: by id U < W
    expect(ask({ cart: ['T'] }, { strategy: 'bought-together', item: 'P', count: 3 })).toEqual([
      ['U', 'bought-together', 0.8],
      ['W', 'bought-together', 0.8],
      ['Q', 'similar', 0.9],
    ]);
    // nothing bought with R: similar (R's neighbour P), then for-you (same), interest shoes: S, then popular
    expect(ask({}, { strategy: 'bought-together', item: 'R', count: 3 })).toEqual([
      ['P', 'similar', 0.5],
      ['S', 'popular-in-interest', 0.8],
      ['X', 'popular', 1],
    ]);
  });

  it('never returns unavailable, unknown, duplicate or page items, nor more than count', () => {
    const random = mulberry32(3);
    const ids = [...CATALOGUE.map((c) => c.id), 'GONE'];
    const pickId = () => ids[Math.floor(random() * ids.length)] as string;
    for (let trial = 0; trial < 300; trial++) {
      const strategy = RECOMMEND_STRATEGIES[trial % RECOMMEND_STRATEGIES.length]!;
      const exclude = (['viewed', 'purchased', 'none'] as const)[trial % 3]!;
      const visitor: RecommendVisitor = {
        viewed: Array.from({ length: Math.floor(random() * 4) }, (_, i) => ({ item: pickId(), at: i })),
        purchased: [pickId()],
        cart: [pickId()],
      };
      const page = random() < 0.7 ? pickId() : undefined;
      const count = 1 + Math.floor(random() * 6);
      const out = recommend(MODEL, CATALOGUE, visitor, { strategy, count, exclude, item: page });
      const got = out.map((r) => r.item.id);
      expect(got.length).toBeLessThanOrEqual(count);
      expect(new Set(got).size).toBe(got.length);
      for (const r of out) {
        expect(INDEX.get(r.item.id)?.available).not.toBe(false);
        expect(r.item.id).not.toBe(page);
        expect(RECOMMEND_FALLBACKS[strategy]).toContain(r.source);
        if (exclude === 'purchased') expect(visitor.purchased).not.toContain(r.item.id);
        if (exclude === 'viewed' && r.source !== 'recently-viewed')
          expect(visitor.viewed?.map((v) => v.item)).not.toContain(r.item.id);
      }
      // the same inputs give the same answer
      expect(recommend(MODEL, INDEX, visitor, { strategy, count, exclude, item: page })).toEqual(out);
    }
  });

  it('treats ids such as __proto__ and constructor as plain data', () => {
    const odd = [view('__proto__', 9), view('constructor', 9), view('A', 9)];
    const model = learnNeighbours([odd, odd], {
      now: NOW,
      shrinkage: 0,
      categoryOf: (id) => (id === 'A' ? 'toString' : '__proto__'),
    });
    expect(Object.keys(model.neighbours).sort()).toEqual(['A', '__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(model.neighbours, '__proto__')?.value).toEqual([
      ['A', 1],
      ['constructor', 1],
    ]);
    const parsed = parseRecommendModel(JSON.parse(JSON.stringify(model)));
    expect(parsed).toEqual(model);
    const catalogue = [
      item('__proto__', '__proto__'),
      item('constructor', '__proto__'),
      item('A', 'toString'),
    ];
    const ids = (request: RecommendRequest) =>
      recommend(parsed, catalogue, { topInterest: 'valueOf' }, request).map((r) => [r.item.id, r.source]);
    expect(ids({ strategy: 'similar', count: 2, item: 'constructor' })).toEqual([
      ['A', 'similar'],
      ['__proto__', 'similar'],
    ]);
    expect(ids({ strategy: 'bought-together', count: 1, item: 'hasOwnProperty' })).toEqual([
      ['A', 'popular'],
    ]);
  });

  it('with explain, says what of the visitor each item came from; without it, the same answer and no basis', () => {
    const explained = (
      visitor: RecommendVisitor,
      request: Partial<RecommendRequest> & Pick<RecommendRequest, 'strategy'>,
      interestShare?: number,
    ) =>
      recommend(
        MODEL,
        INDEX,
        visitor,
        { count: 4, exclude: 'none', ...request },
        { explain: true, interestShare },
      ).map((r) => [r.item.id, r.source, r.basis]);
    // for-you on P's page after viewing Q: P's neighbours (Q, R), then Q's (T), then P's S
    expect(explained({ viewed: [{ item: 'Q', at: 1 }] }, { strategy: 'for-you', item: 'P' })).toEqual([
      ['Q', 'for-you', { from: ['P'] }],
      ['R', 'for-you', { from: ['P'] }],
      ['T', 'for-you', { from: ['Q'] }],
      ['S', 'for-you', { from: ['P'] }],
    ]);
    // with a quarter held for the interest: the interest comes from the views' categories
    expect(explained({ viewed: [{ item: 'Q', at: 1 }] }, { strategy: 'for-you', item: 'P' }, 0.25)).toEqual([
      ['Q', 'for-you', { from: ['P'] }],
      ['R', 'for-you', { from: ['P'] }],
      ['T', 'for-you', { from: ['Q'] }],
      ['S', 'popular-in-interest', { interest: { category: 'shoes', from: 'viewed' } }],
    ]);
    // P is in both Q's list (0.9) and R's (0.5 · 0.7): the stronger contribution first
    const viewed = [
      { item: 'Q', at: 2 },
      { item: 'R', at: 1 },
    ];
    expect(explained({ viewed }, { strategy: 'similar', count: 2 })).toEqual([
      ['P', 'similar', { from: ['Q', 'R'] }],
      ['T', 'similar', { from: ['Q'] }],
    ]);
    // the page's own list has the page as its basis; a profile's interest says so; popular and recent: none
    expect(explained({ topInterest: 'hats' }, { strategy: 'similar', item: 'R', count: 3 })).toEqual([
      ['P', 'similar', { from: ['R'] }],
      ['W', 'popular-in-interest', { interest: { category: 'hats', from: 'profile' } }],
      ['X', 'popular-in-interest', { interest: { category: 'hats', from: 'profile' } }],
    ]);
    expect(explained({ cart: ['T'] }, { strategy: 'bought-together', item: 'P', count: 2 })).toEqual([
      ['U', 'bought-together', { from: ['P'] }],
      ['W', 'bought-together', { from: ['T', 'P'] }],
    ]);
    expect(explained({ viewed }, { strategy: 'recently-viewed', count: 3 })).toEqual([
      ['Q', 'recently-viewed', {}],
      ['R', 'recently-viewed', {}],
      ['P', 'for-you', { from: ['Q', 'R'] }],
    ]);
    const plain = recommend(MODEL, INDEX, { viewed }, { strategy: 'for-you', count: 4, item: 'P' });
    expect(plain.every((r) => !('basis' in r))).toBe(true);
    expect(
      recommend(
        MODEL,
        INDEX,
        { viewed },
        { strategy: 'for-you', count: 4, item: 'P' },
        { explain: true },
      ).map(({ basis: _, ...r }) => r),
    ).toEqual(plain);
  });

  it('answers nothing without a model, a catalogue or a count', () => {
    expect(recommend(null, CATALOGUE, {}, { strategy: 'similar', count: 2, item: 'P' })).toEqual([]);
    expect(recommend(MODEL, [], {}, { strategy: 'similar', count: 2, item: 'P' })).toEqual([]);
    expect(recommend(MODEL, INDEX, {}, { strategy: 'similar', count: 0, item: 'P' })).toEqual([]);
  });
});
