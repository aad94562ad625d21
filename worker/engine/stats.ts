/**
 * @module
 * Experiment statistics: the fixed-horizon two-proportion test, Bayesian chance to beat control and
 * expected loss, Welch's t-test for revenue, sample-ratio mismatch, multiple-comparison corrections, an
 * always-valid (peeking-safe) sequential p-value and the verdict built from them. Pure and deterministic.
 *
 * Degenerate inputs never produce NaN: where a quantity is undefined the functions return a documented
 * neutral value (p-value 1, lift 0, the widest interval). Counts that cannot be counts throw a RangeError.
 */

import {
  normalQuantile,
  normalSf,
  regularizedGammaQ,
  studentTQuantile,
  studentTTwoSided,
} from './special-functions';

/** Visitors `n` and converters `x` of one arm (integers, 0 <= x <= n). */
export interface Counts {
  n: number;
  x: number;
}

/** Sufficient statistics of a per-visitor metric (e.g. revenue) in one arm. */
export interface MeanStats {
  n: number;
  sum: number;
  sumSquares: number;
}

export interface ProportionTestResult {
  /** Treatment rate / control rate - 1. */
  lift: number;
  /** Two-sided 1 - alpha interval of `lift`. */
  ci: [number, number];
  /** Two-sided p-value of the pooled two-proportion z-test. */
  pValue: number;
}

export interface WelchTestResult {
  /** Treatment mean - control mean. */
  meanDiff: number;
  /** Welch (Satterthwaite) 1 - alpha interval of `meanDiff`, Student t quantile. */
  meanDiffCi: [number, number];
  /** (treatment mean - control mean) / |control mean|. */
  lift: number;
  /** Delta-method 1 - alpha interval of `lift`. */
  ci: [number, number];
  /** Two-sided p-value of Welch's t-test. */
  pValue: number;
  /** Welch-Satterthwaite degrees of freedom. */
  df: number;
}

export type Verdict = 'insufficient-data' | 'winner' | 'loser' | 'inconclusive';

const UNBOUNDED_LIFT: [number, number] = [-1, Number.POSITIVE_INFINITY];

function assertCounts(label: string, c: Counts): void {
  if (!(Number.isInteger(c.n) && Number.isInteger(c.x) && c.x >= 0 && c.x <= c.n)) {
    throw new RangeError(`${label}: expected integer counts with 0 <= x <= n, got n=${c.n}, x=${c.x}`);
  }
}

function assertAlpha(alpha: number): void {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
}

/**
 * Two-proportion test of treatment against control.
 *
 * - `lift` = pt / pc - 1.
 * - `ci`: lift ± z(1 - alpha/2) · se, with the delta-method variance of the ratio from unpooled variances,
 *   (pt/pc)² (vt/pt² + vc/pc²) with v = p(1-p)/n, evaluated as (vt + (pt/pc)² vc) / pc² so that pt = 0 is
 *   fine. The lower end is clamped at -1: a rate cannot fall below zero.
 * - `pValue`: two-sided pooled z-test, z = (pt - pc) / sqrt(p(1-p)(1/nc + 1/nt)), p the pooled rate.
 *
 * Degenerate inputs:
 * - an arm with n = 0, or no conversions in either arm: `{ lift: 0, ci: [-1, Infinity], pValue: 1 }`;
 * - no conversions in control only: `lift` is `Infinity`, `ci` is `[-1, Infinity]`, `pValue` from the
 *   z-test (still defined);
 * - every visitor converted in both arms: `{ lift: 0, ci: [0, 0], pValue: 1 }`.
 *
 * @throws RangeError when counts are not integers with 0 <= x <= n, or alpha is outside (0, 1).
 * @example proportionTest({ n: 1000, x: 100 }, { n: 1000, x: 130 }) // lift 0.3, pValue ≈ 0.035
 */
export function proportionTest(control: Counts, treatment: Counts, alpha = 0.05): ProportionTestResult {
  assertCounts('control', control);
  assertCounts('treatment', treatment);
  assertAlpha(alpha);
  if (control.n === 0 || treatment.n === 0 || control.x + treatment.x === 0) {
    return { lift: 0, ci: [...UNBOUNDED_LIFT], pValue: 1 };
  }
  const pc = control.x / control.n;
  const pt = treatment.x / treatment.n;
  const pooled = (control.x + treatment.x) / (control.n + treatment.n);
  const se0 = Math.sqrt(pooled * (1 - pooled) * (1 / control.n + 1 / treatment.n));
  // se0 = 0 only when every visitor converted, so pt = pc.
  const pValue = se0 === 0 ? 1 : twoSidedNormal((pt - pc) / se0);
  if (pc === 0) return { lift: Number.POSITIVE_INFINITY, ci: [...UNBOUNDED_LIFT], pValue };
  const ratio = pt / pc;
  const vc = (pc * (1 - pc)) / control.n;
  const vt = (pt * (1 - pt)) / treatment.n;
  const se = Math.sqrt(vt + ratio * ratio * vc) / pc;
  const z = normalQuantile(1 - alpha / 2);
  const lift = ratio - 1;
  return { lift, ci: [Math.max(-1, lift - z * se), lift + z * se], pValue };
}

