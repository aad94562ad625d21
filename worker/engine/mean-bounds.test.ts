/**
 * @module
 * The mean test against an independent implementation (numpy 2.4.6, scipy 1.17.1; every literal comes
 * from the python quoted beside it), its lemma checked on a grid, and its level computed exactly for the
 * two-point distributions on the range's ends (the hardest case for a bound that only knows the range).
 */

import { describe, expect, it } from 'vitest';
import {
  BETS,
  consistentSums,
  type MeanRange,
  type MeanSide,
  meanBound,
  meanLogEValue,
  meanTestRejects,
  psiE,
} from './mean-bounds.ts';
import { logGamma } from './special-functions.ts';

const PER_LOOK = 0.01 / 1440;
const PAGES: MeanRange = { lower: 1, upper: 20 };
const ENGAGED: MeanRange = { lower: 0, upper: 600 };

// The reference, in python:
//   import numpy as np, math
//   from scipy.special import logsumexp
//   lam = np.array([2**((i-20)/2) / (1 + 2**((i-20)/2)) for i in range(41)])
//   def logE(n, s, q, m, side, L, B):
//       sc = (m - L) if side == 'above' else (B - m)
//       S = ((s - n*m) if side == 'above' else (n*m - s)) / sc
//       V = max(0.0, q - 2*m*s + n*m*m) / sc**2
//       return logsumexp(lam*S - (-np.log1p(-lam) - lam)*V) - math.log(41)
// [n, Σx, Σx², m, side, range, logE(...)]
const CASES: [number, number, number, number, MeanSide, MeanRange, number][] = [
  [600, 1200, 3600, 2.5, 'below', PAGES, 7.936689273422986],
  [600, 1500, 5400, 2.5, 'below', PAGES, -0.7455317997702942],
  [2000, 7000, 40000, 3, 'above', PAGES, 25.275718957720365],
  [1000, 20000, 1.2e6, 40, 'below', ENGAGED, 24.498673776563763],
  [1000, 60000, 9.0e6, 40, 'above', ENGAGED, 27.839939439217037],
  [50, 40, 300, 2, 'below', { lower: 0, upper: 20 }, 0.7009988559952349],
];

