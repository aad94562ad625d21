/**
 * @module adaptive-results
 * Results of adaptive campaigns (bandit, contextual) from per-(context, variant) sums of inverse logged
 * probabilities. When traffic shares change over time or differ by context, a variant's plain rate mixes
 * visitors from different times and contexts in proportions that differ from variant to variant, so plain
 * rates are not comparable (Simpson's paradox). Weighting each visitor by 1/p, p the probability they had
 * of seeing the variant they saw, rebuilds for every variant the same population: the one the campaign
 * was shown to. The sums (n, Σ1/p, Σr/p, Σ1/p², Σr/p²) are enough for binary rewards, so D1 can aggregate
 * and no per-visitor row ever reaches the engine. Pure.
 */

import type { OffPolicyValue } from './off-policy.ts';
import { normalQuantile } from './special-functions.ts';
import type { Counts } from './stats.ts';

/**
 * Sums over the exposed visitors of one (context, variant) of a campaign, for one binary goal:
 * p the logged probability of the assigned variant in (0, 1], r = 1 if the visitor converted.
 */
export interface WeightedSums {
  /** The context key at assignment ('' when the campaign is not contextual). */
  context: string;
  variantId: string;
  /** Exposed visitors. */
  n: number;
  /** Σ 1/p */
  w: number;
  /** Σ r/p */
  wr: number;
  /** Σ 1/p² */
  w2: number;
  /** Σ r/p² */
  w2r: number;
}

/** A weighted conversion rate with its interval. */
export interface WeightedRate {
  visitors: number;
  /** Hájek estimate Σ r/p ÷ Σ 1/p; 0 without visitors. */
  rate: number;
  /** 1 − alpha interval, within [0, 1]. */
  ci: [number, number];
  /** Delta-method standard error of `rate` (0 without visitors). */
  se: number;
}

/** The value of a policy: IPS and SNIPS as {@link offPolicyValue} gives them. */
export type PolicyEstimate = Pick<OffPolicyValue, 'ips' | 'snips' | 'ci' | 'snipsCi' | 'ess'>;

/** q(variant | context): a function, or a table `table[context][variant]` (a missing entry is 0). */
export type TargetPolicy =
  | ((variantId: string, context: string) => number)
  | Readonly<Record<string, Readonly<Record<string, number>>>>;

export interface AdaptiveVariant extends WeightedRate {
  id: string;
  /** Weighted rate ÷ control's weighted rate − 1; absent on the control. */
  lift?: number;
  /** 1 − alpha interval of `lift` (see {@link weightedVariants}); absent on the control. */
  liftCi?: [number, number];
}

export interface ContextVariant extends WeightedRate {
  id: string;
}

export interface ContextResult {
  key: string;
  visitors: number;
  /** Per variant of the campaign, in its order (a variant without visitors here has rate 0, ci [0, 1]). */
  variants: ContextVariant[];
  /** The variant with the highest weighted rate here; null when no variant converted anyone here. */
  best: { variant: string; rate: number; ci: [number, number] } | null;
}

export interface WhatIf {
  /** Every variant with equal probability. */
  uniform: PolicyEstimate;
  /** The shares in force now, per context (pooled for a context that has none); absent without shares. */
  current?: PolicyEstimate;
  /** Each context always gets its best variant (see {@link bestFixedPolicy}): optimistic, see there. */
  bestFixed: PolicyEstimate;
  /** What the campaign actually got: the plain observed rate (IPS of the logging policy is exactly that). */
  logged: PolicyEstimate;
}

export interface Shares {
  /** Shares aligned with the campaign's variants, for a context without its own. */
  pooled: readonly number[];
  contexts: Readonly<Record<string, readonly number[]>>;
}

