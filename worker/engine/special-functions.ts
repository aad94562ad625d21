/**
 * @module
 * Special functions behind the experiment statistics: log-gamma and log-beta, the regularized incomplete
 * gamma and beta functions, the normal distribution and Student's t. Pure double-precision arithmetic,
 * no dependencies; every function is checked against scipy in `stats.test.ts`.
 */

const LOG_SQRT_2PI = 0.9189385332046728; // log(sqrt(2 * pi))
const EPSILON = 1e-16;
const TINY = 1e-300;

// Lanczos approximation, g = 7, n = 9 (relative error ~1e-15 over x > 0).
const LANCZOS_G = 7;
const LANCZOS = [
  0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406,
  12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
];

/** log Γ(x) for x > 0 (reflection for x < 0.5). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  if (x >= 10) return (x - 0.5) * Math.log(x) - x + LOG_SQRT_2PI + stirlingCorrection(x);
  const z = x - 1;
  let sum = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i]! / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return LOG_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/**
 * log Γ(x) - [(x - 1/2) log x - x + log √(2π)] for x >= 10: the tail of Stirling's series, truncated where
 * the next term is below 1e-16. Kept separate so differences of large log-gammas can cancel analytically.
 */
function stirlingCorrection(x: number): number {
  const r = 1 / (x * x);
  return (
    (1 / 12 +
      r *
        (-1 / 360 +
          r * (1 / 1260 + r * (-1 / 1680 + r * (1 / 1188 + r * (-691 / 360360 + r * (1 / 156))))))) /
    x
  );
}

/**
 * log B(a, b) for a, b > 0. For large arguments the log-gammas are combined analytically (Stirling form)
 * instead of subtracting three numbers of size ~a log a, which keeps ~1e-15 relative accuracy at a ~ 1e6.
 */
export function logBeta(a: number, b: number): number {
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  const sum = lo + hi;
  if (hi < 10) return logGamma(lo) + logGamma(hi) - logGamma(sum);
  if (lo < 10) {
    // log Γ(hi) - log Γ(hi + lo), with the large parts cancelled by hand.
    const diff =
      -(hi - 0.5) * Math.log1p(lo / hi) -
      lo * Math.log(sum) +
      lo +
      stirlingCorrection(hi) -
      stirlingCorrection(sum);
    return logGamma(lo) + diff;
  }
  return (
    LOG_SQRT_2PI +
    (lo - 0.5) * Math.log(lo / sum) +
    hi * Math.log1p(-lo / sum) -
    0.5 * Math.log(hi) +
    stirlingCorrection(lo) +
    stirlingCorrection(hi) -
    stirlingCorrection(sum)
  );
}

/**
 * The regularized lower and upper incomplete gamma functions [P(a, x), Q(a, x)], both to ~1e-15 relative:
 * the series for P when x < a + 1, the continued fraction (modified Lentz) for Q otherwise, the other one
 * by complement (which is then the larger of the two, so no precision is lost where it matters).
 */
function incompleteGamma(a: number, x: number): [number, number] {
  if (!(a > 0) || !(x >= 0) || Number.isNaN(x))
    throw new RangeError(`incompleteGamma: bad arguments a=${a}, x=${x}`);
  if (x === 0) return [0, 1];
  if (x === Number.POSITIVE_INFINITY) return [1, 0];
  const logPrefactor = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 100_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * EPSILON) break;
    }
    const p = Math.min(1, sum * Math.exp(logPrefactor));
    return [p, 1 - p];
  }
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 100_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  const q = Math.min(1, Math.exp(logPrefactor) * h);
  return [1 - q, q];
}

/** Regularized lower incomplete gamma function P(a, x). */
export function regularizedGammaP(a: number, x: number): number {
  return incompleteGamma(a, x)[0];
}

/** Regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x), accurate in the far tail. */
export function regularizedGammaQ(a: number, x: number): number {
  return incompleteGamma(a, x)[1];
}

