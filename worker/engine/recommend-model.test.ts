/**
 * @module recommend-model.test
 * The compact model (format 2): every score of 3 significant digits survives its 16-bit code exactly, a
 * model survives encoding and decoding list for list, and `recommend` answers the same from the compact
 * form as from the JSON one, item for item, source for source and score for score, on random models and
 * visitors (the simulator's data: test/simulate-recs.test.ts). Malformed values decode to null.
 */

import { describe, expect, it } from 'vitest';
import { mulberry32 } from './bandit.ts';
import {
  type CatalogueItem,
  indexCatalogue,
  learnNeighbours,
  RECOMMEND_STRATEGIES,
  type RecommendModel,
  type RecommendVisitor,
  recommend,
  roundScore,
  type SessionEvent,
} from './recommend.ts';
import {
  compactRecommendModel,
  decodeRecommendModel,
  decodeScore,
  encodeRecommendModel,
  encodeScore,
  expandRecommendModel,
  RECOMMEND_COMPACT_VERSION,
} from './recommend-model.ts';

const DAY = 86_400_000;

describe('score codes', () => {
  it('hold every 3-significant-digit number from 1e-20 to 999 exactly, as parsing its decimal does', () => {
    const seen = new Set<number>();
    for (let k = 0; k <= 22; k++) {
      for (let m = 100; m <= 999; m++) {
        const x = Number(`${m}e-${k}`);
        const code = encodeScore(x);
        expect(code).toBeLessThan(65_536);
        seen.add(code);
        if (decodeScore(code) !== x) expect.fail(`${m}e-${k}: ${decodeScore(code)} !== ${x}`);
      }
    }
    expect(seen.size).toBe(23 * 900);
  });

  it('give back the rounded score of any learned value, and keep the order of distinct scores', () => {
    const random = mulberry32(11);
    const xs = Array.from({ length: 20_000 }, () => random() ** 4);
    expect(xs.filter((x) => decodeScore(encodeScore(roundScore(x))) !== roundScore(x))).toEqual([]);
    expect(decodeScore(encodeScore(1))).toBe(1);
    // outside the range (never learned): clamped to it
    expect(decodeScore(encodeScore(0))).toBe(1e-20);
    expect(decodeScore(encodeScore(5000))).toBe(999);
  });
});

// ---- random models, catalogues and visitors ----

const ODD = ['__proto__', 'constructor', 'toString', 'é-ü', '😀', 'a"b\\c'];

function randomWorld(seed: number) {
  const random = mulberry32(seed);
  const n = 5 + Math.floor(random() * 60);
  const ids = Array.from({ length: n }, (_, i) => (i < ODD.length && random() < 0.5 ? ODD[i] : `sku-${i}`));
  const unique = [...new Set(ids)] as string[];
  const categories = ['shoes', 'bags', '__proto__', 'sku-1'];
  const category = new Map(unique.map((id) => [id, categories[Math.floor(random() * 4)] as string]));
  const pick = () => unique[Math.floor(random() * unique.length)] as string;
  const sessions: SessionEvent[][] = Array.from({ length: 50 + Math.floor(random() * 400) }, () =>
    Array.from({ length: 1 + Math.floor(random() * 6) }, () => ({
      item: pick(),
      at: Math.floor(random() * 20 * DAY),
      kind: random() < 0.2 ? ('purchase' as const) : ('view' as const),
    })),
  );
  const model = learnNeighbours(sessions, {
    now: 20 * DAY,
    categoryOf: (id) => category.get(id),
    minSupport: 1 + Math.floor(random() * 2),
    k: 1 + Math.floor(random() * 20),
    popularK: 1 + Math.floor(random() * 50),
  });
  // most items in the catalogue, a few unavailable, a few the model names missing from it
  const catalogue: CatalogueItem[] = unique
    .filter(() => random() < 0.9)
    .map((id) => ({
      id,
      url: `/p/${id}`,
      title: id,
      category: category.get(id),
      ...(random() < 0.1 && { available: false }),
    }));
  return { random, model, catalogue, pick };
}

