/**
 * @module binomial-bounds
 * One-sided confidence bounds for a binomial rate (successes `k` of `n` trials) and the binomial tail
 * probabilities they are inverted from. Clopper–Pearson is the exact one (coverage at least 1 - alpha for
 * every n and p), which the guardrails need at the tiny per-look levels a day of minute-by-minute looks
 * leaves; Wilson is here for comparison and for charts, where an approximate interval is enough.
 */

import { incompleteBetaPair, normalQuantile } from './special-functions.ts';

function assertTrials(k: number, n: number): void {
  if (!(Number.isInteger(k) && Number.isInteger(n) && k >= 0 && k <= n)) {
    throw new RangeError(`binomial: expected integers with 0 <= k <= n, got k=${k}, n=${n}`);
  }
}

function assertLevel(alpha: number): void {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
}

/**
 * P(X <= k) for X ~ Binomial(n, p), as I_{1-p}(n - k, k + 1), with 1 - (1 - p) = p handed over exactly so
 * that the small tails the guardrails compare with ~1e-6 keep their relative precision.
 */
export function binomialCdf(k: number, n: number, p: number): number {
  assertTrials(k, n);
  if (k === n || p <= 0) return 1;
  if (p >= 1) return 0;
  return incompleteBetaPair(1 - p, n - k, k + 1, p)[0];
}

/** P(X >= k) for X ~ Binomial(n, p), as I_p(k, n - k + 1). */
export function binomialSf(k: number, n: number, p: number): number {
  assertTrials(k, n);
  if (k === 0 || p >= 1) return 1;
  if (p <= 0) return 0;
  return incompleteBetaPair(p, k, n - k + 1)[0];
}

/**
 * Bisection for the p in (0, 1) where the monotone `f` crosses `target`; `rising` says which way f goes.
 * Tail probabilities span many decades, so the stop is relative to the bracket, down to subnormal bounds.
 */
function solve(f: (p: number) => number, target: number, rising: boolean): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 1100 && hi - lo > 1e-15 * hi; i++) {
    const mid = lo + (hi - lo) / 2;
    if (mid === lo || mid === hi) break;
    if (f(mid) < target === rising) lo = mid;
    else hi = mid;
  }
  return lo + (hi - lo) / 2;
}

/**
 * One-sided Clopper–Pearson upper bound: the largest p with P(X <= k | n, p) >= alpha, i.e. the
 * 1 - alpha quantile of Beta(k + 1, n - k) (Clopper and Pearson, Biometrika 26, 1934). 1 when k = n
 * (including n = 0, where nothing is known); 1 - alpha^(1/n) in closed form when k = 0.
 */
export function clopperPearsonUpper(k: number, n: number, alpha: number): number {
  assertTrials(k, n);
  assertLevel(alpha);
  if (k === n) return 1;
  if (k === 0) return -Math.expm1(Math.log(alpha) / n);
  return solve((p) => binomialCdf(k, n, p), alpha, false);
}

/** One-sided Clopper–Pearson lower bound: the alpha quantile of Beta(k, n - k + 1); 0 when k = 0. */
export function clopperPearsonLower(k: number, n: number, alpha: number): number {
  assertTrials(k, n);
  assertLevel(alpha);
  if (k === 0) return 0;
  if (k === n) return Math.exp(Math.log(alpha) / n);
  return solve((p) => binomialSf(k, n, p), alpha, true);
}

/**
 * One-sided Wilson score bounds [lower, upper], each at confidence 1 - alpha (Wilson, JASA 22, 1927):
 * the roots of |p̂ - p| = z sqrt(p(1 - p)/n) with z = Φ⁻¹(1 - alpha). [0, 1] when n = 0.
 */
export function wilsonBounds(k: number, n: number, alpha: number): [number, number] {
  assertTrials(k, n);
  assertLevel(alpha);
  if (n === 0) return [0, 1];
  const z = normalQuantile(1 - alpha);
  const z2 = z * z;
  const rate = k / n;
  const denominator = 1 + z2 / n;
  const center = (rate + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((rate * (1 - rate)) / n + z2 / (4 * n * n));
  // At k = 0 (k = n) the bound is 0 (1) exactly; the subtraction would leave rounding dust.
  return [k === 0 ? 0 : Math.max(0, center - half), k === n ? 1 : Math.min(1, center + half)];
}