function twoSidedNormal(z: number): number {
  return Math.min(1, 2 * normalSf(Math.abs(z)));
}

/**
 * Splits the beta-binomial distribution BB(size, alpha, beta) at `cut`: [P(K <= cut), P(K > cut)].
 *
 * With alpha, beta >= 1 the pmf is log-concave (the ratio P(k+1)/P(k) decreases in k), so summing outward
 * from the mode with that ratio can stop as soon as a geometric bound shows the rest is below 1e-17 of what
 * has been summed. Normalizing by the summed total makes the result independent of the absolute scale, so
 * it is exact up to rounding (~1e-13 relative) for any size and needs O(standard deviation) terms.
 */
function betaBinomialSplit(size: number, alpha: number, beta: number, cut: number): [number, number] {
  const ratio = (k: number) => ((size - k) * (k + alpha)) / ((k + 1) * (size - k - 1 + beta));
  // ratio(k) >= 1  <=>  k (alpha + beta - 2) <= size (alpha - 1) + 1 - beta: the mode is the first k past it.
  const d = alpha + beta - 2;
  const r = size * (alpha - 1) + 1 - beta;
  const mode = d === 0 || r < 0 ? 0 : Math.min(size, Math.floor(r / d) + 1);
  let below = 0;
  let above = 0;
  const add = (k: number, term: number) => {
    if (k <= cut) below += term;
    else above += term;
  };
  add(mode, 1);
  let term = 1;
  for (let k = mode; k < size; k++) {
    const q = ratio(k);
    if (q < 1 && (term * q) / (1 - q) <= 1e-17 * (below + above)) break;
    term *= q;
    add(k + 1, term);
  }
  term = 1;
  for (let k = mode; k > 0; k--) {
    const q = 1 / ratio(k - 1);
    if (q < 1 && (term * q) / (1 - q) <= 1e-17 * (below + above)) break;
    term *= q;
    add(k - 1, term);
  }
  const total = below + above;
  return [below / total, above / total];
}

/**
 * [P(X1 > X2), P(X1 < X2)] for independent X1 ~ Beta(a1, b1), X2 ~ Beta(a2, b2), integer parameters >= 1.
 *
 * For integer parameters P(X1 > x) = P(Binomial(a1 + b1 - 1, x) <= a1 - 1), so averaging over X2 gives a
 * beta-binomial tail: P(X1 > X2) = P(K <= a1 - 1), K ~ BB(a1 + b1 - 1, a2, b2). This is Evan Miller's closed
 * form ("Formulas for Bayesian A/B testing") summed as a probability distribution, which needs no
 * log-beta of huge arguments. The roles are swapped when that makes the distribution smaller.
 */
function betaGreater(a1: number, b1: number, a2: number, b2: number): [number, number] {
  if (a1 + b1 <= a2 + b2) return betaBinomialSplit(a1 + b1 - 1, a2, b2, a1 - 1);
  const [x2Greater, x1Greater] = betaBinomialSplit(a2 + b2 - 1, a1, b1, a2 - 1);
  return [x1Greater, x2Greater];
}

/**
 * Chance to beat control: P(pT > pC) for the posteriors pC ~ Beta(1 + xc, 1 + nc - xc) and
 * pT ~ Beta(1 + xt, 1 + nt - xt) (uniform Beta(1, 1) priors).
 *
 * Exact for every sample size (no normal approximation): Evan Miller's closed form, evaluated as a
 * beta-binomial tail summed outward from its mode (see `betaGreater`). Error ~1e-13; cost O(sqrt(n)) terms
 * for balanced arms, at most min(nc, nt) + 2.
 *
 * @throws RangeError when counts are not integers with 0 <= x <= n.
 * @example chanceToBeatControl({ n: 1000, x: 100 }, { n: 1000, x: 130 }) // ≈ 0.982
 */
