/**
 * @module secondary
 * Secondary metrics of a variant, beside its conversions: sessions, bounce rate, pages per session,
 * engaged time per session and the slot's click-through, each with a 95% interval, from counter sums
 * (db/measurement.ts writes them per session-start minute and day; see docs/measurement.md). Pure.
 *
 * The unit is the session (a visit: pageviews with no gap longer than the session timeout) of a visitor
 * assigned to the campaign when the session started. From sums alone:
 * - bounce rate = 1 − sessions with a second page / sessions, Wilson's score interval (Wilson, JASA 22,
 *   1927): a proportion of sessions;
 * - pages per session and engaged time per session: means over sessions, with Student's t interval from
 *   the per-session sums of squares (pageviews_sq = Σ pages², engaged_s2 = Σ round(engaged seconds²),
 *   kept exact by writing each event's increment of the square). Per-session values are skewed; at the
 *   sample sizes a dashboard reads (hundreds of sessions and more) the central limit theorem makes the
 *   95% interval close to nominal, which is not true in the far tail a guardrail needs: the guardrails
 *   on these two use an exact bound on capped values instead (mean-bounds.ts, docs/guardrails.md);
 * - ctr: clicks per viewable impression, Wilson's interval.
 * Sessions of one visitor are not independent, nor are impressions: the intervals treat them as if
 * they were, so they are somewhat too narrow when visitors have many sessions (impressions) each.
 */
import { wilsonBounds } from './binomial-bounds.ts';
import { normalQuantile, studentTQuantile } from './special-functions.ts';

/** The counter metrics behind the secondary metrics (minute_counts and metric_daily `metric`). */
export type SecondaryMetric =
  | 'sessions'
  | 'multi_page_sessions'
  | 'pageviews'
  | 'pageviews_sq'
  | 'engaged_ms'
  | 'engaged_s2'
  | ExcessMetric;

/**
 * The part of each session the pagesPerSession and engagedTime guardrails leave out (see
 * {@link pageExcess}, {@link engagedExcess}): what the session did past its first `horizon` (the session
 * timeout) or past the cap. Rows are written only when not zero, which for most sessions is never.
 */
export type ExcessMetric =
  | 'pageviews_excess'
  | 'pageviews_sq_excess'
  | 'engaged_ms_excess'
  | 'engaged_s2_excess';

export const SECONDARY_METRICS: readonly SecondaryMetric[] = [
  'sessions',
  'multi_page_sessions',
  'pageviews',
  'pageviews_sq',
  'engaged_ms',
  'engaged_s2',
  'pageviews_excess',
  'pageviews_sq_excess',
  'engaged_ms_excess',
  'engaged_s2_excess',
];

export const isSecondaryMetric = (m: string): m is SecondaryMetric =>
  (SECONDARY_METRICS as readonly string[]).includes(m);

/** Engaged ms as whole seconds squared: an integer, so the per-session increments add up exactly. */
const squareSeconds = (ms: number) => Math.round((ms / 1000) ** 2);

/**
 * The `engaged_s2` increment of an engaged event: the session's round(seconds²) after it minus before
 * it, so the increments of a session telescope to round(its engaged seconds²).
 */
export function engagedSquareIncrement(engagedBeforeMs: number, ms: number): number {
  return squareSeconds(engagedBeforeMs + ms) - squareSeconds(engagedBeforeMs);
}

/**
 * Guardrails on means need values in a known range (docs/guardrails.md: no test of an unbounded mean can
 * be honest), so the guardrail metrics are capped: a session counts at most this many pages ...
 */
export const SESSION_PAGES_CAP = 20;
/** ... and at most this much engaged time (10 minutes). */
export const SESSION_ENGAGED_CAP_MS = 600_000;

/**
 * The excess (`pageviews_excess`, `pageviews_sq_excess`) of a session's `page`-th pageview, `ageMs`
 * after the session started: none while the page is within the cap and the horizon; else the page and
 * its increment of the square, 2k - 1. Pages only come later and older, so the pages left out are the
 * session's last ones and the guardrail's square, pageviews_sq - pageviews_sq_excess, is (pages kept)².
 */
export function pageExcess(page: number, ageMs: number, horizonMs: number): [number, number] {
  return page > SESSION_PAGES_CAP || ageMs > horizonMs ? [1, 2 * page - 1] : [0, 0];
}

