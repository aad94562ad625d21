/**
 * @module off-policy
 * Off-policy evaluation: the value a candidate policy would have had, estimated from decisions logged
 * under another (logging) policy, using the probability with which each logged variant was chosen. This is
 * what lets a team compare "uniform", "current policy" and "best fixed variant per context" on traffic
 * already served, before launching any of them.
 */

import { normalQuantile } from './special-functions.ts';

/** One logged decision. */
export interface LoggedDecision {
  /** Probability with which the logging policy chose the logged variant, in (0, 1]. */
  p: number;
  /** Probability the candidate policy gives the logged variant in the same context, in [0, 1]. */
  q: number;
  /** Observed reward (e.g. 1 converted, 0 not). */
  r: number;
}

/** A logged decision with a reward model's predictions, for the doubly robust estimate. */
export interface ModeledDecision extends LoggedDecision {
  /** The reward model's prediction for the logged variant in this context. */
  rhat: number;
  /** The reward model's value of the candidate policy in this context: Σ_a q(a) · rhat(a). */
  vhat: number;
}

export interface OffPolicyValue {
  /** Inverse propensity scoring, mean(q/p · r). Unbiased. */
  ips: number;
  /** Self-normalized IPS, Σ(q/p · r) / Σ(q/p): slightly biased, usually much lower variance. 0 when Σ q/p = 0. */
  snips: number;
  /** 1 − alpha normal interval of `ips`; the widest when n < 2. */
  ci: [number, number];
  /** Delta-method 1 − alpha normal interval of `snips`; the widest when n < 2 or Σ q/p = 0. */
  snipsCi: [number, number];
  /** Number of logged decisions. */
  n: number;
  /** Kish effective sample size (Σ w)² / Σ w² of the weights w = q/p (0 when every weight is 0). */
  ess: number;
}

export interface DoublyRobustValue {
  /** mean(vhat + q/p · (r − rhat)). */
  dr: number;
  /** 1 − alpha normal interval of `dr`; the widest when n < 2. */
  ci: [number, number];
  n: number;
}

const WIDEST: [number, number] = [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];

function assertAlpha(alpha: number): void {
  if (!(alpha > 0 && alpha < 1))
    throw new RangeError(`offPolicyValue: alpha must be in (0, 1), got ${alpha}`);
}

function assertRow(row: LoggedDecision, i: number): void {
  if (!(row.p > 0 && row.p <= 1))
    throw new RangeError(`offPolicyValue: row ${i}: p must be in (0, 1], got ${row.p}`);
  if (!(row.q >= 0 && row.q <= 1))
    throw new RangeError(`offPolicyValue: row ${i}: q must be in [0, 1], got ${row.q}`);
  if (!Number.isFinite(row.r))
    throw new RangeError(`offPolicyValue: row ${i}: r must be finite, got ${row.r}`);
}

/** Mean and its 1 − alpha normal interval from the sample (n − 1) variance of the terms. */
function meanWithInterval(terms: readonly number[], alpha: number): { mean: number; ci: [number, number] } {
  const n = terms.length;
  const mean = n === 0 ? 0 : terms.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, ci: [...WIDEST] };
  const variance = terms.reduce((a, t) => a + (t - mean) ** 2, 0) / (n - 1);
  const half = normalQuantile(1 - alpha / 2) * Math.sqrt(variance / n);
  return { mean, ci: [mean - half, mean + half] };
}

/**
 * The value of a candidate policy from logged decisions.
 *
 * - `ips` = (1/n) Σ w_i r_i with w_i = q_i / p_i (Horvitz & Thompson 1952), unbiased when every variant
 *   the candidate may choose had p > 0 under logging.
 * - `ci` = ips ± z(1 − alpha/2) · s / √n, s² the sample variance of w_i r_i: a normal (CLT) interval, which
 *   covers at about the nominal rate once n is large relative to the spread of the weights (see `ess`).
 * - `snips` = Σ w_i r_i / Σ w_i (Swaminathan & Joachims 2015), with the delta-method interval
 *   snips ± z · √(Σ w_i² (r_i − snips)²) / Σ w_i.
 *
 * An empty log gives zeros and the widest intervals.
 *
 * @throws RangeError when a p is outside (0, 1], a q outside [0, 1], an r not finite, or alpha outside (0, 1).
 * @example offPolicyValue([{ p: 0.5, q: 1, r: 1 }, { p: 0.5, q: 0, r: 0 }]) // ips 1, snips 1
 */
export function offPolicyValue(rows: readonly LoggedDecision[], alpha = 0.05): OffPolicyValue {
  assertAlpha(alpha);
  rows.forEach(assertRow);
  const n = rows.length;
  const weights = rows.map((row) => row.q / row.p);
  const terms = rows.map((row, i) => (weights[i] as number) * row.r);
  const { mean: ips, ci } = meanWithInterval(terms, alpha);
  const sumW = weights.reduce((a, b) => a + b, 0);
  const sumW2 = weights.reduce((a, w) => a + w * w, 0);
  const snips = sumW > 0 ? terms.reduce((a, b) => a + b, 0) / sumW : 0;
  let snipsCi: [number, number] = [...WIDEST];
  if (n >= 2 && sumW > 0) {
    const spread = rows.reduce((a, row, i) => a + (weights[i] as number) ** 2 * (row.r - snips) ** 2, 0);
    const half = (normalQuantile(1 - alpha / 2) * Math.sqrt(spread)) / sumW;
    snipsCi = [snips - half, snips + half];
  }
  return { ips, snips, ci, snipsCi, n, ess: sumW2 > 0 ? (sumW * sumW) / sumW2 : 0 };
}

/**
 * The doubly robust value of a candidate policy (Dudík, Langford & Li 2011): the reward model's value of
 * the candidate, corrected by the importance-weighted residual of the logged variant,
 * dr = (1/n) Σ [vhat_i + q_i/p_i · (r_i − rhat_i)]. Unbiased when either the propensities or the model are
 * right; its variance is lower than IPS's when the model is good. `ci` is the normal interval from the
 * sample variance of the terms, as for IPS.
 *
 * @throws RangeError as {@link offPolicyValue}, and when rhat or vhat is not finite.
 */
export function doublyRobust(rows: readonly ModeledDecision[], alpha = 0.05): DoublyRobustValue {
  assertAlpha(alpha);
  rows.forEach((row, i) => {
    assertRow(row, i);
    if (!(Number.isFinite(row.rhat) && Number.isFinite(row.vhat))) {
      throw new RangeError(
        `doublyRobust: row ${i}: rhat and vhat must be finite, got ${row.rhat}, ${row.vhat}`,
      );
    }
  });
  const terms = rows.map((row) => row.vhat + (row.q / row.p) * (row.r - row.rhat));
  const { mean, ci } = meanWithInterval(terms, alpha);
  return { dr: mean, ci, n: rows.length };
}
