/**
 * @module
 * The binomial bounds against scipy 1.17.1: every literal below comes from the python call quoted next
 * to it.
 */

import { describe, expect, it } from 'vitest';
import {
  binomialCdf,
  binomialSf,
  clopperPearsonLower,
  clopperPearsonUpper,
  wilsonBounds,
} from './binomial-bounds.ts';

const PER_LOOK = 0.01 / 1440; // the guardrails' default level per look

// [k, n, alpha, exact lower, exact upper, wilson lower, wilson upper]. Clopper–Pearson is the beta quantile
// (from scipy.stats import beta, binomtest):
//   lower = beta.ppf(alpha, k, n - k + 1), upper = beta.isf(alpha, k + 1, n - k)
// binomtest(k, n, alternative='greater'|'less').proportion_ci(confidence_level=1 - alpha, method='exact')
// agrees to ~1e-11 relative (its root finder stops there; 7e-9 at k=1, n=600, where the closed form
// 1 - (1 - alpha)^(1/n) sides with beta.ppf); Wilson is binomtest's method='wilson'.
const CASES: [number, number, number, number, number, number, number][] = [
  [3, 200, 0.01, 0.0021888032578203463, 0.049348311348674845, 0.004271704955211009, 0.05128444705177364],
  [0, 500, 0.01, 0, 0.009168055107232424, 0, 0.01070788893313749],
  [12, 1000, 0.01, 0.0054433782886889395, 0.022697467872606913, 0.0062173853845305365, 0.023036191775204613],
  [12, 1000, PER_LOOK, 0.0023627444260453582, 0.03453324505930797, 0.003679542340780398, 0.03840995553289233],
  [150, 6000, PER_LOOK, 0.017168612781683683, 0.0349008487207834, 0.01761913302096546, 0.03536150464529463],
  [7, 7, 0.05, 0.6518363448688391, 1, 0.7212373045474579, 1],
  [40, 100, 0.05, 0.3175260152364995, 0.4870241797461056, 0.3230780505909665, 0.48219049356566834],
  [1, 600, PER_LOOK, 1.1574114195037272e-8, 0.024102722831307318, 7.999428152203475e-5, 0.03366513195179022],
];

describe('Clopper–Pearson and Wilson one-sided bounds', () => {
  it.each(CASES)('k=%i n=%i alpha=%f match scipy', (k, n, alpha, exactLo, exactHi, wilsonLo, wilsonHi) => {
    const rel = (expected: number) => Math.abs(expected) * 1e-12;
    expect(Math.abs(clopperPearsonLower(k, n, alpha) - exactLo)).toBeLessThanOrEqual(rel(exactLo));
    expect(Math.abs(clopperPearsonUpper(k, n, alpha) - exactHi)).toBeLessThanOrEqual(rel(exactHi));
    const [lo, hi] = wilsonBounds(k, n, alpha);
    expect(Math.abs(lo - wilsonLo)).toBeLessThanOrEqual(rel(wilsonLo));
    expect(Math.abs(hi - wilsonHi)).toBeLessThanOrEqual(rel(wilsonHi));
  });

  it('knows nothing from no trials', () => {
    expect(clopperPearsonUpper(0, 0, 0.01)).toBe(1);
    expect(clopperPearsonLower(0, 0, 0.01)).toBe(0);
    expect(wilsonBounds(0, 0, 0.01)).toEqual([0, 1]);
  });

  it('rejects counts that cannot be counts', () => {
    expect(() => clopperPearsonUpper(5, 4, 0.01)).toThrow(RangeError);
    expect(() => clopperPearsonUpper(1.5, 4, 0.01)).toThrow(RangeError);
    expect(() => clopperPearsonUpper(1, 4, 0)).toThrow(RangeError);
  });
});

describe('binomial tails', () => {
  it('match scipy, including the small tails the guardrails compare', () => {
    // from scipy.stats import binom
    const cases: [number, number][] = [
      [binomialCdf(3, 200, 0.04), 0.039529337897988334], // binom.cdf(3, 200, 0.04)
      [binomialSf(12, 1000, 0.005), 0.005330011206256366], // binom.sf(11, 1000, 0.005)
      [binomialCdf(150, 6000, 0.03), 0.011189343992009186], // binom.cdf(150, 6000, 0.03)
      [binomialCdf(9, 1000, 0.03), 5.660069926834239e-6], // binom.cdf(9, 1000, 0.03)
      [binomialSf(26, 100, 0.1), 4.0998837116850915e-6], // binom.sf(25, 100, 0.1)
    ];
    for (const [actual, expected] of cases)
      expect(Math.abs(actual - expected)).toBeLessThan(expected * 1e-10);
  });

  it('is the duality the guardrails rely on: the upper bound is below t exactly when P(X <= k | t) < alpha', () => {
    for (const [k, n, t] of [
      [9, 1000, 0.03],
      [10, 1000, 0.03],
      [0, 600, 0.02],
      [3, 1000, 0.02],
      [4, 1000, 0.02],
    ] as const) {
      expect(clopperPearsonUpper(k, n, PER_LOOK) < t).toBe(binomialCdf(k, n, t) < PER_LOOK);
    }
  });
});
