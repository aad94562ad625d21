/**
 * @module small-sample
 * Methods for conversion counts too small for the normal approximation: Fisher's exact test, a score
 * interval for the ratio of rates that keeps its coverage at a handful of conversions, and the rule that
 * says which test a comparison should use (so the dashboard can name it).
 *
 * Why not the delta method there: at 1 conversion in 45 visitors the delta-method interval of the lift is
 * symmetric around an estimate whose standard error is larger than itself, so its lower end is clamped at
 * -100 % and its coverage is poor (81 % instead of 95 % for 3 % vs 5 % on 45 and 50 visitors, computed
 * exactly over all outcomes; Koopman's score interval below covers 97 % there).
 */

import { logGamma, normalQuantile } from './special-functions.ts';
import type { Counts } from './stats.ts';

function assertCounts(label: string, c: Counts): void {
  if (!(Number.isInteger(c.n) && Number.isInteger(c.x) && c.x >= 0 && c.x <= c.n)) {
    throw new RangeError(`${label}: expected integer counts with 0 <= x <= n, got n=${c.n}, x=${c.x}`);
  }
}

/** Two tables whose probabilities differ by less than this relative amount count as equally likely. */
const RELATIVE_TIE = 1e-7;

/**
 * Fisher's exact test of the 2x2 table [[treatment converted, not], [control converted, not]], two-sided:
 * the probability, under the hypergeometric law with all margins fixed, of every table no more likely than
 * the observed one (tables within a relative 1e-7 of it count as ties, as R's `fisher.test`;
 * `scipy.stats.fisher_exact` uses 1e-14, which gives the same p-value except for tables that differ in
 * probability by between 1e-14 and 1e-7 relative).
 *
 * `oddsRatio` is the sample odds ratio (treatment odds / control odds), `Infinity` when the control odds
 * or the treatment's non-converters are zero, and 1 (neutral) when a margin is empty (an arm without
 * visitors, or nobody or everybody converted), where the p-value is 1.
 *
 * @throws RangeError when counts are not integers with 0 <= x <= n.
 * @example fisherExact({ n: 45, x: 1 }, { n: 50, x: 3 }) // { pValue ≈ 0.619, oddsRatio ≈ 2.81 }
 */
export function fisherExact(control: Counts, treatment: Counts): { pValue: number; oddsRatio: number } {
  assertCounts('control', control);
  assertCounts('treatment', treatment);
  const a = treatment.x;
  const b = treatment.n - treatment.x;
  const c = control.x;
  const d = control.n - control.x;
  const converted = a + c;
  const total = treatment.n + control.n;
  if (treatment.n === 0 || control.n === 0 || converted === 0 || converted === total) {
    return { pValue: 1, oddsRatio: 1 };
  }
  const oddsRatio = b * c === 0 ? Number.POSITIVE_INFINITY : (a * d) / (b * c);
  // k = converters in the treatment row, from max(0, converted - control.n) to min(converted, treatment.n).
  const n1 = treatment.n;
  const n2 = control.n;
  const logPmf = (k: number) =>
    -logGamma(k + 1) - logGamma(n1 - k + 1) - logGamma(converted - k + 1) - logGamma(n2 - converted + k + 1);
  const lo = Math.max(0, converted - n2);
  const hi = Math.min(converted, n1);
  const mode = Math.floor(((converted + 1) * (n1 + 1)) / (total + 2));
  const logMode = logPmf(mode);
  const threshold = logPmf(a) - logMode + Math.log1p(RELATIVE_TIE);
  // Sum outward from the mode; the pmf is unimodal, so once terms fall below 1e-18 of the total the rest of
  // that tail cannot matter. Dividing by the summed total cancels the normalizing constant.
  let sum = 0;
  let extreme = 0;
  const visit = (k: number): boolean => {
    const rel = logPmf(k) - logMode;
    const term = Math.exp(rel);
    sum += term;
    if (rel <= threshold) extreme += term;
    return term > 1e-18 * sum || rel > threshold - 50;
  };
  for (let k = mode; k <= hi && visit(k); k++);
  for (let k = mode - 1; k >= lo && visit(k); k--);
  return { pValue: Math.min(1, extreme / sum), oddsRatio };
}

export interface LiftInterval {
  /** Treatment rate / control rate. */
  ratio: number;
  /** Score interval of `ratio`. */
  ratioCi: [number, number];
  /** ratio - 1. */
  lift: number;
  /** ratioCi - 1. */
  ci: [number, number];
}