export function chanceToBeatControl(control: Counts, treatment: Counts): number {
  assertCounts('control', control);
  assertCounts('treatment', treatment);
  return betaGreater(
    1 + treatment.x,
    1 + treatment.n - treatment.x,
    1 + control.x,
    1 + control.n - control.x,
  )[0];
}

/**
 * Bayesian expected loss of shipping the treatment: E[max(pC - pT, 0)] under the same Beta posteriors as
 * {@link chanceToBeatControl}, in conversion-rate units (0.001 = 0.1 percentage point). Swap the arguments
 * for the expected loss of keeping the control.
 *
 * Closed form, no integration or sampling: because p · Beta(a, b) ∝ Beta(a + 1, b),
 * E[max(pC - pT, 0)] = E[pC] · P(Beta(aC + 1, bC) > pT) - E[pT] · P(pC > Beta(aT + 1, bT)),
 * each probability computed exactly as in `betaGreater`. Absolute error ~1e-14; clamped at 0.
 *
 * @throws RangeError when counts are not integers with 0 <= x <= n.
 */
export function expectedLoss(control: Counts, treatment: Counts): number {
  assertCounts('control', control);
  assertCounts('treatment', treatment);
  const ac = 1 + control.x;
  const bc = 1 + control.n - control.x;
  const at = 1 + treatment.x;
  const bt = 1 + treatment.n - treatment.x;
  const meanC = ac / (ac + bc);
  const meanT = at / (at + bt);
  const loss = meanC * betaGreater(ac + 1, bc, at, bt)[0] - meanT * betaGreater(ac, bc, at + 1, bt)[0];
  return Math.max(0, loss);
}

function assertMeanStats(label: string, s: MeanStats): void {
  if (!(Number.isInteger(s.n) && s.n >= 0 && Number.isFinite(s.sum) && s.sumSquares >= 0)) {
    throw new RangeError(`${label}: expected integer n >= 0, finite sum, sumSquares >= 0`);
  }
}

function meanAndVariance(s: MeanStats): [number, number] {
  const mean = s.sum / s.n;
  // Guard the one-pass formula's cancellation from going negative.
  const variance = Math.max(0, (s.sumSquares - s.sum * mean) / (s.n - 1));
  return [mean, variance];
}

/**
 * Welch's unequal-variance t-test of a per-visitor metric (revenue per visitor) from sufficient statistics
 * (n, Σv, Σv²) per arm, as `scipy.stats.ttest_ind(equal_var=False)`.
 *
 * - `meanDiff` with a Student t interval on the Welch-Satterthwaite degrees of freedom;
 * - `lift` = meanDiff / |control mean| (= mt/mc - 1 for positive means), with a delta-method interval,
 *   se = sqrt(se_t² + (mt/mc)² se_c²) / |mc|, normal quantile (as in {@link proportionTest});
 * - `pValue` two-sided.
 *
 * Degenerate inputs: an arm with n < 2 (no variance estimate) gives
 * `{ meanDiff: (difference of the available means, else 0), meanDiffCi: [-Infinity, Infinity], lift: 0,
 * ci: [-Infinity, Infinity], pValue: 1, df: 0 }`. Zero variance in both arms gives a zero-width interval and
 * `pValue` 0 (means differ) or 1 (they do not). A control mean of 0 gives `lift` ±Infinity (or 0 when the
 * means are equal) with `ci` [-Infinity, Infinity].
 *
 * @throws RangeError on malformed statistics or alpha outside (0, 1).
 */
