/**
 * @module
 * Tests of contextual allocation. The fitted prior and the Thompson shares are checked against an
 * independent numpy/scipy computation (method-of-moments prior, then P(arm is best) by numerical
 * integration of the Beta posteriors, quoted with the call); Monte-Carlo shares are held to a few
 * standard errors with fixed seeds, so the tests are deterministic.
 */

import { describe, expect, it } from 'vitest';
import { banditWeights } from './bandit.ts';
import { contextualPrior, contextualWeights, discountCounts, pooledWeights } from './contextual.ts';

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const counts = (rows: [number, number][][]) => rows.map((row) => row.map(([n, x]) => ({ n, x })));

// Two large contexts with different winners and a tiny one.
const STATS = counts([
  [
    [2000, 100],
    [2000, 150],
    [2000, 90],
  ],
  [
    [1500, 120],
    [1500, 75],
    [1500, 80],
  ],
  [
    [40, 2],
    [40, 3],
    [40, 1],
  ],
]);

describe('contextualPrior', () => {
  it('matches the method-of-moments fit computed with numpy', () => {
    // per arm a over contexts with n > 0: pooled = X/N, m = (X + .5)/(N + 1), Q = Σ n (x/n - pooled)²,
    // tau2 = max(0, (Q - (k - 1) pooled (1 - pooled)) / (N - Σ n²/N)), s = clip(m(1-m)/tau2 - 1, 1, min(200, N + 2))
    const expected = [
      [9.87674788845248, 147.3078106419306],
      [12.905958768709406, 187.0940412312906],
      [9.686529229031347, 190.31347077096865],
    ];
    contextualPrior(STATS).forEach((p, a) => {
      expect(p.alpha).toBeCloseTo((expected[a] as number[])[0] as number, 9);
      expect(p.beta).toBeCloseTo((expected[a] as number[])[1] as number, 9);
    });
  });

  it('falls back to Beta(1, 1) without data, and to the bounded strength for one context', () => {
    expect(contextualPrior(counts([[[0, 0]], [[0, 0]]]))).toEqual([{ alpha: 1, beta: 1 }]);
    const [one] = contextualPrior(counts([[[10_000, 500]]]), { maxPriorStrength: 50 });
    expect((one?.alpha ?? 0) + (one?.beta ?? 0)).toBeCloseTo(50, 9);
    expect((one?.alpha ?? 0) / 50).toBeCloseTo(500.5 / 10_001, 9);
    // never more visitors than were pooled
    const [few] = contextualPrior(counts([[[3, 1]], [[0, 0]]]));
    expect((few?.alpha ?? 0) + (few?.beta ?? 0)).toBeCloseTo(5, 9);
  });

  it('is weak when the contexts disagree and strong when they agree', () => {
    const disagree = contextualPrior(counts([[[5000, 100]], [[5000, 500]], [[5000, 300]]]));
    const agree = contextualPrior(counts([[[5000, 250]], [[5000, 260]], [[5000, 245]]]));
    const strength = (p: { alpha: number; beta: number }[]) => (p[0]?.alpha ?? 0) + (p[0]?.beta ?? 0);
    // rates .02, .10, .06: τ² ≈ 0.0016, so s = m(1 − m)/τ² − 1 ≈ 0.0564/0.0016 − 1 ≈ 34
    expect(strength(disagree)).toBeLessThan(40);
    expect(strength(agree)).toBe(200);
  });
});

