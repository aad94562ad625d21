/**
 * @module
 * Tests of Thompson-sampling allocation and its samplers. Exact references come from mpmath 1.3.0
 * (quoted with the call that produced them); the Monte-Carlo results are held to a few standard errors
 * with fixed seeds, so the tests are deterministic.
 */

import { describe, expect, it } from 'vitest';
import { banditWeights, DEFAULT_SEED, mulberry32, sampleBeta, sampleGamma } from './bandit';
import { regularizedBeta } from './special-functions';
import { chanceToBeatControl } from './stats';

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

describe('mulberry32', () => {
  it('reproduces the reference implementation', () => {
    // The published C/JS mulberry32, re-implemented in Python with 32-bit masks, seed 42.
    const random = mulberry32(42);
    expect([random(), random(), random()]).toEqual([
      0.6011037519201636, 0.44829055899754167, 0.8524657934904099,
    ]);
  });

  it('stays in [0, 1)', () => {
    const random = mulberry32(7);
    let outside = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const u = random();
      if (!(u >= 0 && u < 1)) outside++;
    }
    expect(outside).toBe(0);
  });
});

/** Kolmogorov-Smirnov distance between samples and a CDF. */
function ksDistance(samples: number[], cdf: (x: number) => number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  let d = 0;
  sorted.forEach((x, i) => {
    const f = cdf(x);
    d = Math.max(d, Math.abs(f - i / sorted.length), Math.abs((i + 1) / sorted.length - f));
  });
  return d;
}

describe('samplers', () => {
  it.each([
    [3, 7],
    [0.5, 0.5],
    [1, 1],
    [200, 5000],
  ])('Beta(%d, %d) samples pass a Kolmogorov-Smirnov test', (a, b) => {
    const random = mulberry32(11);
    const samples = Array.from({ length: 20_000 }, () => sampleBeta(a, b, random));
    // 1.95 / sqrt(n) is the KS critical value at the 0.1% level.
    expect(ksDistance(samples, (x) => regularizedBeta(x, a, b))).toBeLessThan(
      1.95 / Math.sqrt(samples.length),
    );
  });

  it.each([0.3, 1, 2.5, 1e6])('Gamma(%d) has the right mean and variance', (shape) => {
    const random = mulberry32(5);
    const n = 50_000;
    const samples = Array.from({ length: n }, () => sampleGamma(shape, random));
    const mean = sum(samples) / n;
    const variance = sum(samples.map((s) => (s - mean) ** 2)) / (n - 1);
    // Mean and variance of Gamma(k, 1) are both k; allow 5 standard errors of the mean.
    expect(Math.abs(mean - shape)).toBeLessThan(5 * Math.sqrt(shape / n));
    expect(Math.abs(variance / shape - 1)).toBeLessThan(0.05);
  });
});

describe('banditWeights', () => {
  const arms = [
    { n: 1000, x: 50 },
    { n: 1000, x: 60 },
    { n: 1000, x: 65 },
  ];

  it('estimates the probability that each arm is best', () => {
    // P(arm i is best) = ∫ pdf_i(u) Π_{j≠i} cdf_j(u) du with Beta(1 + x, 1 + n - x) posteriors, by
    // mpmath.quad (25 digits, mpmath.betainc(..., regularized=True)).
    const exact = [0.0375938453444221, 0.308225298349586, 0.654180856305992];
    const draws = 100_000;
    const weights = banditWeights(arms, { minShare: 0, draws });
    weights.forEach((w, i) => {
      const p = exact[i]!;
      expect(Math.abs(w - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / draws));
    });
  });

  it('matches chance to beat control for two arms', () => {
    const control = { n: 500, x: 40 };
    const treatment = { n: 520, x: 50 };
    const draws = 50_000;
    const p = chanceToBeatControl(control, treatment);
    const [, share] = banditWeights([control, treatment], { minShare: 0, draws, seed: 3 });
    expect(Math.abs(share! - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / draws));
  });

  it('sums to exactly 1 and respects the minimum share', () => {
    const cases = [
      arms,
      [
        { n: 5000, x: 100 },
        { n: 5000, x: 300 },
        { n: 5000, x: 120 },
        { n: 10, x: 0 },
      ],
      [
        { n: 0, x: 0 },
        { n: 0, x: 0 },
        { n: 0, x: 0 },
      ],
    ];
    for (const [i, input] of cases.entries()) {
      for (const minShare of [0, 0.05, 0.1, 0.2, 1 / input.length]) {
        const weights = banditWeights(input, { minShare, seed: i });
        expect(weights).toHaveLength(input.length);
        expect(sum(weights)).toBe(1);
        expect([...weights].reverse().reduce((a, b) => a + b, 0)).toBe(1);
        // Weights sit on a 2^-40 grid, so the floor holds to within arms · 2^-40.
        for (const w of weights) expect(w).toBeGreaterThanOrEqual(minShare - input.length * 2 ** -40);
      }
    }
  });

  it('sends most traffic to a clearly better arm, the floor to the others', () => {
    const weights = banditWeights([
      { n: 2000, x: 100 },
      { n: 2000, x: 200 },
      { n: 2000, x: 110 },
    ]);
    expect(weights[1]).toBeGreaterThan(0.89);
    expect(weights[0]).toBeCloseTo(0.05, 11);
    expect(weights[2]).toBeCloseTo(0.05, 11);
  });

  it('splits evenly without data', () => {
    const weights = banditWeights([
      { n: 0, x: 0 },
      { n: 0, x: 0 },
    ]);
    for (const w of weights) expect(Math.abs(w - 0.5)).toBeLessThan(0.02);
  });

  it('is reproducible: same seed, same weights; the default is seeded too', () => {
    expect(banditWeights(arms, { seed: 99 })).toEqual(banditWeights(arms, { seed: 99 }));
    expect(banditWeights(arms)).toEqual(banditWeights(arms, { seed: DEFAULT_SEED }));
    expect(banditWeights(arms, { random: mulberry32(5) })).toEqual(banditWeights(arms, { seed: 5 }));
    expect(banditWeights(arms, { seed: 1 })).not.toEqual(banditWeights(arms, { seed: 2 }));
  });

  it('handles no arms and one arm, and rejects bad options', () => {
    expect(banditWeights([])).toEqual([]);
    expect(banditWeights([{ n: 10, x: 1 }])).toEqual([1]);
    expect(() => banditWeights(arms, { minShare: 0.5 })).toThrow(RangeError);
    expect(() => banditWeights(arms, { draws: 0 })).toThrow(RangeError);
    expect(() => banditWeights([{ n: 1, x: 2 }])).toThrow(RangeError);
  });
});