export function welchTest(control: MeanStats, treatment: MeanStats, alpha = 0.05): WelchTestResult {
  assertMeanStats('control', control);
  assertMeanStats('treatment', treatment);
  assertAlpha(alpha);
  const unbounded: [number, number] = [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
  if (control.n < 2 || treatment.n < 2) {
    const meanDiff =
      control.n > 0 && treatment.n > 0 ? treatment.sum / treatment.n - control.sum / control.n : 0;
    return { meanDiff, meanDiffCi: [...unbounded], lift: 0, ci: [...unbounded], pValue: 1, df: 0 };
  }
  const [mc, varC] = meanAndVariance(control);
  const [mt, varT] = meanAndVariance(treatment);
  const meanDiff = mt - mc;
  const seC2 = varC / control.n;
  const seT2 = varT / treatment.n;
  const se = Math.sqrt(seC2 + seT2);
  let df: number;
  let pValue: number;
  let meanDiffCi: [number, number];
  if (se === 0) {
    df = control.n + treatment.n - 2;
    pValue = meanDiff === 0 ? 1 : 0;
    meanDiffCi = [meanDiff, meanDiff];
  } else {
    df = (seC2 + seT2) ** 2 / (seC2 ** 2 / (control.n - 1) + seT2 ** 2 / (treatment.n - 1));
    pValue = studentTTwoSided(meanDiff / se, df);
    const t = studentTQuantile(1 - alpha / 2, df);
    meanDiffCi = [meanDiff - t * se, meanDiff + t * se];
  }
  if (mc === 0) {
    const lift = meanDiff === 0 ? 0 : meanDiff > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    return { meanDiff, meanDiffCi, lift, ci: [...unbounded], pValue, df };
  }
  const ratio = mt / mc;
  const lift = meanDiff / Math.abs(mc);
  const seLift = Math.sqrt(seT2 + ratio * ratio * seC2) / Math.abs(mc);
  const z = normalQuantile(1 - alpha / 2);
  return { meanDiff, meanDiffCi, lift, ci: [lift - z * seLift, lift + z * seLift], pValue, df };
}

/**
 * Sample-ratio mismatch: the p-value of Pearson's chi-square goodness-of-fit test of the observed visitors
 * per arm against the configured weights (normalized here), df = arms with positive weight - 1. Small values
 * (commonly < 0.001) mean the split is broken and the experiment's results should not be trusted.
 *
 * Returns 1 with no visitors or fewer than two weighted arms, and 0 when visitors landed in an arm of
 * weight 0 (impossible under the configured split).
 *
 * @throws RangeError on mismatched lengths, negative or non-finite values, or all-zero weights.
 * @example srmPValue([5000, 5200], [0.5, 0.5]) // ≈ 0.048
 */
export function srmPValue(observed: readonly number[], weights: readonly number[]): number {
  if (observed.length !== weights.length) {
    throw new RangeError(`srmPValue: ${observed.length} observations but ${weights.length} weights`);
  }
  if (
    !observed.every((o) => Number.isFinite(o) && o >= 0) ||
    !weights.every((w) => Number.isFinite(w) && w >= 0)
  ) {
    throw new RangeError('srmPValue: observations and weights must be finite and >= 0');
  }
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  if (totalWeight <= 0) throw new RangeError('srmPValue: weights sum to 0');
  const total = observed.reduce((a, b) => a + b, 0);
  if (total === 0) return 1;
  let chi2 = 0;
  let arms = 0;
  for (let i = 0; i < observed.length; i++) {
    const o = observed[i]!;
    const w = weights[i]!;
    if (w === 0) {
      if (o > 0) return 0;
      continue;
    }
    const expected = (total * w) / totalWeight;
    chi2 += ((o - expected) * (o - expected)) / expected;
    arms++;
  }
  if (arms < 2) return 1;
  return regularizedGammaQ((arms - 1) / 2, chi2 / 2);
}

function assertPValues(pValues: readonly number[]): void {
  if (!pValues.every((p) => p >= 0 && p <= 1)) throw new RangeError('p-values must be in [0, 1]');
}

function ascendingOrder(values: readonly number[]): number[] {
  return values.map((_, i) => i).sort((a, b) => values[a]! - values[b]! || a - b);
}

/**
 * Holm's step-down adjustment (family-wise error rate), adjusted p-values in the input order:
 * the i-th smallest (1-based) becomes max over j <= i of min(1, (m - j + 1) p(j)).
 */
export function holm(pValues: readonly number[]): number[] {
  assertPValues(pValues);
  const m = pValues.length;
  const adjusted = new Array<number>(m).fill(1);
  let running = 0;
  ascendingOrder(pValues).forEach((index, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * pValues[index]!));
    adjusted[index] = running;
  });
  return adjusted;
}

/**
 * Benjamini-Hochberg step-up adjustment (false discovery rate), adjusted p-values in the input order:
 * the i-th smallest (1-based) becomes min over j >= i of min(1, m p(j) / j).
 */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  assertPValues(pValues);
  const m = pValues.length;
  const adjusted = new Array<number>(m).fill(1);
  const order = ascendingOrder(pValues);
  let running = 1;
  for (let rank = m - 1; rank >= 0; rank--) {
    const index = order[rank]!;
    running = Math.min(running, (m * pValues[index]!) / (rank + 1));
    adjusted[index] = running;
  }
  return adjusted;
}

/** Whether every arm has at least `minPerArm` visitors (false for no arms): the gate before any verdict. */
export function minSampleReached(arms: readonly { n: number }[], minPerArm: number): boolean {
  return arms.length > 0 && arms.every((arm) => arm.n >= minPerArm);
}

