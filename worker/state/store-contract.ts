/**
 * @module store-contract
 * The behaviour every `StateStore` owes the worker, as one test suite that each backend runs against its
 * real storage (worker/state/kv-store.test.ts: Miniflare KV; test/upstash-store.test.ts: redis-server
 * behind the Upstash bridge). Its last test compares a store with the pure reference, `applyOps` on a
 * plain object, for random sequences of operations. What differs between backends (TTLs, concurrency)
 * is tested beside each store.
 *
 * Page operations go through the `page` writer and touch page-owned fields, beacon operations the
 * `beacon` writer and beacon-owned fields, as the worker does: the KV store relies on it.
 *
 * @example
 * describeStateStore('kv', async () => ({ store: createKvStore(env.HIO_KV) }));
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  applyOps,
  type FlatProfile,
  MAX_GOALS,
  MAX_INTERESTS,
  MAX_ITEMS,
  type Op,
  type OpGroup,
  WINDOW_DAYS,
} from '../engine/index.ts';
import type { StateStore, Writer } from './store.ts';

export interface StoreUnderTest {
  store: StateStore;
  cleanup?: () => Promise<void>;
}

const T0 = Date.UTC(2026, 3, 20, 9);
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const IDLE = 30 * MIN;
const HALF = 7 * DAY;
const OPTS = { ttlSeconds: 3600 };

let counter = 0;
/** A visitor id of its own per test, so stores need not be emptied between tests. */
export const freshVisitor = () => `v${Date.now().toString(36)}${(counter++).toString(36)}`;

const pageview = (now: number): Op[] => [
  { o: 'session', now, idle: IDLE },
  { o: 'inc', f: 'pv', n: 1 },
  { o: 'inc', f: 'spv', n: 1 },
];

/** A returning visitor with a full profile: interests, assignments, exposures, engagement, conversions. */
export async function fillTypicalProfile(store: StateStore, id: string): Promise<void> {
  const page: Op[] = [...pageview(T0)];
  for (let c = 0; c < 10; c++) {
    page.push(
      { o: 'set', f: `a.campaign-${c}`, v: `variant-${c}|${(0.123456789 * (c + 1)).toString(36)}` },
      { o: 'daily', f: `x.campaign-${c}`, day: Math.floor(T0 / DAY) },
    );
  }
  await store.apply(id, 'page', [{ ops: page }], OPTS);
  const groups: OpGroup[] = [];
  for (let i = 0; i < 20; i++) {
    const now = T0 + i * MIN;
    groups.push({
      id: `ev-int-${i}`,
      ops: [
        { o: 'set', f: 'lc', v: `category-${i}` },
        { o: 'decay', f: `i.category-${i}`, n: 1 + i / 7, now, half: HALF },
        { o: 'sess', sid: T0, f: 'st', n: 12_345, m: 'inc' },
        { o: 'sess', sid: T0, f: 'sm', n: 75, m: 'max' },
        { o: 'inc', f: 'et', n: 12_345 },
      ],
    });
  }
  for (const goal of ['purchase', 'signup', 'newsletter']) {
    groups.push({
      id: `ev-${goal}`,
      ops: [
        { o: 'inc', f: `c.${goal}`, n: 1 },
        { o: 'inc', f: `cv.${goal}`, n: 49.99 },
      ],
    });
  }
  groups.push({
    id: 'ev-click',
    ops: [
      { o: 'inc', f: 'ck', n: 3 },
      { o: 'inc', f: 'dr', n: 2 },
    ],
  });
  await store.apply(id, 'beacon', groups, OPTS);
}

// ---- random operation sequences for the comparison with the reference ----

interface Call {
  writer: Writer;
  dt: number;
  groups: Array<{ id?: string; ops: Array<(now: number) => Op> }>;
}

const pick = <T>(...xs: T[]) => fc.constantFrom(...xs);
const CAMPAIGNS = ['hero', 'nav', 'promo'];
const CATEGORIES = Array.from({ length: 20 }, (_, i) => `c${i}`);