const WIDEST: [number, number] = [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
const UNBOUNDED_LIFT: [number, number] = [-1, Number.POSITIVE_INFINITY];
/** Slack for sums that went through floating-point aggregation (SQL SUM) before reaching us. */
const SLACK = 1e-9;

function assertAlpha(alpha: number): void {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
}

function assertSums(g: WeightedSums): void {
  const where = `weighted sums of (${JSON.stringify(g.context)}, ${JSON.stringify(g.variantId)})`;
  for (const k of ['n', 'w', 'wr', 'w2', 'w2r'] as const) {
    if (!(Number.isFinite(g[k]) && g[k] >= 0)) {
      throw new RangeError(`${where}: ${k} must be finite and >= 0, got ${g[k]}`);
    }
  }
  // p <= 1 means every 1/p >= 1, and r in {0, 1} means Σ r/p <= Σ 1/p (the same for the squares)
  const tol = (x: number) => x * SLACK + SLACK;
  if (g.w < g.n - tol(g.n) || g.w2 < g.n - tol(g.n)) {
    throw new RangeError(
      `${where}: w and w2 must be >= n (every p <= 1), got n=${g.n}, w=${g.w}, w2=${g.w2}`,
    );
  }
  if (g.wr > g.w + tol(g.w) || g.w2r > g.w2 + tol(g.w2)) {
    throw new RangeError(`${where}: wr <= w and w2r <= w2 (r is 0 or 1), got ${JSON.stringify(g)}`);
  }
}

/** Adds sums (e.g. a variant's over every context). */
export function addSums(rows: readonly Omit<WeightedSums, 'context' | 'variantId'>[]) {
  const out = { n: 0, w: 0, wr: 0, w2: 0, w2r: 0 };
  for (const g of rows) {
    out.n += g.n;
    out.w += g.w;
    out.wr += g.wr;
    out.w2 += g.w2;
    out.w2r += g.w2r;
  }
  return out;
}

/**
 * The Hájek (self-normalized inverse-probability-weighted) conversion rate R = Σ r/p ÷ Σ 1/p: the rate the
 * variant would have had if every visitor of the campaign (of the context) had seen it.
 *
 * Its delta-method variance is that of a ratio of sums over the campaign's visitors, A_i = r_i/p_i and
 * B_i = 1/p_i on the visitors who saw the variant (0 elsewhere): Var(R) ≈ Σ (A_i − R·B_i)² / (Σ B_i)²
 * = Σ (r_i − R)²/p_i² / w². With r binary, r² = r, so Σ (r − R)²/p² = Σ r/p² − 2R Σ r/p² + R² Σ 1/p²,
 * and Var(R) ≈ (w2r·(1 − 2R) + R²·w2) / w². (For a non-binary reward the sums would need Σ r²/p².) This is
 * the SNIPS interval of {@link offPolicyValue} for the policy "always this variant".
 *
 * The interval is R ± z·se clamped to [0, 1]. Where se is 0 because R is 0 (or 1), a Wald interval would be
 * the single point; the end that is not at R is then the exact binomial bound for zero successes (failures)
 * with the Kish effective sample size w²/w2: 1 − (alpha/2)^(1/ess). Fewer than 2 visitors: [0, 1].
 */
export function hajekRate(s: Omit<WeightedSums, 'context' | 'variantId'>, alpha = 0.05): WeightedRate {
  assertAlpha(alpha);
  if (s.n === 0 || s.w === 0) return { visitors: s.n, rate: 0, ci: [0, 1], se: 0 };
  const rate = Math.min(1, s.wr / s.w);
  const variance = Math.max(0, s.w2r * (1 - 2 * rate) + rate * rate * s.w2) / (s.w * s.w);
  const se = Math.sqrt(variance);
  if (s.n < 2) return { visitors: s.n, rate, ci: [0, 1], se };
  const z = normalQuantile(1 - alpha / 2);
  let ci: [number, number] = [Math.max(0, rate - z * se), Math.min(1, rate + z * se)];
  if (se === 0) {
    const edge = 1 - (alpha / 2) ** (1 / ((s.w * s.w) / s.w2));
    ci = rate === 0 ? [0, edge] : [1 - edge, 1];
  }
  return { visitors: s.n, rate, ci, se };
}

/**
 * The lift of a weighted rate against control's, L = R_a / R_0 − 1, with the delta-method interval on the
 * log ratio: log(R_a/R_0) ± z·√(se_a²/R_a² + se_0²/R_0²), mapped back. The two estimates have no
 * covariance: each visitor saw one variant, so the product of their per-visitor influence terms is 0.
 * The log scale keeps the interval above −1 and follows the skew of a ratio. Degenerate cases: R_0 = 0
 * gives L = ∞ (0 when R_a = 0 too) and [−1, ∞]; R_a = 0 < R_0 gives L = −1 and the conservative
 * [−1, hi_a/lo_0 − 1] from the ends of the two rates' intervals.
 */
export function weightedLift(
  variant: WeightedRate,
  control: WeightedRate,
  alpha = 0.05,
): { lift: number; ci: [number, number] } {
  assertAlpha(alpha);
  const ra = variant.rate;
  const r0 = control.rate;
  if (r0 === 0) return { lift: ra === 0 ? 0 : Number.POSITIVE_INFINITY, ci: [...UNBOUNDED_LIFT] };
  if (ra === 0) {
    const lo0 = control.ci[0];
    return { lift: -1, ci: [-1, lo0 > 0 ? variant.ci[1] / lo0 - 1 : Number.POSITIVE_INFINITY] };
  }
  const logRatio = Math.log(ra / r0);
  const se = Math.sqrt((variant.se / ra) ** 2 + (control.se / r0) ** 2);
  const z = normalQuantile(1 - alpha / 2);
  return { lift: ra / r0 - 1, ci: [Math.exp(logRatio - z * se) - 1, Math.exp(logRatio + z * se) - 1] };
}

/**
 * Per variant (pooled over contexts, in `variants` order): the weighted rate with its interval, and for
 * every variant but `controlId` the lift against control with its interval ({@link weightedLift}).
 * Rows of variants not in `variants` are ignored.
 *
 * @throws RangeError on inconsistent sums (n, w, wr, w2, w2r negative, w < n, wr > w, w2r > w2) or alpha.
 */
export function weightedVariants(
  groups: readonly WeightedSums[],
  variants: readonly string[],
  controlId: string,
  alpha = 0.05,
): AdaptiveVariant[] {
  groups.forEach(assertSums);
  const rates = variants.map((id) => hajekRate(addSums(groups.filter((g) => g.variantId === id)), alpha));
  const control = rates[variants.indexOf(controlId)];
  return variants.map((id, i) => {
    const r = rates[i] as WeightedRate;
    if (id === controlId || !control) return { id, ...r };
    const { lift, ci } = weightedLift(r, control, alpha);
    return { id, ...r, lift, liftCi: ci };
  });
}

/**
 * Per context seen in `groups` (most visitors first, then by key): the weighted rate of each variant there
 * and the best of them. Within one context the weights still matter: its shares changed over time.
 *
 * @throws RangeError as {@link weightedVariants}.
 */
export function weightedContexts(
  groups: readonly WeightedSums[],
  variants: readonly string[],
  alpha = 0.05,
): ContextResult[] {
  groups.forEach(assertSums);
  const known = new Set(variants);
  const byContext = new Map<string, WeightedSums[]>();
  for (const g of groups) {
    if (!known.has(g.variantId)) continue;
    const list = byContext.get(g.context) ?? [];
    list.push(g);
    byContext.set(g.context, list);
  }
  const out: ContextResult[] = [];
  for (const [key, rows] of byContext) {
    const perVariant = variants.map((id) => ({
      id,
      ...hajekRate(addSums(rows.filter((g) => g.variantId === id)), alpha),
    }));
    let best: ContextVariant | undefined;
    for (const v of perVariant) if (v.rate > 0 && (!best || v.rate > best.rate)) best = v;
    out.push({
      key,
      visitors: perVariant.reduce((a, v) => a + v.visitors, 0),
      variants: perVariant,
      best: best ? { variant: best.id, rate: best.rate, ci: best.ci } : null,
    });
  }
  return out.sort((a, b) => b.visitors - a.visitors || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function qOf(target: TargetPolicy, variantId: string, context: string): number {
  return typeof target === 'function' ? target(variantId, context) : (target[context]?.[variantId] ?? 0);
}

/**
 * The value of a target policy q(variant | context) from the sums, exactly {@link offPolicyValue} of the
 * per-visitor rows {p, q: q(variant | context), r} the sums were made of (the sums carry p per visitor):
 * with t = q·r/p and weights q/p,
 * - ips = Σ t / N = Σ_g q_g·wr_g / N, its variance from Σ t² = Σ_g q_g²·w2r_g (r binary) and the mean,
 *   (Σ t² − N·ips²)/(N − 1);
 * - snips = Σ_g q_g·wr_g / Σ_g q_g·w_g, with spread Σ (q/p)²(r − snips)² = Σ_g q_g²(w2r_g(1 − 2 snips)
 *   + snips²·w2_g);
 * - ess = (Σ_g q_g·w_g)² / Σ_g q_g²·w2_g.
 *
 * `N` is the number of logged decisions (default Σ n). A larger N counts decisions outside `groups` as
 * rows the target gives probability 0, which only enter the IPS mean and variance.
 *
 * @throws RangeError on inconsistent sums, a q outside [0, 1], N < Σ n, or alpha outside (0, 1).
 * @example offPolicyFromSums([{ context: '', variantId: 'b', n: 2, w: 4, wr: 2, w2: 8, w2r: 4 }], () => 1)
 */
export function offPolicyFromSums(
  groups: readonly WeightedSums[],
  target: TargetPolicy,
  N?: number,
  alpha = 0.05,
): OffPolicyValue {
  assertAlpha(alpha);
  groups.forEach(assertSums);
  const logged = groups.reduce((a, g) => a + g.n, 0);
  const n = N ?? logged;
  if (!(Number.isFinite(n) && n >= logged - SLACK)) {
    throw new RangeError(`offPolicyFromSums: N must be >= the decisions in the groups (${logged}), got ${n}`);
  }
  let sumT = 0;
  let sumT2 = 0;
  let sumW = 0;
  let sumW2 = 0;
  const qs = groups.map((g) => {
    const q = qOf(target, g.variantId, g.context);
    if (!(q >= 0 && q <= 1)) {
      throw new RangeError(
        `offPolicyFromSums: q(${JSON.stringify(g.variantId)} | ${JSON.stringify(g.context)}) must be in [0, 1], got ${q}`,
      );
    }
    sumT += q * g.wr;
    sumT2 += q * q * g.w2r;
    sumW += q * g.w;
    sumW2 += q * q * g.w2;
    return q;
  });
  const ips = n > 0 ? sumT / n : 0;
  let ci: [number, number] = [...WIDEST];
  let snipsCi: [number, number] = [...WIDEST];
  const z = normalQuantile(1 - alpha / 2);
  if (n >= 2) {
    const variance = Math.max(0, sumT2 - n * ips * ips) / (n - 1);
    const half = z * Math.sqrt(variance / n);
    ci = [ips - half, ips + half];
  }
  const snips = sumW > 0 ? sumT / sumW : 0;
  if (n >= 2 && sumW > 0) {
    let spread = 0;
    groups.forEach((g, i) => {
      const q = qs[i] as number;
      spread += q * q * (g.w2r * (1 - 2 * snips) + snips * snips * g.w2);
    });
    const half = (z * Math.sqrt(Math.max(0, spread))) / sumW;
    snipsCi = [snips - half, snips + half];
  }
  return { ips, snips, ci, snipsCi, n, ess: sumW2 > 0 ? (sumW * sumW) / sumW2 : 0 };
}

/**
 * The policy "each context always gets its best variant": q = 1 for the variant with the highest weighted
 * rate in the context, and for a context where nobody converted, the variant best over all contexts.
 * Estimating its value on the same data it was chosen from is optimistic (the winner's curse): read it as
 * an upper reference, the gain worth learning for, not as a promise.
 */
export function bestFixedPolicy(
  contexts: readonly ContextResult[],
  pooledBest: string,
): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const c of contexts) out[c.key] = { [c.best?.variant ?? pooledBest]: 1 };
  return out;
}

function pick(v: OffPolicyValue): PolicyEstimate {
  return { ips: v.ips, snips: v.snips, ci: v.ci, snipsCi: v.snipsCi, ess: v.ess };
}

/**
 * The logged policy's value: the plain rate x/n, with the interval {@link offPolicyValue} gives when the
 * candidate is the logging policy itself (q = p, so every weight is 1): x/n ± z·√(s²/n), s² the sample
 * variance of the 0/1 outcomes.
 */
export function loggedValue(observed: Counts, alpha = 0.05): PolicyEstimate {
  assertAlpha(alpha);
  const { n, x } = observed;
  const rate = n > 0 ? x / n : 0;
  let ci: [number, number] = [...WIDEST];
  if (n >= 2) {
    const half = normalQuantile(1 - alpha / 2) * Math.sqrt((rate * (1 - rate)) / (n - 1));
    ci = [rate - half, rate + half];
  }
  return { ips: rate, snips: rate, ci, snipsCi: [...ci], ess: n };
}

/**
 * "What if" a contextual campaign had run another policy on the same visitors: uniform, the current shares,
 * and the best fixed variant per context, each by {@link offPolicyFromSums}, beside the logged rate.
 * `shares` rows are aligned with `variants`; a context without a row of the right length uses `pooled`;
 * without a valid `pooled`, `current` is absent. `observed` is the plain count of the campaign's visitors
 * and converters (default: none, which makes `logged` 0 with the widest interval).
 *
 * @throws RangeError as {@link offPolicyFromSums}.
 */
export function whatIf(
  groups: readonly WeightedSums[],
  options: {
    variants: readonly string[];
    controlId: string;
    shares?: Shares;
    observed?: Counts;
    alpha?: number;
  },
): WhatIf {
  const { variants, alpha = 0.05 } = options;
  const known = new Set(variants);
  const rows = groups.filter((g) => known.has(g.variantId));
  const N = rows.reduce((a, g) => a + g.n, 0);
  const uniform = pick(offPolicyFromSums(rows, () => 1 / variants.length, N, alpha));

  const contexts = weightedContexts(rows, variants, alpha);
  const pooled = weightedVariants(rows, variants, options.controlId, alpha);
  let pooledBest = variants[0] ?? '';
  let bestRate = -1;
  for (const v of pooled) {
    if (v.rate > bestRate) {
      bestRate = v.rate;
      pooledBest = v.id;
    }
  }
  const bestFixed = pick(offPolicyFromSums(rows, bestFixedPolicy(contexts, pooledBest), N, alpha));

  let current: PolicyEstimate | undefined;
  const shares = options.shares;
  if (shares && shares.pooled.length === variants.length) {
    const index = new Map(variants.map((id, i) => [id, i]));
    const q = (variantId: string, context: string) => {
      const own = shares.contexts[context];
      const row = own && own.length === variants.length ? own : shares.pooled;
      return row[index.get(variantId) ?? -1] ?? 0;
    };
    current = pick(offPolicyFromSums(rows, q, N, alpha));
  }
  const logged = loggedValue(options.observed ?? { n: 0, x: 0 }, alpha);
  return current ? { uniform, current, bestFixed, logged } : { uniform, bestFixed, logged };
}
