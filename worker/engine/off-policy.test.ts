/**
 * @module
 * Tests of the off-policy estimators. Small examples are checked against values computed with numpy/scipy
 * (the call beside each); the statistical properties (interval coverage, unbiasedness, the variance of DR
 * against IPS) on logs drawn from a known logging policy and known reward rates, with fixed seeds.
 */

import { describe, expect, it } from 'vitest';
import { mulberry32 } from './bandit.ts';
import { doublyRobust, type ModeledDecision, offPolicyValue } from './off-policy.ts';

// p = [.5, .25, .5, .2, .8], q = [1, 0, 1, .5, .25], r = [1, 1, 0, 1, 1]
const SMALL = [
  { p: 0.5, q: 1, r: 1 },
  { p: 0.25, q: 0, r: 1 },
  { p: 0.5, q: 1, r: 0 },
  { p: 0.2, q: 0.5, r: 1 },
  { p: 0.8, q: 0.25, r: 1 },
];

describe('offPolicyValue on a hand-computed example', () => {
  it('matches numpy', () => {
    const v = offPolicyValue(SMALL);
    // w = q/p; t = w*r; t.mean(), t.sum()/w.sum()
    expect(v.ips).toBeCloseTo(0.9625, 12);
    expect(v.snips).toBeCloseTo(0.7064220183486238, 12);
    // ips ± scipy.stats.norm.ppf(0.975) * t.std(ddof=1) / sqrt(5)
    expect(v.ci[0]).toBeCloseTo(-0.08526758090785236, 10);
    expect(v.ci[1]).toBeCloseTo(2.0102675809078523, 10);
    // snips ± norm.ppf(0.975) * sqrt((w**2 * (r - snips)**2).sum()) / w.sum()
    expect(v.snipsCi[0]).toBeCloseTo(0.21750169038495765, 10);
    expect(v.snipsCi[1]).toBeCloseTo(1.19534234631229, 10);
    // w.sum()**2 / (w**2).sum()
    expect(v.ess).toBeCloseTo(3.2346855431527364, 10);
    expect(v.n).toBe(5);
  });

  it('gives the logged mean when the candidate is the logging policy', () => {
    const rows = [0, 1, 1, 0, 1].map((r) => ({ p: 0.4, q: 0.4, r }));
    const v = offPolicyValue(rows);
    expect(v.ips).toBeCloseTo(0.6, 12);
    expect(v.snips).toBeCloseTo(0.6, 12);
    expect(v.ess).toBeCloseTo(5, 12);
  });

  it('degrades to zeros and the widest intervals without data', () => {
    expect(offPolicyValue([])).toEqual({
      ips: 0,
      snips: 0,
      ci: [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
      snipsCi: [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
      n: 0,
      ess: 0,
    });
    const none = offPolicyValue([
      { p: 0.5, q: 0, r: 1 },
      { p: 0.5, q: 0, r: 0 },
    ]);
    expect(none.snips).toBe(0);
    expect(none.snipsCi[1]).toBe(Number.POSITIVE_INFINITY);
  });

  it('rejects impossible probabilities and alpha', () => {
    expect(() => offPolicyValue([{ p: 0, q: 1, r: 1 }])).toThrow(/p must be in \(0, 1\]/);
    expect(() => offPolicyValue([{ p: 1.2, q: 1, r: 1 }])).toThrow(RangeError);
    expect(() => offPolicyValue([{ p: 0.5, q: -0.1, r: 1 }])).toThrow(/q must be in \[0, 1\]/);
    expect(() => offPolicyValue([{ p: 0.5, q: 0.5, r: Number.NaN }])).toThrow(/r must be finite/);
    expect(() => offPolicyValue(SMALL, 1)).toThrow(/alpha/);
  });
});

describe('doublyRobust on a hand-computed example', () => {
  it('matches numpy', () => {
    const rhat = [0.6, 0.2, 0.3, 0.5, 0.4];
    const vhat = [0.55, 0.45, 0.5, 0.35, 0.3];
    const rows = SMALL.map((row, i) => ({ ...row, rhat: rhat[i] as number, vhat: vhat[i] as number }));
    const v = doublyRobust(rows);
    // d = vhat + w*(r - rhat); d.mean() ± norm.ppf(0.975) * d.std(ddof=1) / sqrt(5)
    expect(v.dr).toBeCloseTo(0.7575, 12);
    expect(v.ci[0]).toBeCloseTo(0.14336709187727537, 10);
    expect(v.ci[1]).toBeCloseTo(1.3716329081227248, 10);
    expect(() => doublyRobust([{ p: 0.5, q: 1, r: 1, rhat: Number.NaN, vhat: 0 }])).toThrow(/rhat/);
  });
});

// The hidden truth: three contexts, three arms, a logging policy that explores and a candidate policy.
const CONTEXTS = [0.5, 0.3, 0.2];
const RATES = [
  [0.1, 0.2, 0.05],
  [0.3, 0.1, 0.15],
  [0.05, 0.1, 0.25],
];
const LOGGING = [
  [0.6, 0.2, 0.2],
  [0.3, 0.4, 0.3],
  [0.2, 0.5, 0.3],
];
const CANDIDATE = [
  [0.1, 0.8, 0.1],
  [0.8, 0.1, 0.1],
  [0, 0.2, 0.8],
];
const TRUE_VALUE = CONTEXTS.reduce(
  (v, pc, c) =>
    v + pc * (CANDIDATE[c] as number[]).reduce((s, q, a) => s + q * ((RATES[c] as number[])[a] as number), 0),
  0,
);

/** Σ_c π_c Σ_a f(c, a), over the hidden truth. */
function overTruth(f: (c: number, a: number, q: number, l: number, mu: number) => number): number {
  return CONTEXTS.reduce(
    (v, pc, c) =>
      v +
      pc *
        (CANDIDATE[c] as number[]).reduce(
          (s, q, a) =>
            s + f(c, a, q, (LOGGING[c] as number[])[a] as number, (RATES[c] as number[])[a] as number),
          0,
        ),
    0,
  );
}
// Per-decision variances: IPS's term w·r has E[(w r)²] = Σ π Σ_a q²/l · μ; DR's term with the true model is
// V(c) + w (r − μ), whose variance is Var_c V(c) + E[w² μ (1 − μ)].
const IPS_ROW_VARIANCE = overTruth((_c, _a, q, l, mu) => ((q * q) / l) * mu) - TRUE_VALUE ** 2;
const contextValue = (c: number) =>
  (CANDIDATE[c] as number[]).reduce((s, q, a) => s + q * ((RATES[c] as number[])[a] as number), 0);
const DR_ROW_VARIANCE =
  CONTEXTS.reduce((v, pc, c) => v + pc * contextValue(c) ** 2, 0) -
  TRUE_VALUE ** 2 +
  overTruth((_c, _a, q, l, mu) => ((q * q) / l) * mu * (1 - mu));

function pick(weights: readonly number[], u: number): number {
  let acc = 0;
  for (let i = 0; i < weights.length - 1; i++) {
    acc += weights[i] as number;
    if (u < acc) return i;
  }
  return weights.length - 1;
}

/** One log of `n` decisions; `model(c, a)` is the reward model handed to DR. */
function drawLog(
  n: number,
  random: () => number,
  model: (c: number, a: number) => number,
): ModeledDecision[] {
  return Array.from({ length: n }, () => {
    const c = pick(CONTEXTS, random());
    const logging = LOGGING[c] as number[];
    const a = pick(logging, random());
    const r = random() < ((RATES[c] as number[])[a] as number) ? 1 : 0;
    const candidate = CANDIDATE[c] as number[];
    const vhat = candidate.reduce((s, q, b) => s + q * model(c, b), 0);
    return { p: logging[a] as number, q: candidate[a] as number, r, rhat: model(c, a), vhat };
  });
}

const REPS = 1000;
const N = 1000;
const truth = (c: number, a: number) => (RATES[c] as number[])[a] as number;

/** Estimates of REPS independent logs. */
function replicate(model: (c: number, a: number) => number, seed: number) {
  const random = mulberry32(seed);
  return Array.from({ length: REPS }, () => {
    const log = drawLog(N, random, model);
    return { opv: offPolicyValue(log), dr: doublyRobust(log) };
  });
}

const covered = (ci: [number, number]) => ci[0] <= TRUE_VALUE && TRUE_VALUE <= ci[1];
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const variance = (xs: readonly number[]) => {
  const m = mean(xs);
  return xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1);
};

// Coverage of a 95 % interval over 1000 replications has standard error sqrt(.95 · .05 / 1000) ≈ 0.0069;
// [0.93, 0.97] is about ±2.9 standard errors.
describe('on logs drawn from a known logging policy', () => {
  const good = replicate(truth, 20_261);
  const wrong = replicate(() => 0.5, 7);

  it('IPS is unbiased and its interval covers the true value at about 95 %', () => {
    const ips = good.map((g) => g.opv.ips);
    expect(Math.abs(mean(ips) - TRUE_VALUE)).toBeLessThan(4 * Math.sqrt(variance(ips) / REPS));
    const rate = mean(good.map((g) => (covered(g.opv.ci) ? 1 : 0)));
    expect(rate).toBeGreaterThan(0.93);
    expect(rate).toBeLessThan(0.97);
  });

  it('SNIPS is close to unbiased, with less variance than IPS, and its interval covers at about 95 %', () => {
    const snips = good.map((g) => g.opv.snips);
    expect(Math.abs(mean(snips) - TRUE_VALUE)).toBeLessThan(4 * Math.sqrt(variance(snips) / REPS));
    expect(variance(snips)).toBeLessThan(variance(good.map((g) => g.opv.ips)));
    const rate = mean(good.map((g) => (covered(g.opv.snipsCi) ? 1 : 0)));
    expect(rate).toBeGreaterThan(0.93);
    expect(rate).toBeLessThan(0.97);
  });

  it('DR with a good model has the lower variance theory says, and covers at about 95 %', () => {
    const dr = good.map((g) => g.dr.dr);
    const ips = good.map((g) => g.opv.ips);
    expect(Math.abs(mean(dr) - TRUE_VALUE)).toBeLessThan(4 * Math.sqrt(variance(dr) / REPS));
    // A sample variance of 1000 replications has a relative standard error of sqrt(2 / 999) ≈ 4.5 %.
    expect(variance(ips) / (IPS_ROW_VARIANCE / N)).toBeGreaterThan(0.85);
    expect(variance(ips) / (IPS_ROW_VARIANCE / N)).toBeLessThan(1.15);
    expect(variance(dr) / (DR_ROW_VARIANCE / N)).toBeGreaterThan(0.85);
    expect(variance(dr) / (DR_ROW_VARIANCE / N)).toBeLessThan(1.15);
    expect(DR_ROW_VARIANCE).toBeLessThan(0.85 * IPS_ROW_VARIANCE);
    expect(variance(dr)).toBeLessThan(variance(ips));
    const rate = mean(good.map((g) => (covered(g.dr.ci) ? 1 : 0)));
    expect(rate).toBeGreaterThan(0.93);
    expect(rate).toBeLessThan(0.97);
  });

  it('DR with a wrong model stays unbiased (the propensities are right) and still covers', () => {
    const dr = wrong.map((g) => g.dr.dr);
    expect(Math.abs(mean(dr) - TRUE_VALUE)).toBeLessThan(4 * Math.sqrt(variance(dr) / REPS));
    const rate = mean(wrong.map((g) => (covered(g.dr.ci) ? 1 : 0)));
    expect(rate).toBeGreaterThan(0.93);
    expect(rate).toBeLessThan(0.97);
  });
});