describe('the compact model', () => {
  it('stands for the same lists as the JSON model (a round trip), ids such as __proto__ included', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { model } = randomWorld(seed);
      const bytes = encodeRecommendModel(model);
      const compact = decodeRecommendModel(bytes);
      expect(compact?.version).toBe(RECOMMEND_COMPACT_VERSION);
      expect(expandRecommendModel(compact!)).toEqual(model);
      // deterministic: the same model gives the same bytes, and so does its round trip
      expect(encodeRecommendModel(model)).toEqual(bytes);
      expect(encodeRecommendModel(expandRecommendModel(compact!))).toEqual(bytes);
    }
  });

  it('answers exactly as the JSON model: same items, sources, scores and bases (property test)', () => {
    let answers = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const { random, model, catalogue, pick } = randomWorld(seed);
      const compact = compactRecommendModel(model);
      const index = indexCatalogue(catalogue);
      for (let trial = 0; trial < 40; trial++) {
        const visitor: RecommendVisitor = {
          viewed: Array.from({ length: Math.floor(random() * 8) }, () => ({
            item: pick(),
            at: Math.floor(random() * 100),
          })),
          purchased: random() < 0.5 ? [pick()] : [],
          cart: random() < 0.5 ? [pick(), pick()] : [],
          topInterest: random() < 0.3 ? 'shoes' : random() < 0.5 ? '__proto__' : null,
        };
        const request = {
          strategy: RECOMMEND_STRATEGIES[trial % RECOMMEND_STRATEGIES.length]!,
          count: 1 + Math.floor(random() * 12),
          exclude: (['viewed', 'purchased', 'none'] as const)[trial % 3],
          item: random() < 0.7 ? pick() : null,
        };
        const explain = trial % 2 === 0;
        const plain = recommend(model, index, visitor, request, { explain });
        expect(recommend(compact, index, visitor, request, { explain })).toEqual(plain);
        answers++;
      }
    }
    expect(answers).toBe(2400);
  });

  it('holds more than 65,536 items with 32-bit indices', () => {
    const n = 66_000;
    const id = (i: number) => `i${String(i).padStart(5, '0')}`;
    const neighbours: RecommendModel['neighbours'] = {};
    for (let i = 0; i < n; i++) neighbours[id(i)] = [[id((i * 7919) % n), 0.5]];
    const model: RecommendModel = {
      version: 1,
      trainedAt: 1,
      neighbours,
      bought: {},
      popular: { all: [[id(n - 1), 1]], byCategory: {} },
    };
    const compact = compactRecommendModel(model);
    expect(compact.neighbours.items).toBeInstanceOf(Uint32Array);
    expect(expandRecommendModel(compact)).toEqual(model);
    const neighbour = id((65_999 * 7919) % n);
    const index = indexCatalogue([{ id: neighbour, url: '/x', title: 'x' }]);
    const answer = recommend(compact, index, {}, { strategy: 'similar', count: 1, item: id(65_999) });
    expect(answer.map((r) => [r.item.id, r.source, r.score])).toEqual([[neighbour, 'similar', 0.5]]);
  });

  it('decodes anything but a well-formed format-2 value to null', () => {
    const { model } = randomWorld(3);
    const bytes = encodeRecommendModel(model);
    expect(decodeRecommendModel(bytes)).not.toBeNull();
    // a copy at an unaligned offset of a larger buffer decodes too
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(expandRecommendModel(decodeRecommendModel(shifted.subarray(1))!)).toEqual(model);
    expect(decodeRecommendModel(new Uint8Array(0))).toBeNull();
    expect(decodeRecommendModel(new TextEncoder().encode(JSON.stringify(model)))).toBeNull();
    expect(decodeRecommendModel(bytes.slice(0, bytes.length - 4))).toBeNull();
    const longer = new Uint8Array(bytes.length + 4);
    longer.set(bytes);
    expect(decodeRecommendModel(longer)).toBeNull();
    const version = bytes.slice();
    version[4] = 3;
    expect(decodeRecommendModel(version)).toBeNull();
    const header = bytes.slice();
    header[12] = 0x5b; // '[': not the header object
    expect(decodeRecommendModel(header)).toBeNull();
    // an item index past the id table
    const compact = decodeRecommendModel(bytes.slice())!;
    (compact.neighbours.items as Uint16Array)[0] = 65_535;
    const broken = new Uint8Array(compact.neighbours.items.buffer);
    expect(decodeRecommendModel(broken)).toBeNull();
  });
});