describe('contextualWeights', () => {
  it('gives the Thompson probabilities of the hierarchical posteriors (scipy reference)', () => {
    // P(arm i best) = ∫ beta.pdf(t, a_i, b_i) Π_{j≠i} beta.cdf(t, a_j, b_j) dt, with a = α + x, b = β + n − x,
    // by scipy.integrate.quad; the third row is the tiny context, pulled toward the pooled prior.
    const expected = [
      [0.0007769133538904661, 0.9991987566737495, 2.4329972358127566e-5],
      [0.9979363365820565, 0.0007936731847683338, 0.0012699902331735388],
      [0.3621587400647897, 0.562352367912644, 0.07548889202256721],
    ];
    const draws = 40_000;
    const shares = contextualWeights(STATS, { exploration: 1, minShare: 0, draws, seed: 5 });
    for (const [c, row] of shares.entries()) {
      for (const [a, share] of row.entries()) {
        const p = (expected[c] as number[])[a] as number;
        // 4 Monte-Carlo standard errors, sqrt(p(1-p)/draws), plus a grid-rounding allowance
        expect(Math.abs(share - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / draws) + 1e-9);
      }
    }
  });

  it('sums every row to exactly 1 and keeps the minimum share', () => {
    const shares = contextualWeights(STATS, { minShare: 0.1, draws: 2000 });
    for (const row of shares) {
      expect(sum(row)).toBe(1);
      for (const share of row) expect(share).toBeGreaterThanOrEqual(0.1);
    }
    expect(contextualWeights(counts([[[10, 1]], [[0, 0]]]))).toEqual([[1], [1]]);
  });

  it('is deterministic for a seed and varies with it', () => {
    const a = contextualWeights(STATS, { seed: 1, draws: 500 });
    expect(contextualWeights(STATS, { seed: 1, draws: 500 })).toEqual(a);
    expect(contextualWeights(STATS, { seed: 2, draws: 500 })).not.toEqual(a);
  });

  it('with exploration 0 puts all the free mass on the best posterior mean', () => {
    const shares = contextualWeights(STATS, { exploration: 0, draws: 100 });
    expect(shares[0]?.[1]).toBeCloseTo(0.9, 10);
    expect(shares[1]?.[0]).toBeCloseTo(0.9, 10);
    // the tiny context: posterior means (α + x)/(α + β + n) favour arm 1 (15.9/240 vs 11.9/197 and 10.7/240)
    expect(shares[2]?.[1]).toBeCloseTo(0.9, 10);
  });

  it('lets a tiny context borrow from the others where plain Thompson sampling knows nothing', () => {
    // arm 1 wins in every large context; the tiny one has seen 10 visitors per arm
    const stats = counts([
      [
        [3000, 150],
        [3000, 240],
      ],
      [
        [3000, 90],
        [3000, 150],
      ],
      [
        [10, 1],
        [10, 0],
      ],
    ]);
    const tiny = contextualWeights(stats, { minShare: 0, exploration: 1, draws: 20_000 })[2] ?? [];
    const plain = banditWeights(stats[2] ?? [], { minShare: 0, draws: 20_000 });
    expect(plain[1]).toBeLessThan(0.4);
    expect(tiny[1]).toBeGreaterThan(0.6);
    // a context with its own evidence against the pooled winner follows its own data
    const own = counts([
      [
        [3000, 150],
        [3000, 240],
      ],
      [
        [3000, 90],
        [3000, 150],
      ],
      [
        [3000, 240],
        [3000, 150],
      ],
    ]);
    expect(contextualWeights(own, { minShare: 0 })[2]?.[0]).toBeGreaterThan(0.99);
  });

  it('rejects malformed input with a message naming the problem', () => {
    expect(() => contextualWeights([])).toThrow(/at least one context/);
    expect(() => contextualWeights([[]])).toThrow(/at least one arm/);
    expect(() =>
      contextualWeights(
        counts([
          [
            [1, 0],
            [1, 0],
          ],
          [[1, 0]],
        ]),
      ),
    ).toThrow(/context 1 has 1 arms/);
    expect(() => contextualWeights(counts([[[1, 2]]]))).toThrow(/context 0 arm 0/);
    expect(() => contextualWeights(counts([[[Number.NaN, 0]]]))).toThrow(RangeError);
    expect(() => contextualWeights(STATS, { minShare: 0.4 })).toThrow(/minShare must be in \[0, 1\/3\]/);
    expect(() => contextualWeights(STATS, { draws: 0 })).toThrow(/draws/);
    expect(() => contextualWeights(STATS, { exploration: 1.5 })).toThrow(/exploration/);
    expect(() => contextualWeights(STATS, { maxPriorStrength: 0 })).toThrow(/maxPriorStrength/);
  });
});

describe('pooledWeights', () => {
  it('is the row of a context without data', () => {
    const row = pooledWeights(STATS, { seed: 3, draws: 2000 });
    const empty = STATS[0]?.map(() => ({ n: 0, x: 0 })) ?? [];
    expect(row).toEqual(contextualWeights([...STATS, empty], { seed: 3, draws: 2000 })[3]);
    expect(sum(row)).toBe(1);
  });
});

describe('discountCounts', () => {
  it('weighs the past by the discount and adds new contexts', () => {
    const running = counts([
      [
        [100, 10],
        [50, 5],
      ],
    ]);
    const period = counts([
      [
        [10, 1],
        [20, 4],
      ],
      [
        [5, 1],
        [5, 0],
      ],
    ]);
    expect(discountCounts(running, period, 0.5)).toEqual(
      counts([
        [
          [60, 6],
          [45, 6.5],
        ],
        [
          [5, 1],
          [5, 0],
        ],
      ]),
    );
    expect(discountCounts(running, period, 1)[0]).toEqual(
      counts([
        [
          [110, 11],
          [70, 9],
        ],
      ])[0],
    );
    expect(() => discountCounts(running, period, 1.1)).toThrow(/discount/);
    expect(() => discountCounts(period, running, 1)).toThrow(/contexts/);
  });
});
