/**
 * @module guardrails
 * Guardrail rules of a campaign, evaluated every minute over sliding windows of minute buckets: a rule
 * pauses (or swaps) a non-control variant once its click-through, conversion rate, bounce rate, pages per
 * session or engaged time per session is below (above) a threshold with enough evidence to survive a day
 * of minute-by-minute looks. Also which variant a paused variant's visitors see instead. Pure: the caller
 * loads the buckets and persists the actions.
 *
 * The statistics (see docs/guardrails.md): for rates an exact one-sided Clopper–Pearson bound of the
 * windowed rate, for the two means an exact test of capped per-session values (mean-bounds.ts), each at
 * level alpha / looks (Bonferroni over the day's 1440 evaluations). A confidence sequence would spend
 * less of alpha per look, but its time-uniform guarantee is for a growing sample; a sliding window drops
 * old observations, so the looks see different samples and only a union bound covers them all, whatever
 * the overlap between windows.
 */

import { binomialCdf, binomialSf, clopperPearsonLower, clopperPearsonUpper } from './binomial-bounds.ts';
import { BETS, type MeanRange, type MeanSums, meanBound, meanTestRejects } from './mean-bounds.ts';
import {
  EMPTY_SECONDARY,
  isSecondaryMetric,
  SESSION_ENGAGED_CAP_MS,
  SESSION_PAGES_CAP,
  type SecondarySums,
} from './secondary.ts';
import type { Counts } from './stats.ts';

/**
 * `ctr`: clicks per viewable impression; `conversion:<goal>`: converted visitors per exposed visitor;
 * `bounce`: single-page sessions per session (`above` only); `pagesPerSession` and `engagedTime`
 * (engaged seconds): means per session of what each did in its first session timeout, capped (see
 * {@link SESSION_MEAN_METRICS}). The session metrics read the sessions that started in the window
 * shifted back by the session lag (see {@link GuardrailInput.bounceLagMs}).
 */
export type GuardrailMetric = 'ctr' | 'bounce' | SessionMeanMetric | `conversion:${string}`;

export type SessionMeanMetric = 'pagesPerSession' | 'engagedTime';

/** The metrics that are rates: successes of trials, with binomial bounds. */
export type RateMetric = Exclude<GuardrailMetric, SessionMeanMetric>;

/**
 * The mean metrics and where their per-session values lie, the range the exact test needs: every session
 * has at least one page, and the counters cap a session at {@link SESSION_PAGES_CAP} pages and
 * {@link SESSION_ENGAGED_CAP_MS} engaged ms. A threshold is strictly inside the range.
 */
export const SESSION_MEAN_METRICS: Readonly<Record<SessionMeanMetric, MeanRange & { unit: string }>> = {
  pagesPerSession: { lower: 1, upper: SESSION_PAGES_CAP, unit: 'pages' },
  engagedTime: { lower: 0, upper: SESSION_ENGAGED_CAP_MS / 1000, unit: 'seconds' },
};

export const isSessionMeanMetric = (m: string): m is SessionMeanMetric =>
  m === 'pagesPerSession' || m === 'engagedTime';

/** The metrics whose unit is the session, read a session lag back. */
const isSessionMetric = (m: string) => m === 'bounce' || isSessionMeanMetric(m);

/** One entry of a campaign's `guardrails` (see the contract). Exactly one of `below` and `above`. */
export interface GuardrailRule {
  metric: GuardrailMetric;
  below?: number;
  above?: number;
  /** Sliding window, `"<N>m"` or `"<N>h"`, from 1 minute to 24 hours. */
  window: string;
  /** Observations in the window (viewable impressions for ctr, exposed visitors for conversions, sessions for the session metrics) before it may fire. */
  min: number;
  action: 'pause' | 'swap';
  /** The variant a `swap` shows instead. */
  to?: string;
}