describe('the mean test', () => {
  it('bets are 41 fixed values in (0, 1), and ψ(λ) = -ln(1 - λ) - λ', () => {
    expect(BETS).toHaveLength(41);
    expect(BETS[0]).toBeCloseTo(1 / 1025, 15);
    expect(BETS[20]).toBe(0.5);
    expect(BETS[40]).toBeCloseTo(1024 / 1025, 15);
    // -math.log1p(-0.5) - 0.5 = 0.1931471805599453
    expect(psiE(0.5)).toBeCloseTo(0.1931471805599453, 15);
  });

  it('the lemma: exp(λy - ψ(λ)y²) <= 1 + λy for every y >= -1, and not below -1', () => {
    // compared on the log scale (1 + λy > 0 for y >= -1 and λ < 1): the largest excess over the grid
    let worst = Number.NEGATIVE_INFINITY;
    for (const lambda of BETS) {
      for (let i = 0; i <= 6100; i++) {
        const y = -1 + i / 100;
        worst = Math.max(worst, lambda * y - psiE(lambda) * y * y - Math.log1p(lambda * y));
      }
    }
    expect(worst).toBeLessThanOrEqual(1e-12);
    // just outside the range the bet would lose more than it staked: this is why the range is needed
    const lambda = 0.9;
    const y = -1.05;
    expect(lambda * y - psiE(lambda) * y * y).toBeGreaterThan(Math.log1p(lambda * y));
  });

  it.each(CASES)(
    'n=%i Σx=%f Σx²=%f m=%f %s matches the python reference',
    (n, sum, sumSq, m, side, range, ref) => {
      expect(meanLogEValue({ n, sum, sumSq }, m, side, range)).toBeCloseTo(ref, 11);
    },
  );

  it('the bound inverts the test (scipy.optimize.brentq on the reference, xtol 1e-14)', () => {
    // brentq(lambda m: logE(n, s, q, m, side, L, B) - math.log(1440 / 0.01), s / n, t)
    const cases: [number, number, number, number, MeanSide, MeanRange, number][] = [
      [1000, 20000, 1.2e6, 40, 'below', ENGAGED, 31.32473478385124],
      [2000, 7000, 40000, 3, 'above', PAGES, 3.1425380073635623],
      [1000, 60000, 9.0e6, 40, 'above', ENGAGED, 46.49613707254749],
    ];
    for (const [n, sum, sumSq, t, side, range, ref] of cases) {
      const bound = meanBound({ n, sum, sumSq }, side, range, PER_LOOK, t);
      expect(Math.abs(bound - ref)).toBeLessThan(1e-8 * ref);
      // between the mean and the threshold; the test rejects just beyond the bound, not just before it
      const mean = sum / n;
      expect(side === 'below' ? bound > mean && bound < t : bound < mean && bound > t).toBe(true);
      const beyond = side === 'below' ? bound * (1 + 1e-6) : bound * (1 - 1e-6);
      const before = side === 'below' ? bound * (1 - 1e-6) : bound * (1 + 1e-6);
      expect(meanTestRejects({ n, sum, sumSq }, beyond, side, range, PER_LOOK)).toBe(true);
      expect(meanTestRejects({ n, sum, sumSq }, before, side, range, PER_LOOK)).toBe(false);
    }
    // not rejected at the threshold: the threshold comes back
    expect(meanBound({ n: 600, sum: 1500, sumSq: 5400 }, 'below', PAGES, PER_LOOK, 2.5)).toBe(2.5);
  });

  it('the fewest sessions that can reject: all at the range end (python: first n with logE >= ln(1440 / 0.01))', () => {
    const fewest = (t: number, side: MeanSide, range: MeanRange) => {
      const x = side === 'below' ? range.lower : range.upper;
      let n = 1;
      while (!meanTestRejects({ n, sum: n * x, sumSq: n * x * x }, t, side, range, PER_LOOK)) n++;
      return n;
    };
    expect(fewest(2.5, 'below', PAGES)).toBe(204);
    expect(fewest(2, 'below', PAGES)).toBe(289);
    expect(fewest(40, 'below', ENGAGED)).toBe(236);
    expect(fewest(120, 'below', ENGAGED)).toBe(96);
    expect(fewest(3, 'above', PAGES)).toBe(33);
    expect(fewest(60, 'above', ENGAGED)).toBe(33);
  });

  it('never rejects on the near side of the sample mean, nor without sessions', () => {
    const s = { n: 500, sum: 1500, sumSq: 6000 };
    expect(meanTestRejects(s, 2.9, 'below', PAGES, 0.5)).toBe(false);
    expect(meanTestRejects(s, 3.1, 'above', PAGES, 0.5)).toBe(false);
    expect(meanLogEValue({ n: 0, sum: 0, sumSq: 0 }, 2, 'below', PAGES)).toBe(0);
    expect(() => meanLogEValue(s, 20, 'below', PAGES)).toThrow(RangeError);
    expect(() => meanLogEValue(s, 1, 'above', PAGES)).toThrow(RangeError);
  });

  it('sums no values in the range could have are made consistent, not trusted', () => {
    // fewer pages than sessions (a lost row): each session has at least one page
    expect(consistentSums({ n: 10, sum: 5, sumSq: 5 }, PAGES)).toEqual({ n: 10, sum: 10, sumSq: 10 });
    // Σx² beyond what values in [1, 20] with that sum allow: (1 + 20)·30 - 10·20 = 430
    expect(consistentSums({ n: 10, sum: 30, sumSq: 1000 }, PAGES)).toEqual({ n: 10, sum: 30, sumSq: 430 });
    // below Cauchy–Schwarz: 30² / 10 = 90
    expect(consistentSums({ n: 10, sum: 30, sumSq: 50 }, PAGES)).toEqual({ n: 10, sum: 30, sumSq: 90 });
  });
});

/** The exact chance that the test rejects "mean ≥ m" (or "≤ m") when the values are `lower` or `upper`, the mean exactly m. */
function exactLevel(n: number, m: number, side: MeanSide, range: MeanRange, level: number): number {
  const { lower, upper } = range;
  const p = (m - lower) / (upper - lower); // P(upper)
  let total = 0;
  for (let k = 0; k <= n; k++) {
    const sum = (n - k) * lower + k * upper;
    const sumSq = (n - k) * lower * lower + k * upper * upper;
    if (!meanTestRejects({ n, sum, sumSq }, m, side, range, level)) continue;
    total += Math.exp(
      logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1) + k * Math.log(p) + (n - k) * Math.log1p(-p),
    );
  }
  return total;
}

describe('the level, exactly, on the two-point distributions at the threshold', () => {
  const cases: [number, number, MeanSide, MeanRange][] = [
    [2.5, 200, 'below', PAGES],
    [2.5, 2000, 'below', PAGES],
    [1.2, 1000, 'below', PAGES],
    [3, 500, 'above', PAGES],
    [40, 1500, 'below', ENGAGED],
    [40, 300, 'above', ENGAGED],
    [300, 100, 'below', ENGAGED],
  ];
  it.each(cases)('m=%f n=%i %s', (m, n, side, range) => {
    for (const level of [0.05, 0.01, 0.001]) {
      const size = exactLevel(n, m, side, range, level);
      expect(size).toBeLessThanOrEqual(level);
    }
  });
});