/** Continued fraction for I_x(a, b) (Numerical Recipes' betacf, modified Lentz); converges for x < (a+1)/(a+b+2). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  // O(sqrt(max(a, b))) iterations are needed; the cap only guards against a bug, not a real input.
  const maxIter = 1000 + Math.ceil(20 * Math.sqrt(Math.max(a, b)));
  for (let m = 1; m <= maxIter; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return h;
}

/**
 * log of the incomplete beta prefactor x^a (1-x)^b / B(a, b), with y = 1 - x supplied by the caller.
 * For large a and b the direct form cancels terms of size ~a; instead, around the mean x0 = a / (a + b),
 * a log(x / x0) + b log(y / y0) is computed from e = x (a + b) - a, and the rest analytically (Stirling).
 */
function logBetaPrefactor(x: number, y: number, a: number, b: number): number {
  if (a >= 10 && b >= 10) {
    const s = a + b;
    const e = x < 0.5 ? x * s - a : b - y * s;
    // Near the mean log1p(±e / ·) is exact; far from it the plain ratio is (and log1p(-1 + tiny) is not).
    const logRatioX = Math.abs(e) < 0.5 * a ? Math.log1p(e / a) : Math.log((x * s) / a);
    const logRatioY = Math.abs(e) < 0.5 * b ? Math.log1p(-e / b) : Math.log((y * s) / b);
    return (
      a * logRatioX +
      b * logRatioY -
      LOG_SQRT_2PI +
      0.5 * Math.log((a / s) * b) -
      stirlingCorrection(a) -
      stirlingCorrection(b) +
      stirlingCorrection(s)
    );
  }
  const logX = x < 0.5 ? Math.log(x) : Math.log1p(-y);
  const logY = y < 0.5 ? Math.log(y) : Math.log1p(-x);
  return a * logX + b * logY - logBeta(a, b);
}

/**
 * The regularized incomplete beta function and its complement, [I_x(a, b), 1 - I_x(a, b)]. The continued
 * fraction is evaluated on whichever side converges, so the smaller of the two keeps full relative accuracy.
 * Callers that know y = 1 - x more precisely than `1 - x` (x close to 1) should pass it.
 */
export function incompleteBetaPair(x: number, a: number, b: number, y = 1 - x): [number, number] {
  if (!(a > 0) || !(b > 0) || !(x >= 0 && x <= 1) || !(y >= 0 && y <= 1)) {
    throw new RangeError(`incompleteBeta: bad arguments x=${x}, a=${a}, b=${b}`);
  }
  if (x === 0) return [0, 1];
  if (y === 0) return [1, 0];
  const front = Math.exp(logBetaPrefactor(x, y, a, b));
  if (x < (a + 1) / (a + b + 2)) {
    const value = Math.min(1, (front * betaContinuedFraction(x, a, b)) / a);
    return [value, 1 - value];
  }
  const complement = Math.min(1, (front * betaContinuedFraction(y, b, a)) / b);
  return [1 - complement, complement];
}

/** The regularized incomplete beta function I_x(a, b). */
export function regularizedBeta(x: number, a: number, b: number): number {
  return incompleteBetaPair(x, a, b)[0];
}

/** erfc(x), via erfc(x) = Q(1/2, x²) for x >= 0; relative accuracy ~1e-15 including the far tail. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0) return 2 - erfc(-x);
  return regularizedGammaQ(0.5, x * x);
}

/**
 * Standard normal upper tail 1 - Φ(z), without cancellation for large z: Q(1/2, z²/2) / 2, which avoids
 * rounding z / √2 (in the far tail the relative error is z² times the error of the exponent's argument).
 */
export function normalSf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  const tail = 0.5 * regularizedGammaQ(0.5, (z * z) / 2);
  return z >= 0 ? tail : 1 - tail;
}

/** Standard normal CDF Φ(z), relatively accurate in the lower tail (down to underflow near z = -38). */
export function normalCdf(z: number): number {
  return normalSf(-z);
}