/** What one variant collected in one minute. `minute` is the unix minute, floor(ms / 60 000). */
export interface MinuteBucket {
  minute: number;
  variant: string;
  /** Viewable impressions of the slot. */
  impressions: number;
  clicks: number;
  /** Visitors exposed to the variant in this minute. */
  exposures: number;
  /** Converted visitors per goal. */
  conversions: Record<string, number>;
  /** Sessions that started in this minute (absent: none), and how many of them reached a second page. */
  sessions?: number;
  multiPageSessions?: number;
  /** The other counters of those sessions (pageviews, engaged ms, their squares and excess), absent: none. */
  secondary?: Partial<SecondarySums>;
}

export interface WindowTotals {
  impressions: number;
  clicks: number;
  exposures: number;
  conversions: Record<string, number>;
  sessions: number;
  multiPageSessions: number;
  secondary: SecondarySums;
}

/** A guardrail action already in force (from the audit log, not undone): it is not emitted again. */
export interface ActiveAction {
  variant: string;
  /** Index of the rule in the campaign's `guardrails`. */
  rule: number;
  /** The rule's {@link ruleText} when it fired; if given and the rule at that index changed since, it no longer matches. */
  text?: string;
}

export interface GuardrailEvidence {
  metric: GuardrailMetric;
  window: string;
  /** Viewable impressions (ctr), exposed visitors (conversion) or sessions (session metrics) in the window. */
  observations: number;
  /** Rates: clicks, conversions or single-page sessions in the window. */
  successes?: number;
  /** Session metrics: the sessions counted started in [now - lag - window, now - lag), lag in minutes */
  lagMinutes?: number;
  /** Rates: successes / observations. */
  rate?: number;
  /** Means: the mean of the sessions' capped values (pages, or engaged seconds). */
  mean?: number;
  /** Means: where each session's value lies, [lower, cap]. */
  range?: [number, number];
  /**
   * The one-sided bound at level `alpha`, upper for `below`, lower for `above`: Clopper–Pearson for
   * rates, the inverted exact mean test for means.
   */
  bound: number;
  threshold: number;
  /** The per-look level: the rule's alpha divided by the looks it is spread over. */
  alpha: number;
  method: string;
}

export interface GuardrailAction {
  /** The evaluation time (unix ms). */
  at: number;
  campaign: string;
  variant: string;
  rule: { index: number; text: string };
  action: 'pause' | 'swap';
  to?: string;
  evidence: GuardrailEvidence;
}

export interface GuardrailInput {
  campaign: string;
  control: string;
  /** All variant ids of the campaign, the control included (it is never evaluated). */
  variants: readonly string[];
  rules: readonly GuardrailRule[];
  /** Minute buckets covering at least the longest window (others are ignored). */
  buckets: readonly MinuteBucket[];
  /** Evaluation time, unix ms. */
  now: number;
  /** Chance of a false action per variant, rule and day of looks (default 0.01). */
  alpha?: number;
  /** The number of evaluations alpha is shared among (default 1440: one a minute for 24 hours). */
  looks?: number;
  active?: readonly ActiveAction[];
  /**
   * How far back the session metrics' windows are shifted (ms; default {@link DEFAULT_BOUNCE_LAG_MS}): a
   * session's second page can come until the session timeout after its first, and the means count what
   * a session does in its first session timeout, so only sessions that started at least that long ago
   * are complete. Pass the document's session timeout plus a minute (the beacon's write and the cron's
   * schedule).
   */
  bounceLagMs?: number;
}

const MINUTE_MS = 60_000;
const MAX_WINDOW_MS = 24 * 60 * MINUTE_MS;
export const DEFAULT_GUARDRAIL_ALPHA = 0.01;
export const DEFAULT_LOOKS = 1440;
/** The default session timeout (30 minutes) plus a minute. */
export const DEFAULT_BOUNCE_LAG_MS = 31 * MINUTE_MS;

