/**
 * @module cuped
 * CUPED variance reduction (Deng, Xu, Kohavi & Walker 2013, "Improving the sensitivity of online controlled
 * experiments by utilizing pre-experiment data", WSDM): the metric Y of each visitor is adjusted by a
 * covariate X measured before exposure, Y - θ (X - E[X]). X does not depend on the arm, so the adjusted
 * means keep their expectation while their variance shrinks by the factor 1 - ρ², ρ = corr(X, Y).
 *
 * Works from per-arm sufficient statistics, so the aggregates can be kept as running sums (D1 rows or
 * counters) for conversion (Y in {0, 1}) and revenue alike.
 */

import { normalQuantile, normalSf } from './special-functions.ts';

/** Per-arm sums over visitors of the metric y and the pre-exposure covariate x. */
export interface MomentSums {
  n: number;
  sumY: number;
  sumY2: number;
  sumX: number;
  sumX2: number;
  sumXY: number;
}

export interface LiftEstimate {
  /** Treatment mean / control mean - 1. */
  lift: number;
  /** Delta-method two-sided 1 - alpha interval of `lift`. */
  ci: [number, number];
  /** Two-sided p-value of the z-test of the difference of means. */
  pValue: number;
}

export interface CupedResult {
  plain: LiftEstimate;
  adjusted: LiftEstimate;
  /** cov(y, x) / var(x), pooled within arms. */
  theta: number;
  /** 1 - var(adjusted difference) / var(plain difference): about ρ². */
  varianceReduction: number;
}

function assertSums(label: string, s: MomentSums): void {
  const finite = [s.sumY, s.sumY2, s.sumX, s.sumX2, s.sumXY].every(Number.isFinite);
  if (!(Number.isInteger(s.n) && s.n >= 0 && finite && s.sumY2 >= 0 && s.sumX2 >= 0)) {
    throw new RangeError(`${label}: expected an integer n >= 0 and finite sums with sumY2, sumX2 >= 0`);
  }
}

interface ArmMoments {
  n: number;
  meanY: number;
  meanX: number;
  /** Centered sums of squares and cross-products. */
  syy: number;
  sxx: number;
  sxy: number;
}

function moments(s: MomentSums): ArmMoments {
  const meanY = s.sumY / s.n;
  const meanX = s.sumX / s.n;
  return {
    n: s.n,
    meanY,
    meanX,
    syy: Math.max(0, s.sumY2 - s.n * meanY * meanY),
    sxx: Math.max(0, s.sumX2 - s.n * meanX * meanX),
    sxy: s.sumXY - s.n * meanX * meanY,
  };
}

/**
 * The plain and the CUPED-adjusted relative lift of treatment against control, each with a delta-method
 * interval (as `welchTest`'s: se = sqrt(v_t + (m_t/m_c)² v_c) / |m_c|, normal quantile) and a z-test
 * p-value.
 *
 * - θ = Σ_arms S_xy / Σ_arms S_xx, the within-arm pooled regression slope, so a treatment effect on the
 *   mean of y does not leak into it; 0 when x has no variance.
 * - Adjusted mean of an arm: ȳ - θ (x̄ - x̄_all), x̄_all the mean of x over both arms.
 * - Its variance: (s_y² - 2θ s_xy + θ² s_x²) / n with sample (n - 1) moments, which is s_y² (1 - ρ²) / n
 *   when θ equals the arm's own slope. θ and x̄_all are treated as known, as in the paper: their
 *   estimation error is of lower order.
 *
 * Degenerate inputs: an arm with n < 2 gives lift 0, ci [-Infinity, Infinity] and pValue 1 for both; a
 * control mean of 0 gives lift ±Infinity (0 if the means agree) with an unbounded interval.
 *
 * @throws RangeError on malformed sums or alpha outside (0, 1).
 */
export function cupedLift(control: MomentSums, treatment: MomentSums, alpha = 0.05): CupedResult {
  assertSums('control', control);
  assertSums('treatment', treatment);
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  if (control.n < 2 || treatment.n < 2) {
    const none = (): LiftEstimate => ({
      lift: 0,
      ci: [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
      pValue: 1,
    });
    return { plain: none(), adjusted: none(), theta: 0, varianceReduction: 0 };
  }
  const c = moments(control);
  const t = moments(treatment);
  const sxx = c.sxx + t.sxx;
  const theta = sxx > 0 ? (c.sxy + t.sxy) / sxx : 0;
  const meanXAll = (control.sumX + treatment.sumX) / (control.n + treatment.n);
  const z = normalQuantile(1 - alpha / 2);

  const plainVar = (a: ArmMoments) => a.syy / (a.n - 1) / a.n;
  const adjustedVar = (a: ArmMoments) =>
    Math.max(0, a.syy - 2 * theta * a.sxy + theta * theta * a.sxx) / (a.n - 1) / a.n;
  const adjustedMean = (a: ArmMoments) => a.meanY - theta * (a.meanX - meanXAll);

  const plain = liftOf(c.meanY, plainVar(c), t.meanY, plainVar(t), z);
  const adjusted = liftOf(adjustedMean(c), adjustedVar(c), adjustedMean(t), adjustedVar(t), z);
  const plainTotal = plainVar(c) + plainVar(t);
  const varianceReduction = plainTotal > 0 ? 1 - (adjustedVar(c) + adjustedVar(t)) / plainTotal : 0;
  return { plain, adjusted, theta, varianceReduction };
}

function liftOf(mc: number, vc: number, mt: number, vt: number, z: number): LiftEstimate {
  const diff = mt - mc;
  const seDiff = Math.sqrt(vc + vt);
  const pValue = seDiff === 0 ? (diff === 0 ? 1 : 0) : Math.min(1, 2 * normalSf(Math.abs(diff) / seDiff));
  if (mc === 0) {
    const lift = diff === 0 ? 0 : diff > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    return { lift, ci: [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY], pValue };
  }
  const ratio = mt / mc;
  const lift = diff / Math.abs(mc);
  const se = Math.sqrt(vt + ratio * ratio * vc) / Math.abs(mc);
  return { lift, ci: [lift - z * se, lift + z * se], pValue };
}

/** Adds one visitor's (y, x) to an arm's sums, returning new sums (for tests and small in-memory folds). */
export function addMoment(sums: MomentSums, y: number, x: number): MomentSums {
  return {
    n: sums.n + 1,
    sumY: sums.sumY + y,
    sumY2: sums.sumY2 + y * y,
    sumX: sums.sumX + x,
    sumX2: sums.sumX2 + x * x,
    sumXY: sums.sumXY + x * y,
  };
}

/** Sums with no visitors, to fold from. */
export const EMPTY_MOMENTS: Readonly<MomentSums> = { n: 0, sumY: 0, sumY2: 0, sumX: 0, sumX2: 0, sumXY: 0 };