/** Standard normal density. */
export function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z - LOG_SQRT_2PI);
}

// Acklam's rational approximation to the normal quantile (relative error 1.15e-9), refined below.
const ACKLAM_A = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
  2.506628277459239,
];
const ACKLAM_B = [
  -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1,
];
const ACKLAM_C = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const ACKLAM_D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];

function polynomial(coefficients: readonly number[], x: number): number {
  let result = 0;
  for (const c of coefficients) result = result * x + c;
  return result;
}

/**
 * Standard normal quantile Φ⁻¹(p): Acklam's approximation followed by one Halley step against
 * {@link normalCdf}, which brings it to ~1e-15 relative accuracy. Returns ±Infinity at p = 0 and 1.
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`normalQuantile: p must be in [0, 1], got ${p}`);
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  const pLow = 0.02425;
  let x: number;
  if (p < pLow) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = polynomial(ACKLAM_C, q) / (polynomial(ACKLAM_D, q) * q + 1);
  } else if (p <= 1 - pLow) {
    const q = p - 0.5;
    const r = q * q;
    x = (polynomial(ACKLAM_A, r) * q) / (polynomial(ACKLAM_B, r) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log1p(-p));
    x = -polynomial(ACKLAM_C, q) / (polynomial(ACKLAM_D, q) * q + 1);
  }
  // Halley refinement of Φ(x) - p = 0; in the upper half the residual is formed from the upper tail
  // (1 - p is exact there) so that it keeps its precision.
  const e = p < 0.5 ? normalCdf(x) - p : 1 - p - normalSf(x);
  const u = e / normalPdf(x);
  return x - u / (1 + (x * u) / 2);
}

/**
 * Two-sided tail of Student's t: P(|T| > |t|) with `df` degrees of freedom (df > 0, may be fractional).
 * Relative error ~1e-14 up to df ~ 1e4, growing slowly beyond (~2e-11 at df = 1e6, ~4e-10 at 1e7) as the
 * continued fraction needs O(sqrt(df)) steps.
 */
export function studentTTwoSided(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`studentT: df must be > 0, got ${df}`);
  if (Number.isNaN(t)) return Number.NaN;
  if (!Number.isFinite(t)) return 0;
  const t2 = t * t;
  // I_x(df/2, 1/2) with x = df / (df + t²), and 1 - x = t² / (df + t²) passed exactly for small t.
  return incompleteBetaPair(df / (df + t2), df / 2, 0.5, t2 / (df + t2))[0];
}

/** Student's t CDF P(T <= t). */
export function studentTCdf(t: number, df: number): number {
  const tail = studentTTwoSided(t, df) / 2;
  return t > 0 ? 1 - tail : tail;
}

/** Student's t density. */
export function studentTPdf(t: number, df: number): number {
  return Math.exp(-((df + 1) / 2) * Math.log1p((t * t) / df) - 0.5 * Math.log(df) - logBeta(df / 2, 0.5));
}

/**
 * Student's t quantile: safeguarded Newton iteration on {@link studentTCdf} (bisection whenever a step
 * leaves the bracket), converged to ~1e-14 relative.
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`studentTQuantile: p must be in [0, 1], got ${p}`);
  if (!(df > 0)) throw new RangeError(`studentTQuantile: df must be > 0, got ${df}`);
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  if (p === 0.5) return 0;
  if (p > 0.5) return -studentTQuantile(1 - p, df);
  // Lower half: the root is negative; work on the lower tail, which studentTCdf gives without cancellation.
  let lo = -1;
  while (studentTCdf(lo, df) > p) lo *= 2;
  let hi = 0;
  let x = Math.max(lo, Math.min(normalQuantile(p), hi));
  for (let i = 0; i < 200; i++) {
    const f = studentTCdf(x, df) - p;
    if (f > 0) hi = x;
    else lo = x;
    let next = x - f / studentTPdf(x, df);
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    if (Math.abs(next - x) <= 1e-15 * Math.abs(next)) return next;
    x = next;
  }
  return x;
}