const pageOp: fc.Arbitrary<(now: number) => Op> = fc.oneof(
  fc.tuple(pick('set', 'setnx'), pick(...CAMPAIGNS), pick('control', 'b', '42')).map(
    ([o, c, v]) =>
      (): Op => ({ o: o as 'set' | 'setnx', f: `a.${c}`, v: `${v}|t0` }),
  ),
  pick(...CAMPAIGNS).map(
    (c) =>
      (now: number): Op => ({ o: 'daily', f: `x.${c}`, day: Math.floor(now / DAY) }),
  ),
  pick(...CAMPAIGNS).map(
    (c) =>
      (now: number): Op => ({ o: 'set', f: `sv.${c}`, v: `${now}:b` }),
  ),
  fc.integer({ min: 0, max: 100 }).map((n) => (): Op => ({ o: 'max', f: 'pmax', n })),
  pick('a.hero', 'x.hero', 'sv.nav', 'pmax').map((f) => (): Op => ({ o: 'del', f })),
);

// visits and pageviews are beacon-owned, as in the worker: the session op reads and writes the
// session fields (sid, st) that beacons own, so it runs through the beacon writer
const beaconOp: fc.Arbitrary<(now: number) => Op> = fc.oneof(
  { arbitrary: fc.constant((now: number): Op => ({ o: 'session', now, idle: IDLE })), weight: 3 },
  fc.tuple(pick('pv', 'spv'), fc.integer({ min: 1, max: 3 })).map(
    ([f, n]) =>
      (): Op => ({ o: 'inc', f, n }),
  ),
  {
    arbitrary: fc.tuple(pick(...CATEGORIES), pick(1, 0.5, 0.25, 1 / 3, 2)).map(
      ([c, n]) =>
        (now: number): Op => ({ o: 'decay', f: `i.${c}`, n, now, half: HOUR }),
    ),
    weight: 5,
  },
  fc
    .tuple(
      pick(1, 2, 3),
      pick('st' as const, 'sm' as const),
      fc.integer({ min: 0, max: 60_000 }),
      pick('inc' as const, 'max' as const),
    )
    .map(
      ([sid, f, n, m]) =>
        (): Op => ({ o: 'sess', sid, f, n, m }),
    ),
  fc.tuple(pick('et', 'dr', 'ck', 'c.buy', 'cv.buy'), pick(1, 0.1, 0.2, 19.99, 30_000)).map(
    ([f, n]) =>
      (): Op => ({ o: 'inc', f, n }),
  ),
  fc.integer({ min: 0, max: 100 }).map((n) => (): Op => ({ o: 'max', f: 'bmax', n })),
  pick('shoes', '42', 'true', '1e3').map((v) => (): Op => ({ o: 'set', f: 'lc', v })),
  fc.integer({ min: 1, max: 9 }).map((v) => (): Op => ({ o: 'setnx', f: 'bnx', v })),
  pick('lc', 'c.buy', 'i.c1').map((f) => (): Op => ({ o: 'del', f })),
  // day buckets, some long past (the trim keeps the 30 latest days)
  fc.tuple(pick('dv.', 'dp.', 'de.'), fc.integer({ min: 0, max: 45 }), pick(1, 1500)).map(
    ([prefix, back, n]) =>
      (now: number): Op =>
        prefix === 'dv.'
          ? { o: 'vday', f: `dv.${Math.floor(now / DAY) - back}` }
          : { o: 'inc', f: `${prefix}${Math.floor(now / DAY) - back}`, n },
  ),
);