/** The bounce lag for a session timeout: the timeout plus a minute, in whole minutes. */
export const bounceLagFor = (sessionTimeoutMs: number): number =>
  Math.ceil(sessionTimeoutMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS;

/** A window such as `"5m"` or `"1h"` in milliseconds, or null if malformed or outside 1 minute to 24 hours. */
export function parseWindow(window: string): number | null {
  const match = /^([1-9]\d{0,4})([mh])$/.exec(window);
  if (!match) return null;
  const ms = Number(match[1]) * (match[2] === 'h' ? 60 : 1) * MINUTE_MS;
  return ms <= MAX_WINDOW_MS ? ms : null;
}

/**
 * Why a rule cannot be evaluated (naming the field), or null when it is sound. The document parser should
 * reject such rules when the campaign is saved; {@link evaluateGuardrails} skips them (failing open).
 */
export function guardrailRuleError(rule: GuardrailRule, variants: readonly string[]): string | null {
  if (
    !(
      rule.metric === 'ctr' ||
      rule.metric === 'bounce' ||
      isSessionMeanMetric(rule.metric) ||
      /^conversion:.+$/.test(rule.metric)
    )
  )
    return `metric: expected "ctr", "bounce", "pagesPerSession", "engagedTime" or "conversion:<goal>", got "${rule.metric}"`;
  if ((rule.below === undefined) === (rule.above === undefined)) return 'exactly one of below and above';
  if (rule.metric === 'bounce' && rule.below !== undefined)
    return 'below: a bounce rule guards against too many bounces; use above';
  const threshold = rule.below ?? rule.above;
  const side = rule.below === undefined ? 'above' : 'below';
  if (isSessionMeanMetric(rule.metric)) {
    const { lower, upper, unit } = SESSION_MEAN_METRICS[rule.metric];
    if (!(typeof threshold === 'number' && threshold > lower && threshold < upper))
      return `${side}: expected ${unit} per session strictly between ${lower} and ${upper} (the cap)`;
  } else if (!(typeof threshold === 'number' && threshold > 0 && threshold < 1))
    return `${side}: expected a rate strictly between 0 and 1`;
  if (parseWindow(rule.window) === null)
    return `window: expected "<N>m" or "<N>h" from 1m to 24h, got "${rule.window}"`;
  if (!(Number.isInteger(rule.min) && rule.min >= 0)) return 'min: expected a non-negative integer';
  if (rule.action !== 'pause' && rule.action !== 'swap') return 'action: expected "pause" or "swap"';
  if (rule.action === 'swap' && !(rule.to !== undefined && variants.includes(rule.to)))
    return `to: a swap needs the id of a variant of the campaign, got ${rule.to === undefined ? 'none' : `"${rule.to}"`}`;
  return null;
}

/**
 * The fewest sessions a mean rule's window must hold before it can fire at all: with every session at
 * the floor (1 page, 0 s) for `below`, at the cap for `above`, the smallest n the exact test rejects at
 * alpha / looks. Below it the rule cannot act whatever the variant does, so a `min` under it is no
 * protection and a window that never holds it is no guardrail (the lint says so).
 */
export function fewestSessionsToFire(
  metric: SessionMeanMetric,
  side: 'below' | 'above',
  threshold: number,
  alpha = DEFAULT_GUARDRAIL_ALPHA,
  looks = DEFAULT_LOOKS,
): number {
  const range = SESSION_MEAN_METRICS[metric];
  const x = side === 'below' ? range.lower : range.upper;
  const fires = (n: number) =>
    meanTestRejects({ n, sum: n * x, sumSq: n * x * x }, threshold, side, range, alpha / looks);
  // the evidence of identical sessions grows with n: double, then bisect
  let hi = 1;
  while (!fires(hi)) hi *= 2;
  let lo = hi / 2;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fires(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** A rule in one line, for the audit log: `ctr below 0.02 over 5m (min 100): pause`. */
export function ruleText(rule: GuardrailRule): string {
  const comparison = rule.below === undefined ? `above ${rule.above}` : `below ${rule.below}`;
  const action = rule.action === 'swap' ? `swap to ${rule.to}` : rule.action;
  return `${rule.metric} ${comparison} over ${rule.window} (min ${rule.min}): ${action}`;
}

/**
 * The variant's counts over the window [now - windowMs, now): every minute bucket fully or partly inside,
 * so between a minute's boundaries the window reaches one minute further back (at a boundary, where the
 * cron runs, it is exactly windowMs / 60 000 complete minutes).
 */
export function windowTotals(
  buckets: readonly MinuteBucket[],
  variant: string,
  now: number,
  windowMs: number,
): WindowTotals {
  const first = Math.floor((now - windowMs) / MINUTE_MS);
  const last = Math.ceil(now / MINUTE_MS) - 1;
  const totals: WindowTotals = {
    impressions: 0,
    clicks: 0,
    exposures: 0,
    conversions: {},
    sessions: 0,
    multiPageSessions: 0,
    secondary: { ...EMPTY_SECONDARY },
  };
  for (const bucket of buckets) {
    if (bucket.variant !== variant || bucket.minute < first || bucket.minute > last) continue;
    totals.impressions += bucket.impressions;
    totals.clicks += bucket.clicks;
    totals.exposures += bucket.exposures;
    totals.sessions += bucket.sessions ?? 0;
    totals.multiPageSessions += bucket.multiPageSessions ?? 0;
    const secondary = bucket.secondary;
    if (secondary)
      for (const metric in secondary)
        if (isSecondaryMetric(metric)) totals.secondary[metric] += secondary[metric] ?? 0;
    for (const [goal, count] of Object.entries(bucket.conversions)) {
      totals.conversions[goal] = (totals.conversions[goal] ?? 0) + count;
    }
  }
  return totals;
}

/**
 * The rule's trials and successes in the window. Successes are capped at the trials: counters written
 * on different paths can disagree by a late beacon, and a rate above 1 is no evidence of anything. For
 * bounce the successes are the sessions without a second page (multi-page sessions capped at the
 * sessions, so a lost session start never makes bounces negative).
 */
export function metricCounts(totals: Omit<WindowTotals, 'secondary'>, metric: RateMetric): Counts {
  if (metric === 'bounce') {
    const n = Math.max(0, Math.floor(totals.sessions));
    return { n, x: n - Math.min(n, Math.max(0, Math.floor(totals.multiPageSessions))) };
  }
  const n = metric === 'ctr' ? totals.impressions : totals.exposures;
  const x = metric === 'ctr' ? totals.clicks : (totals.conversions[metric.slice('conversion:'.length)] ?? 0);
  const trials = Math.max(0, Math.floor(n));
  return { n: trials, x: Math.min(trials, Math.max(0, Math.floor(x))) };
}

/**
 * The per-session sums of a mean metric over the window: the sessions, and each session's capped value
 * (counter minus its excess) summed and summed squared. Engaged seconds² are stored rounded per
 * session, so the true sum of squares is at most n/2 above the stored one: that much is added, which
 * can only weaken the evidence. Sums no values in the range could have are clamped by the test.
 */
export function meanSums(totals: WindowTotals, metric: SessionMeanMetric): MeanSums {
  const c = totals.secondary;
  const n = Math.max(0, Math.floor(totals.sessions));
  return metric === 'pagesPerSession'
    ? { n, sum: c.pageviews - c.pageviews_excess, sumSq: c.pageviews_sq - c.pageviews_sq_excess }
    : {
        n,
        sum: (c.engaged_ms - c.engaged_ms_excess) / 1000,
        sumSq: c.engaged_s2 - c.engaged_s2_excess + n / 2,
      };
}

/**
 * The actions the rules call for at `now`. A rule fires for a non-control variant when the window holds
 * at least `min` observations and the exact one-sided Clopper–Pearson bound at level alpha / looks is on
 * the far side of the threshold: for `below: t`, P(X <= k | n, t) < alpha / looks, which is the same as
 * the upper bound being below t (and mirrored for `above`). The chance that a variant whose rate is at
 * or beyond the threshold (on the allowed side) triggers any one rule during a day of looks is at most
 * alpha, whatever the window and however much the windows overlap (union bound); see docs/guardrails.md
 * for the measured rate. Actions in `active` (same variant and rule) are not emitted again. A `bounce`
 * rule counts the sessions that started in the window shifted back by `bounceLagMs` (each then known to
 * be a bounce or not) and fires when the lower bound of their bounce rate is above the threshold. The
 * mean rules read the same sessions and fire when the exact mean test (mean-bounds.ts) rejects "the
 * mean is at or above (below) the threshold" at alpha / looks: for every distribution of the capped
 * per-session values, not only the normal.
 *
 * @example
 * evaluateGuardrails({ campaign: 'hero', control: 'a', variants: ['a', 'b'], now,
 *   rules: [{ metric: 'ctr', below: 0.02, window: '15m', min: 1000, action: 'pause' }], buckets })
 */
export function evaluateGuardrails(input: GuardrailInput): GuardrailAction[] {
  const {
    alpha = DEFAULT_GUARDRAIL_ALPHA,
    looks = DEFAULT_LOOKS,
    active = [],
    bounceLagMs = DEFAULT_BOUNCE_LAG_MS,
  } = input;
  if (!(alpha > 0 && alpha < 1))
    throw new RangeError(`evaluateGuardrails: alpha must be in (0, 1), got ${alpha}`);
  if (!(Number.isInteger(looks) && looks >= 1))
    throw new RangeError(`evaluateGuardrails: looks must be a positive integer, got ${looks}`);
  if (!(Number.isFinite(bounceLagMs) && bounceLagMs >= 0))
    throw new RangeError(`evaluateGuardrails: bounceLagMs must be >= 0, got ${bounceLagMs}`);
  const level = alpha / looks;
  const method = `Clopper-Pearson one-sided exact bound at alpha ${alpha} / ${looks} looks (Bonferroni)`;
  const meanMethod = (r: MeanRange) =>
    `exact test of a mean of values in [${r.lower}, ${r.upper}] (self-normalized e-value, Fan-Grama-Liu, ${BETS.length} fixed bets) at alpha ${alpha} / ${looks} looks (Bonferroni)`;
  const actions: GuardrailAction[] = [];
  input.rules.forEach((rule, index) => {
    if (guardrailRuleError(rule, input.variants) !== null) return;
    const windowMs = parseWindow(rule.window) ?? 0;
    const text = ruleText(rule);
    // session metrics: the sessions of the window shifted back by the lag, each complete
    const lag = isSessionMetric(rule.metric) ? bounceLagMs : 0;
    const below = rule.below !== undefined;
    const threshold = rule.below ?? rule.above ?? 0;
    for (const variant of input.variants) {
      if (variant === input.control) continue;
      if (active.some((a) => a.variant === variant && a.rule === index && (a.text ?? text) === text))
        continue;
      const totals = windowTotals(input.buckets, variant, input.now - lag, windowMs);
      const act = (evidence: GuardrailEvidence) =>
        actions.push({
          at: input.now,
          campaign: input.campaign,
          variant,
          rule: { index, text },
          action: rule.action,
          ...(rule.action === 'swap' && rule.to !== undefined ? { to: rule.to } : {}),
          evidence,
        });
      const metric = rule.metric;
      if (isSessionMeanMetric(metric)) {
        const range = SESSION_MEAN_METRICS[metric];
        const sums = meanSums(totals, metric);
        if (sums.n === 0 || sums.n < rule.min) continue;
        const side = below ? 'below' : 'above';
        if (!meanTestRejects(sums, threshold, side, range, level)) continue;
        const clamped = Math.min(range.upper, Math.max(range.lower, sums.sum / sums.n));
        act({
          metric: rule.metric,
          window: rule.window,
          observations: sums.n,
          mean: clamped,
          range: [range.lower, range.upper],
          bound: meanBound(sums, side, range, level, threshold),
          threshold,
          alpha: level,
          method: meanMethod(range),
          lagMinutes: lag / MINUTE_MS,
        });
        continue;
      }
      const { n, x } = metricCounts(totals, metric);
      if (n === 0 || n < rule.min) continue;
      const tail = below ? binomialCdf(x, n, threshold) : binomialSf(x, n, threshold);
      if (!(tail < level)) continue;
      const bound = below ? clopperPearsonUpper(x, n, level) : clopperPearsonLower(x, n, level);
      act({
        metric: rule.metric,
        window: rule.window,
        observations: n,
        successes: x,
        rate: x / n,
        bound,
        threshold,
        alpha: level,
        method,
        ...(rule.metric === 'bounce' ? { lagMinutes: lag / MINUTE_MS } : {}),
      });
    }
  });
  return actions;
}

/** A guardrail action in force on a variant, as far as routing its visitors is concerned. */
export interface StoppedVariant {
  action: 'pause' | 'swap';
  to?: string;
}

export interface FallbackInput {
  control: string;
  variants: readonly string[];
  /** Paused or swapped variants by id; an entry for the control is ignored (guardrails never stop it). */
  stopped: Readonly<Record<string, StoppedVariant>>;
  /** Per variant, trials and successes of the metric to rank by (e.g. the rule's metric over the last day). */
  counts: Readonly<Record<string, Counts>>;
  /** One-sided level of each bound in the comparison with the control (default 0.01). */
  alpha?: number;
}

export interface Fallback {
  variant: string;
  reason: 'swap' | 'best-other' | 'control';
}

/**
 * Which variant the visitors of each stopped variant see instead:
 * 1. a `swap` to a variant that is itself running (or the control): that variant;
 * 2. otherwise (a pause, or a swap whose target is stopped too) the best other running non-control
 *    variant, ranked by the one-sided Clopper–Pearson lower bound of its rate, but only when that lower
 *    bound is above the control's upper bound at the same level, i.e. it is clearly better than the
 *    control. Ranking by the lower bound keeps a variant with a lucky handful of visitors from winning;
 * 3. else the control, the campaign's known-safe default.
 *
 * @example pausedVariantFallback({ control: 'a', variants: ['a', 'b'], stopped: { b: { action: 'pause' } }, counts: {} })
 * // { b: { variant: 'a', reason: 'control' } }
 */
export function pausedVariantFallback(input: FallbackInput): Record<string, Fallback> {
  const { control, variants, stopped, counts, alpha = DEFAULT_GUARDRAIL_ALPHA } = input;
  const isRunning = (id: string) => variants.includes(id) && (id === control || stopped[id] === undefined);
  const empty: Counts = { n: 0, x: 0 };
  const controlCounts = counts[control] ?? empty;
  const controlUpper = clopperPearsonUpper(controlCounts.x, controlCounts.n, alpha);
  let best: { variant: string; lower: number } | null = null;
  for (const id of variants) {
    if (id === control || !isRunning(id)) continue;
    const c = counts[id] ?? empty;
    const lower = clopperPearsonLower(c.x, c.n, alpha);
    if (lower > controlUpper && (best === null || lower > best.lower)) best = { variant: id, lower };
  }
  const fallback: Fallback = best
    ? { variant: best.variant, reason: 'best-other' }
    : { variant: control, reason: 'control' };
  const result: Record<string, Fallback> = {};
  for (const [id, state] of Object.entries(stopped)) {
    if (id === control || !variants.includes(id)) continue;
    result[id] =
      state.action === 'swap' && state.to !== undefined && state.to !== id && isRunning(state.to)
        ? { variant: state.to, reason: 'swap' }
        : fallback;
  }
  return result;
}