/**
 * The lift (ratio of conversion rates, minus 1) with Koopman's asymptotic score interval (Koopman 1984,
 * "Confidence intervals for the ratio of two binomial proportions", Biometrics 40: 513-517): every ratio φ
 * whose Pearson chi-square statistic, with both rates refitted by maximum likelihood under p_t = φ p_c
 * (Miettinen & Nurminen 1985, closed form), stays below the chi-square(1) quantile.
 *
 * Chosen because it inverts a test instead of assuming normality of an estimate: it is never below
 * -100 %, is asymmetric where the data are, is finite at zero conversions in the treatment (0 to a finite
 * upper end), and Fagerland, Lydersen & Laake (2015, "Recommended confidence intervals for two independent
 * binomial proportions", SMMR 24: 224-254) recommend it for the ratio at small and large counts. Katz's
 * log interval is simpler but undefined at zero conversions and, here, wider.
 *
 * Degenerate inputs: an arm without visitors or no conversions at all gives ratio 1 (neutral) and
 * [0, Infinity]; no conversions in control gives ratio Infinity and an upper end of Infinity.
 *
 * @throws RangeError when counts are not integers with 0 <= x <= n, or alpha is outside (0, 1).
 * @example liftInterval({ n: 45, x: 1 }, { n: 50, x: 3 }) // lift 1.7, ci ≈ [-0.598, 17.53]
 */
export function liftInterval(control: Counts, treatment: Counts, alpha = 0.05): LiftInterval {
  assertCounts('control', control);
  assertCounts('treatment', treatment);
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  const x1 = treatment.x;
  const n1 = treatment.n;
  const x2 = control.x;
  const n2 = control.n;
  if (n1 === 0 || n2 === 0 || x1 + x2 === 0) {
    return { ratio: 1, ratioCi: [0, Number.POSITIVE_INFINITY], lift: 0, ci: [-1, Number.POSITIVE_INFINITY] };
  }
  const q = chiSquare1Quantile(1 - alpha);
  const statistic = (phi: number): number => {
    const A = phi * (n1 + n2);
    const B = -(phi * (x2 + n1) + x1 + n2);
    const C = x1 + x2;
    // The smaller root of A p² + B p + C, written without cancellation (B < 0).
    const p2 = (2 * C) / (-B + Math.sqrt(Math.max(B * B - 4 * A * C, 0)));
    const p1 = phi * p2;
    return pearsonTerm(x1, n1, p1) + pearsonTerm(x2, n2, p2);
  };
  const estimate = x2 === 0 ? Number.POSITIVE_INFINITY : x1 / n1 / (x2 / n2);
  const lower = x1 === 0 ? 0 : boundary(statistic, q, x2 === 0 ? 1 : estimate, 0.5);
  const upper = x2 === 0 ? Number.POSITIVE_INFINITY : boundary(statistic, q, x1 === 0 ? 1 : estimate, 2);
  return {
    ratio: estimate,
    ratioCi: [lower, upper],
    lift: estimate - 1,
    ci: [lower - 1, upper - 1],
  };
}

/** (x - n p)² / (n p (1 - p)); 0 where the restricted estimate sits on the boundary (then x = n p). */
function pearsonTerm(x: number, n: number, p: number): number {
  const v = n * p * (1 - p);
  return v > 0 ? (x - n * p) ** 2 / v : 0;
}

/**
 * The φ beyond `start` (in the direction of `factor`) where statistic(φ) crosses q: first step out
 * geometrically, after stepping inward while the start itself is outside, then bisect on log φ.
 */
function boundary(statistic: (phi: number) => number, q: number, start: number, factor: number): number {
  let inner = start;
  for (let i = 0; i < 2000 && statistic(inner) >= q; i++) inner /= factor;
  let outer = inner * factor;
  for (let i = 0; i < 2000 && statistic(outer) < q; i++) {
    inner = outer;
    outer *= factor;
  }
  for (let i = 0; i < 200; i++) {
    const mid = Math.sqrt(inner * outer);
    if (mid === inner || mid === outer) break;
    if (statistic(mid) < q) inner = mid;
    else outer = mid;
  }
  return Math.sqrt(inner * outer);
}

/** The chi-square(1) quantile is the squared normal quantile at (1 + p) / 2. */
function chiSquare1Quantile(p: number): number {
  const z = normalQuantile((1 + p) / 2);
  return z * z;
}

export interface MethodChoice {
  method: 'fisher' | 'z-test';
  /** The smallest expected cell count of the 2x2 table under no difference. */
  minExpected: number;
}

/**
 * Which test a comparison should use: Fisher's exact test when any expected cell of the 2x2 table (arm by
 * converted / not, under equal rates) is below 5, Cochran's (1954) rule for the chi-square and z
 * approximations; else the two-proportion z-test. With no visitors, Fisher (nothing to approximate).
 */
export function whichMethod(control: Counts, treatment: Counts): MethodChoice {
  assertCounts('control', control);
  assertCounts('treatment', treatment);
  const total = control.n + treatment.n;
  if (total === 0) return { method: 'fisher', minExpected: 0 };
  const converted = control.x + treatment.x;
  const minArm = Math.min(control.n, treatment.n);
  const minColumn = Math.min(converted, total - converted);
  const minExpected = (minArm * minColumn) / total;
  return { method: minExpected < 5 ? 'fisher' : 'z-test', minExpected };
}