const callArb: fc.Arbitrary<Call> = pick<Writer>('page', 'beacon').chain((writer) =>
  fc.record({
    writer: fc.constant(writer),
    dt: pick(0, MIN, 20 * MIN, 45 * MIN, 3 * HOUR, DAY),
    groups: fc.array(
      fc.record({
        id: fc.option(
          fc.integer({ min: 0, max: 6 }).map((i) => `${writer}-${i}`),
          { nil: undefined },
        ),
        ops: fc.array(writer === 'page' ? pageOp : beaconOp, { minLength: 1, maxLength: 5 }),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  }),
);

/** Equal to the reference; interest scores within rounding (Lua's pow may differ from V8's in the last bit). */
function expectSameProfile(actual: FlatProfile, expected: FlatProfile): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [k, v] of Object.entries(expected)) {
    if (k.startsWith('i.') && typeof v === 'number') expect(actual[k], k).toBeCloseTo(v, 2);
    else expect(actual[k], k).toEqual(v);
  }
}

/**
 * Registers the contract tests for one store. `make` runs before each test; `cleanup` after it.
 */
export function describeStateStore(name: string, make: () => Promise<StoreUnderTest>): void {
  describe(`StateStore contract: ${name}`, () => {
    let store: StateStore;
    let cleanup: (() => Promise<void>) | undefined;
    let id: string;

    beforeEach(async () => {
      ({ store, cleanup } = await make());
      id = freshVisitor();
    });
    afterEach(async () => {
      await cleanup?.();
    });

    it('loads an unknown visitor as an empty profile', async () => {
      expect((await store.load(id)).profile).toEqual({});
    });

    it('counts visits: first visit, same session, new session after the idle timeout', async () => {
      await store.apply(id, 'page', [{ ops: pageview(T0) }], OPTS);
      expect((await store.load(id)).profile).toEqual({ fs: T0, v: 1, ss: T0, spv: 1, ls: T0, pv: 1 });

      const t1 = T0 + 10 * MIN;
      await store.apply(id, 'page', [{ ops: pageview(t1) }], OPTS);
      expect((await store.load(id)).profile).toEqual({ fs: T0, v: 1, ss: T0, spv: 2, ls: t1, pv: 2 });

      const t2 = t1 + IDLE + 1;
      await store.apply(id, 'page', [{ ops: pageview(t2) }], OPTS);
      // a new visit remembers when the previous one was last seen (pl: returningSoon)
      expect((await store.load(id)).profile).toEqual({
        fs: T0,
        v: 2,
        ss: t2,
        spv: 1,
        ls: t2,
        pv: 3,
        pl: t1,
        ppv: 2,
        pst: 0,
      });

      // a late request from the past does not move last seen back
      await store.apply(id, 'page', [{ ops: [{ o: 'session', now: t1, idle: IDLE }] }], OPTS);
      expect((await store.load(id)).profile.ls).toBe(t2);
    });

    it('decays interests with time and rounds scores to 3 decimals', async () => {
      const decay = (n: number, now: number): OpGroup => ({
        ops: [{ o: 'decay', f: 'i.shoes', n, now, half: HALF }],
      });
      await store.apply(id, 'beacon', [decay(1, T0)], OPTS);
      expect((await store.load(id)).profile).toEqual({ 'i.shoes': 1, 'i@shoes': T0 });

      await store.apply(id, 'beacon', [decay(1, T0 + HALF)], OPTS);
      expect((await store.load(id)).profile).toEqual({ 'i.shoes': 1.5, 'i@shoes': T0 + HALF });

      const t = T0 + HALF + HALF / 3;
      await store.apply(id, 'beacon', [decay(1 / 3, t)], OPTS);
      const p = (await store.load(id)).profile;
      expect(p['i.shoes']).toBeCloseTo(1.5 * 2 ** (-1 / 3) + 1 / 3, 3);
      expect(String(p['i.shoes'])).toMatch(/^\d+(\.\d{1,3})?$/);
      expect(p['i@shoes']).toBe(t);
    });

    it('resets session engagement when the session changes', async () => {
      const s1 = T0;
      const s2 = T0 + HOUR;
      await store.apply(
        id,
        'beacon',
        [
          { ops: [{ o: 'sess', sid: s1, f: 'st', n: 1000, m: 'inc' }] },
          { ops: [{ o: 'sess', sid: s1, f: 'sm', n: 50, m: 'max' }] },
          { ops: [{ o: 'sess', sid: s1, f: 'st', n: 500, m: 'inc' }] },
          { ops: [{ o: 'sess', sid: s1, f: 'sm', n: 25, m: 'max' }] },
        ],
        OPTS,
      );
      expect((await store.load(id)).profile).toEqual({ sid: s1, st: 1500, sm: 50 });
      await store.apply(id, 'beacon', [{ ops: [{ o: 'sess', sid: s2, f: 'st', n: 200, m: 'inc' }] }], OPTS);
      expect((await store.load(id)).profile).toEqual({ sid: s2, st: 200, sm: 0 });
    });

    it('adds, keeps maxima and counts conversions with exact numbers', async () => {
      await store.apply(
        id,
        'beacon',
        [
          {
            ops: [
              { o: 'inc', f: 'et', n: 30_000 },
              { o: 'max', f: 'top', n: 40 },
            ],
          },
          {
            ops: [
              { o: 'inc', f: 'et', n: 12_500 },
              { o: 'max', f: 'top', n: 20 },
            ],
          },
          {
            ops: [
              { o: 'inc', f: 'c.purchase', n: 1 },
              { o: 'inc', f: 'cv.purchase', n: 0.1 },
            ],
          },
          {
            ops: [
              { o: 'inc', f: 'c.purchase', n: 1 },
              { o: 'inc', f: 'cv.purchase', n: 0.2 },
            ],
          },
          {
            ops: [
              { o: 'inc', f: 'ts', n: T0 },
              { o: 'inc', f: 'big', n: 2 ** 53 - 1 },
            ],
          },
        ],
        OPTS,
      );
      const p = (await store.load(id)).profile;
      expect(p).toEqual({
        et: 42_500,
        top: 40,
        'c.purchase': 2,
        'cv.purchase': 0.1 + 0.2,
        ts: T0,
        big: 2 ** 53 - 1,
      });
      expect(p['cv.purchase']).toBe(0.30000000000000004);
    });

    it('counts exposures per day and rolls over to a new day', async () => {
      const day = Math.floor(T0 / DAY);
      const daily = (d: number): OpGroup => ({ ops: [{ o: 'daily', f: 'x.hero', day: d }] });
      await store.apply(id, 'page', [daily(day), daily(day)], OPTS);
      expect((await store.load(id)).profile).toEqual({ 'x.hero': `${day}:2` });
      await store.apply(id, 'page', [daily(day + 1)], OPTS);
      expect((await store.load(id)).profile).toEqual({ 'x.hero': `${day + 1}:1` });
    });

    it('sets, sets once and deletes fields, keeping string fields strings', async () => {
      await store.apply(
        id,
        'page',
        [
          {
            ops: [
              { o: 'setnx', f: 'a.hero', v: 'b|x1' },
              { o: 'setnx', f: 'a.hero', v: 'control|x1' },
              { o: 'set', f: 'a.nav', v: '42' },
              { o: 'set', f: 'sv.hero', v: `${T0}:b` },
              { o: 'set', f: 'gone', v: 1 },
              { o: 'del', f: 'gone' },
              { o: 'del', f: 'never' },
            ],
          },
        ],
        OPTS,
      );
      await store.apply(
        id,
        'beacon',
        [
          {
            ops: [
              { o: 'set', f: 'lc', v: '1e3' },
              { o: 'setnx', f: 'n', v: 7 },
              { o: 'setnx', f: 'n', v: 8 },
            ],
          },
        ],
        OPTS,
      );
      expect((await store.load(id)).profile).toEqual({
        'a.hero': 'b|x1',
        'a.nav': '42',
        'sv.hero': `${T0}:b`,
        lc: '1e3',
        n: 7,
      });
    });

    it('applies an event once: a retried batch counts as duplicates', async () => {
      const conv = (eid: string): OpGroup => ({ id: eid, ops: [{ o: 'inc', f: 'c.goal', n: 1 }] });
      expect(await store.apply(id, 'beacon', [conv('e1'), conv('e2')], OPTS)).toEqual({
        applied: 2,
        duplicates: 0,
      });
      expect(await store.apply(id, 'beacon', [conv('e1'), conv('e2')], OPTS)).toEqual({
        applied: 0,
        duplicates: 2,
      });
      expect(await store.apply(id, 'beacon', [conv('e2'), conv('e3'), conv('e3')], OPTS)).toEqual({
        applied: 1,
        duplicates: 2,
      });
      // groups without an id (page views) are always applied
      const anon: OpGroup = { ops: [{ o: 'inc', f: 'c.goal', n: 1 }] };
      expect(await store.apply(id, 'beacon', [anon, anon], OPTS)).toEqual({ applied: 2, duplicates: 0 });
      expect((await store.load(id)).profile).toEqual({ 'c.goal': 5 });
    });

    it('shows both writers in one load, and neither overwrites the other', async () => {
      await Promise.all([
        store.apply(id, 'page', [{ ops: pageview(T0) }], OPTS),
        store.apply(id, 'beacon', [{ id: 'e1', ops: [{ o: 'inc', f: 'et', n: 5000 }] }], OPTS),
      ]);
      await Promise.all([
        store.apply(id, 'page', [{ ops: pageview(T0 + MIN) }], OPTS),
        store.apply(id, 'beacon', [{ id: 'e2', ops: [{ o: 'set', f: 'lc', v: 'shoes' }] }], OPTS),
      ]);
      expect((await store.load(id)).profile).toEqual({
        fs: T0,
        v: 1,
        ss: T0,
        spv: 2,
        ls: T0 + MIN,
        pv: 2,
        et: 5000,
        lc: 'shoes',
      });
    });

    it(`keeps the ${MAX_INTERESTS} strongest interests`, async () => {
      const groups: OpGroup[] = Array.from({ length: 24 }, (_, i) => ({
        id: `e${i}`,
        ops: [{ o: 'decay', f: `i.cat${i}`, n: 1 + ((i * 7) % 24), now: T0 + i, half: HALF }],
      }));
      await store.apply(id, 'beacon', groups.slice(0, 10), OPTS);
      await store.apply(id, 'beacon', groups.slice(10), OPTS);
      const p = (await store.load(id)).profile;
      const kept = Object.keys(p)
        .filter((k) => k.startsWith('i.'))
        .sort();
      const reference: FlatProfile = {};
      applyOps(reference, groups.slice(0, 10), new Set());
      applyOps(reference, groups.slice(10), new Set());
      expect(kept).toHaveLength(MAX_INTERESTS);
      expect(kept).toEqual(
        Object.keys(reference)
          .filter((k) => k.startsWith('i.'))
          .sort(),
      );
      expect(Object.keys(p).filter((k) => k.startsWith('i@'))).toHaveLength(MAX_INTERESTS);
      expect(p).toEqual(reference);
    });

    it(`keeps conversions of at most ${MAX_GOALS} goals, the most converted, with their values`, async () => {
      const groups: OpGroup[] = Array.from({ length: MAX_GOALS + 8 }, (_, i) => ({
        id: `g${i}`,
        ops: [
          { o: 'inc', f: `c.goal${i}`, n: 1 + ((i * 11) % (MAX_GOALS + 8)) },
          { o: 'inc', f: `cv.goal${i}`, n: 2.5 },
        ],
      }));
      await store.apply(id, 'beacon', groups.slice(0, 20), OPTS);
      await store.apply(id, 'beacon', groups.slice(20), OPTS);
      const p = (await store.load(id)).profile;
      const reference: FlatProfile = {};
      applyOps(reference, groups.slice(0, 20), new Set());
      applyOps(reference, groups.slice(20), new Set());
      const goals = Object.keys(p).filter((k) => k.startsWith('c.'));
      expect(goals).toHaveLength(MAX_GOALS);
      expect(Object.keys(p).filter((k) => k.startsWith('cv.'))).toHaveLength(MAX_GOALS);
      // the weakest went: every kept count is at least every dropped one
      const dropped = groups.map((_, i) => `c.goal${i}`).filter((k) => !(k in p));
      const minKept = Math.min(...goals.map((k) => Number(p[k])));
      expect(
        Math.max(...dropped.map((k) => 1 + ((Number(k.slice(6)) * 11) % (MAX_GOALS + 8)))),
      ).toBeLessThanOrEqual(minKept);
      expect(p).toEqual(reference);
    });

    it(`keeps the ${MAX_ITEMS} latest clicked items, each with where it was clicked (a string)`, async () => {
      const groups: OpGroup[] = Array.from({ length: MAX_ITEMS + 5 }, (_, i) => ({
        id: `k${i}`,
        ops: [
          { o: 'max', f: `rc.item-${i}`, n: 1_000 + i },
          { o: 'set', f: `rw.item-${i}`, v: `recs|for-you|${(i % 4) + 1}` },
        ],
      }));
      await store.apply(id, 'beacon', groups.slice(0, 12), OPTS);
      await store.apply(id, 'beacon', groups.slice(12), OPTS);
      const p = (await store.load(id)).profile;
      const reference: FlatProfile = {};
      applyOps(reference, groups.slice(0, 12), new Set());
      applyOps(reference, groups.slice(12), new Set());
      const clicked = Object.keys(p).filter((k) => k.startsWith('rc.'));
      expect(clicked).toHaveLength(MAX_ITEMS);
      // the oldest went, each with its companion
      expect(p['rc.item-4']).toBeUndefined();
      expect(p['rw.item-4']).toBeUndefined();
      expect(p[`rw.item-${MAX_ITEMS + 4}`]).toBe(`recs|for-you|${((MAX_ITEMS + 4) % 4) + 1}`);
      expect(Object.keys(p).filter((k) => k.startsWith('rw.'))).toHaveLength(MAX_ITEMS);
      expect(p).toEqual(reference);
    });

    it(`counts visits once per visit in day buckets and keeps the ${WINDOW_DAYS} latest days`, async () => {
      const day = Math.floor(T0 / DAY);
      const visitOf = (d: number): Op[] => [{ o: 'vday', f: `dv.${d}` }];
      // visit 1 on day 0: counted once however many pageviews
      await store.apply(id, 'beacon', [{ ops: [{ o: 'inc', f: 'v', n: 1 }, ...visitOf(day)] }], OPTS);
      await store.apply(id, 'beacon', [{ ops: visitOf(day) }], OPTS);
      let p = (await store.load(id)).profile;
      expect(p[`dv.${day}`]).toBe(1);
      expect(p.wv).toBe(1);
      // 40 more visits on 40 consecutive days, each with pageviews and engaged ms
      for (let i = 1; i <= 40; i++) {
        await store.apply(
          id,
          'beacon',
          [
            {
              ops: [
                { o: 'inc', f: 'v', n: 1 },
                ...visitOf(day + i),
                { o: 'inc', f: `dp.${day + i}`, n: 2 },
                { o: 'inc', f: `de.${day + i}`, n: 1500 },
              ],
            },
          ],
          OPTS,
        );
      }
      p = (await store.load(id)).profile;
      for (const prefix of ['dv.', 'dp.', 'de.']) {
        const days = Object.keys(p)
          .filter((k) => k.startsWith(prefix))
          .map((k) => Number(k.slice(prefix.length)))
          .sort((a, b) => a - b);
        expect(days, prefix).toHaveLength(WINDOW_DAYS);
        expect(days[0], prefix).toBe(day + 11);
        expect(days.at(-1), prefix).toBe(day + 40);
      }
      expect(p[`dv.${day + 40}`]).toBe(1);
      expect(p[`dp.${day + 40}`]).toBe(2);
      expect(p[`de.${day + 40}`]).toBe(1500);
      expect(p.wv).toBe(41);
    });

    it('breaks ties between equal interests as the reference does (the earlier field stays)', async () => {
      const decay = (c: number, now = T0): Op => ({ o: 'decay', f: `i.t${c}`, n: 1, now, half: HALF });
      const calls: OpGroup[][] = [
        [{ ops: Array.from({ length: 12 }, (_, c) => decay(c)) }],
        [{ ops: [{ o: 'del', f: 'i.t3' }, { o: 'del', f: 'i@t3' }, decay(20), decay(3)] }],
        [{ ops: Array.from({ length: 8 }, (_, c) => decay(c + 12)) }],
      ];
      const reference: FlatProfile = {};
      for (const groups of calls) {
        applyOps(reference, groups, new Set());
        await store.apply(id, 'beacon', groups, OPTS);
      }
      expect(Object.keys(reference).filter((k) => k.startsWith('i.'))).toHaveLength(MAX_INTERESTS);
      expect((await store.load(id)).profile).toEqual(reference);
    });

    it('erases everything: profile and remembered event ids', async () => {
      await store.apply(id, 'page', [{ ops: pageview(T0) }], OPTS);
      await store.apply(id, 'beacon', [{ id: 'e1', ops: [{ o: 'inc', f: 'c.goal', n: 1 }] }], OPTS);
      await store.erase(id);
      expect((await store.load(id)).profile).toEqual({});
      expect(
        await store.apply(id, 'beacon', [{ id: 'e1', ops: [{ o: 'inc', f: 'c.goal', n: 1 }] }], OPTS),
      ).toEqual({
        applied: 1,
        duplicates: 0,
      });
      expect((await store.load(id)).profile).toEqual({ 'c.goal': 1 });
      await store.erase(id);
      await store.erase(freshVisitor());
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('keeps a typical profile under 4 KB', async () => {
      await fillTypicalProfile(store, id);
      const p = (await store.load(id)).profile;
      const bytes = new TextEncoder().encode(JSON.stringify(p)).length;
      console.log(`[${name}] typical profile: ${Object.keys(p).length} fields, ${bytes} bytes as JSON`);
      expect(Object.keys(p).filter((k) => k.startsWith('i.'))).toHaveLength(MAX_INTERESTS);
      expect(bytes).toBeLessThan(4096);
    });

    it('ends in the same profile as the pure reference, for random operation sequences', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(callArb, { minLength: 1, maxLength: 8 }), async (calls) => {
          const vid = freshVisitor();
          const reference: FlatProfile = {};
          const seen = new Set<string>();
          let now = T0;
          for (const call of calls) {
            now += call.dt;
            const groups: OpGroup[] = call.groups.map((g) => ({
              ...(g.id === undefined ? {} : { id: g.id }),
              ops: g.ops.map((op) => op(now)),
            }));
            const expected = applyOps(reference, groups, seen);
            expect(await store.apply(vid, call.writer, groups, OPTS)).toEqual(expected);
          }
          expectSameProfile((await store.load(vid)).profile, reference);
          await store.erase(vid);
        }),
        { numRuns: 30 },
      );
    });
  });
}
