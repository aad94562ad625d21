/**
 * @module mean-bounds
 * A one-sided test, and the confidence bound it inverts to, for the mean of per-session values known to
 * lie in a range [lower, upper] (pages per session: [1, cap]; engaged seconds: [0, cap]), from three
 * sums: the sessions n, Σx and Σx². Exact at every sample size for every distribution on the range: no
 * normal approximation, which at the guardrails' per-look levels (~7·10⁻⁶) is far off for skewed values
 * (docs/guardrails.md measures it firing on most A/A days).
 *
 * The test (see docs/guardrails.md for the proof and sources): with ξ = (x - m)/(m - lower) for
 * "mean ≤ m" and ξ = (m - x)/(upper - m) for "mean ≥ m", every ξ ≥ -1 and, under the hypothesis,
 * E[ξ] ≤ 0. For y ≥ -1 and λ in [0, 1), exp(λy - ψ(λ)y²) ≤ 1 + λy with ψ(λ) = -ln(1 - λ) - λ (Fan,
 * Grama and Liu 2015), so E ∏ exp(λξᵢ - ψ(λ)ξᵢ²) = E exp(λS - ψ(λ)V) ≤ 1 for S = Σξ, V = Σξ², which
 * the three sums give. An average of such e-values over fixed λ is one too; by Markov's inequality it
 * reaches 1/level with probability at most level. Pure.
 */

/** The per-session sums of one window: sessions, Σ value, Σ value². */
export interface MeanSums {
  n: number;
  sum: number;
  sumSq: number;
}

/** Where every per-session value lies (lower < upper). */
export interface MeanRange {
  lower: number;
  upper: number;
}

/** `below`: the hypothesis is mean ≥ m, rejected when the data say the mean is lower; `above` mirrors it. */
export type MeanSide = 'below' | 'above';

/** ψ(λ) = -ln(1 - λ) - λ, the penalty that makes exp(λy - ψ(λ)y²) ≤ 1 + λy for every y ≥ -1. */
export const psiE = (lambda: number): number => -Math.log1p(-lambda) - lambda;

/**
 * The bets averaged over, fixed in advance (choosing λ from the data would void the guarantee):
 * λ = o / (1 + o) for the odds o = 2^(k/2), k = -20..20. The e-value of the right λ is about S / (S + V);
 * 41 values from 0.001 to 0.999 cover every window a day can hold, and averaging costs at most
 * ln 41 ≈ 3.7 on the log scale against the best of them (less: neighbours add).
 */
export const BETS: readonly number[] = Array.from({ length: 41 }, (_, i) => {
  const odds = 2 ** ((i - 20) / 2);
  return odds / (1 + odds);
});

function assertRange(range: MeanRange): void {
  if (!(Number.isFinite(range.lower) && Number.isFinite(range.upper) && range.lower < range.upper))
    throw new RangeError(`mean-bounds: expected lower < upper, got [${range.lower}, ${range.upper}]`);
}

/**
 * The sums made consistent with the range: counters written on different paths can disagree by a lost
 * beacon, and sums no set of values in the range could have are no evidence. Σx is clamped to
 * [n·lower, n·upper] and Σx² to what values with that sum can have: at least (Σx)²/n (Cauchy–Schwarz)
 * and at most (lower + upper)·Σx - n·lower·upper (each (x - lower)(upper - x) ≥ 0).
 */
export function consistentSums(s: MeanSums, range: MeanRange): MeanSums {
  const n = Math.max(0, Math.floor(s.n));
  if (n === 0) return { n: 0, sum: 0, sumSq: 0 };
  const { lower, upper } = range;
  const sum = Math.min(n * upper, Math.max(n * lower, s.sum));
  const most = (lower + upper) * sum - n * lower * upper;
  const sumSq = Math.min(most, Math.max((sum * sum) / n, s.sumSq));
  return { n, sum, sumSq };
}

/** S = Σξ and V = Σξ² for the hypothesis at `m` (lower < m < upper), from the sums. */
export function standardizedSums(
  s: MeanSums,
  m: number,
  side: MeanSide,
  range: MeanRange,
): { S: number; V: number } {
  const scale = side === 'above' ? m - range.lower : range.upper - m;
  const centred = side === 'above' ? s.sum - s.n * m : s.n * m - s.sum;
  // Σ(x - m)², never below 0 against rounding
  const squares = Math.max(0, s.sumSq - 2 * m * s.sum + s.n * m * m);
  return { S: centred / scale, V: squares / (scale * scale) };
}

/**
 * ln of the e-value against the hypothesis (mean ≥ m for `below`, mean ≤ m for `above`): the average over
 * {@link BETS} of exp(λS - ψ(λ)V). Under the hypothesis its expectation is at most 1, so it reaches
 * ln(1/level) with probability at most `level`. 0 sessions: 0 (no evidence).
 */
export function meanLogEValue(s: MeanSums, m: number, side: MeanSide, range: MeanRange): number {
  assertRange(range);
  if (!(m > range.lower && m < range.upper))
    throw new RangeError(`mean-bounds: the hypothesis ${m} must be inside (${range.lower}, ${range.upper})`);
  const sums = consistentSums(s, range);
  if (sums.n === 0) return 0;
  const { S, V } = standardizedSums(sums, m, side, range);
  let max = Number.NEGATIVE_INFINITY;
  const terms = BETS.map((lambda) => lambda * S - psiE(lambda) * V);
  for (const t of terms) if (t > max) max = t;
  let total = 0;
  for (const t of terms) total += Math.exp(t - max);
  return max + Math.log(total / BETS.length);
}

/** Whether the sums reject the hypothesis at `m` at `level`: the e-value is at least 1 / level. */
export function meanTestRejects(
  s: MeanSums,
  m: number,
  side: MeanSide,
  range: MeanRange,
  level: number,
): boolean {
  if (!(level > 0 && level < 1)) throw new RangeError(`mean-bounds: level must be in (0, 1), got ${level}`);
  return meanLogEValue(s, m, side, range) >= -Math.log(level);
}

/**
 * The one-sided confidence bound the test inverts to: for `below` the upper bound (the smallest m above
 * the sample mean that the test rejects), for `above` the lower bound (the largest m below it). Found by
 * bisection between the sample mean and `toward` (default the range's end), to a relative 1e-10; the
 * test rejects nothing past the sample mean on the other side, so the mean is always inside. When the
 * test does not reject at `toward`, `toward` is returned.
 */
export function meanBound(
  s: MeanSums,
  side: MeanSide,
  range: MeanRange,
  level: number,
  toward: number = side === 'below' ? range.upper : range.lower,
): number {
  assertRange(range);
  const sums = consistentSums(s, range);
  if (sums.n === 0) return toward;
  const mean = sums.sum / sums.n;
  // just inside the range: the hypothesis must be strictly between its ends
  const eps = (range.upper - range.lower) * 1e-12;
  let far = Math.min(range.upper - eps, Math.max(range.lower + eps, toward));
  let near = Math.min(range.upper - eps, Math.max(range.lower + eps, mean));
  if (side === 'below' ? far <= near : far >= near) return toward;
  if (!meanTestRejects(sums, far, side, range, level)) return toward;
  for (let i = 0; i < 200 && Math.abs(far - near) > 1e-10 * Math.max(1, Math.abs(far)); i++) {
    const mid = (near + far) / 2;
    if (meanTestRejects(sums, mid, side, range, level)) far = mid;
    else near = mid;
  }
  return far;
}