/**
 * The excess (`engaged_ms_excess`, `engaged_s2_excess`) of an engaged event of `ms` after
 * `engagedBeforeMs` in its session, `ageMs` after the session started. Within the horizon the session
 * keeps min(engaged, cap) and the excess is what is over the cap; past the horizon all of it is excess.
 * Like `engaged_s2` the square's increments telescope: over a session, engaged_s2 - engaged_s2_excess
 * is round(kept seconds²).
 */
export function engagedExcess(
  engagedBeforeMs: number,
  ms: number,
  ageMs: number,
  horizonMs: number,
): [number, number] {
  if (ageMs > horizonMs) return [ms, engagedSquareIncrement(engagedBeforeMs, ms)];
  const after = engagedBeforeMs + ms;
  const cap = SESSION_ENGAGED_CAP_MS;
  const kept = Math.min(after, cap) - Math.min(engagedBeforeMs, cap);
  const keptSquare = squareSeconds(Math.min(after, cap)) - squareSeconds(Math.min(engagedBeforeMs, cap));
  return [ms - kept, engagedSquareIncrement(engagedBeforeMs, ms) - keptSquare];
}

/** Counter sums of one variant. */
export type SecondarySums = Record<SecondaryMetric, number>;

export const EMPTY_SECONDARY: SecondarySums = {
  sessions: 0,
  multi_page_sessions: 0,
  pageviews: 0,
  pageviews_sq: 0,
  engaged_ms: 0,
  engaged_s2: 0,
  pageviews_excess: 0,
  pageviews_sq_excess: 0,
  engaged_ms_excess: 0,
  engaged_s2_excess: 0,
};

export interface Estimate {
  value: number;
  /** 95% interval */
  ci: [number, number];
}

export interface SecondaryResult {
  /** sessions that started while the visitor was assigned */
  sessions: number;
  /** single-page sessions / sessions, Wilson interval; null without sessions */
  bounceRate: Estimate | null;
  /** pageviews per session, t interval; null without sessions (interval [value, value] with one) */
  pagesPerSession: Estimate | null;
  /** engaged (visible, active) ms per session, t interval; null without sessions */
  engagedMsPerSession: Estimate | null;
  /** the slot's clicks per viewable impression, Wilson interval; null without impressions */
  ctr: Estimate | null;
}

const Z_LEVEL = 0.025;

/** Student's t quantile of the interval; beyond 1000 degrees of freedom the normal one (within 0.1%). */
const quantile = (df: number) =>
  df > 1000 ? normalQuantile(1 - Z_LEVEL) : studentTQuantile(1 - Z_LEVEL, df);

/** Mean and t interval from n, Σx and Σx² (sample variance, clamped at 0 against rounding). */
function meanEstimate(n: number, sum: number, sumSq: number): Estimate | null {
  if (n <= 0) return null;
  const mean = sum / n;
  if (n < 2) return { value: mean, ci: [mean, mean] };
  const variance = Math.max(0, (sumSq - n * mean * mean) / (n - 1));
  const half = quantile(n - 1) * Math.sqrt(variance / n);
  return { value: mean, ci: [Math.max(0, mean - half), mean + half] };
}

/** k of n as a rate with its Wilson 95% interval (k capped at n); null when n is 0. */
export function proportion(k: number, n: number): Estimate | null {
  if (n <= 0) return null;
  const x = Math.min(Math.max(0, Math.round(k)), n);
  return { value: x / n, ci: wilsonBounds(x, n, Z_LEVEL) };
}

/**
 * The secondary metrics of one variant. Counts written on different paths can disagree by a late or
 * lost beacon (a second page counted, its session's start lost): multi-page sessions are capped at the
 * sessions, as guardrails cap successes at trials.
 */
export function secondaryResult(
  sums: Partial<SecondarySums>,
  slot: { impressions: number; clicks: number },
): SecondaryResult {
  const s = { ...EMPTY_SECONDARY, ...sums };
  const n = Math.max(0, Math.floor(s.sessions));
  const multi = Math.min(n, Math.max(0, s.multi_page_sessions));
  return {
    sessions: n,
    bounceRate: proportion(n - multi, n),
    pagesPerSession: meanEstimate(n, s.pageviews, s.pageviews_sq),
    // in seconds (the unit of Σ seconds²), reported in ms
    engagedMsPerSession: (() => {
      const e = meanEstimate(n, s.engaged_ms / 1000, s.engaged_s2);
      return e && { value: e.value * 1000, ci: [e.ci[0] * 1000, e.ci[1] * 1000] };
    })(),
    ctr: proportion(slot.clicks, Math.max(0, Math.floor(slot.impressions))),
  };
}