export interface SequentialOptions {
  /** Standard deviation of the normal mixing distribution over the true difference of rates (pt - pc). */
  tau: number;
  /** The p-value reported at the previous look; the always-valid p-value is the running minimum. */
  previous?: number;
}

/**
 * Always-valid p-value for the difference of two conversion rates, safe to look at after every visitor:
 * the mixture sequential probability ratio test (mSPRT) of Johari, Pekelis and Walsh, "Always Valid
 * Inference: Continuous Monitoring of A/B Tests" (2017, arXiv:1512.04922; the basis of Optimizely's Stats
 * Engine), with the normal approximation and a N(0, tau²) mixture over the difference θ = pt - pc:
 *
 *   Λ = sqrt(V / (V + tau²)) · exp(tau² θ̂² / (2 V (V + tau²))),   p = min(previous, 1 / Λ, 1)
 *
 * where θ̂ = pt - pc and V = p̄(1 - p̄)(1/nc + 1/nt) is its variance under the null (p̄ the pooled rate, as in
 * the fixed-horizon z-test). With equal arms, V = 2σ²/n and this is the paper's two-stream statistic.
 * Pass the previous look's value as `previous` to keep the running minimum the guarantee is about;
 * P(p ever falls below alpha | no difference) <= alpha. `tau` should be the size of the differences you
 * expect (e.g. 0.1 × the base rate): smaller tau detects small effects sooner and large ones later.
 *
 * Returns `previous` (default 1) when an arm is empty or nobody / everybody converted (V = 0).
 *
 * @throws RangeError when counts are invalid or tau is not positive.
 */
export function sequentialPValue(control: Counts, treatment: Counts, options: SequentialOptions): number {
  assertCounts('control', control);
  assertCounts('treatment', treatment);
  const { tau, previous = 1 } = options;
  if (!(tau > 0 && Number.isFinite(tau)))
    throw new RangeError(`sequentialPValue: tau must be > 0, got ${tau}`);
  if (!(previous >= 0 && previous <= 1)) throw new RangeError(`sequentialPValue: previous must be in [0, 1]`);
  if (control.n === 0 || treatment.n === 0) return previous;
  const pooled = (control.x + treatment.x) / (control.n + treatment.n);
  const v = pooled * (1 - pooled) * (1 / control.n + 1 / treatment.n);
  if (v === 0) return previous;
  const theta = treatment.x / treatment.n - control.x / control.n;
  const tau2 = tau * tau;
  const logLambda = 0.5 * Math.log(v / (v + tau2)) + (tau2 * theta * theta) / (2 * v * (v + tau2));
  return Math.min(previous, 1, Math.exp(-logLambda));
}

export interface VerdictOptions {
  /** Significance level (default 0.05). */
  alpha?: number;
  /** Visitors needed in each arm before any other verdict than 'insufficient-data' (default 100). */
  minPerArm?: number;
  /**
   * A p-value to use instead of computing one, e.g. the variant's entry of {@link holm} or
   * {@link benjaminiHochberg} over all variants of the experiment.
   */
  pValue?: number;
  /** Use the always-valid {@link sequentialPValue} (peeking-safe) instead of the fixed-horizon z-test. */
  sequential?: SequentialOptions;
}

/**
 * The verdict for one variant against control: 'insufficient-data' until both arms reach `minPerArm`;
 * then 'winner' / 'loser' when the p-value is below alpha and the treatment rate is above / below the
 * control rate, else 'inconclusive'. Callers should check {@link srmPValue} first: a broken split voids
 * any verdict.
 *
 * @example verdict({ n: 5000, x: 500 }, { n: 5000, x: 600 }) // 'winner'
 */
export function verdict(control: Counts, treatment: Counts, options: VerdictOptions = {}): Verdict {
  const { alpha = 0.05, minPerArm = 100 } = options;
  assertCounts('control', control);
  assertCounts('treatment', treatment);
  assertAlpha(alpha);
  if (!minSampleReached([control, treatment], minPerArm)) return 'insufficient-data';
  const pValue =
    options.pValue ??
    (options.sequential
      ? sequentialPValue(control, treatment, options.sequential)
      : proportionTest(control, treatment, alpha).pValue);
  if (!(pValue < alpha)) return 'inconclusive';
  const pc = control.x / control.n;
  const pt = treatment.x / treatment.n;
  return pt > pc ? 'winner' : pt < pc ? 'loser' : 'inconclusive';
}
