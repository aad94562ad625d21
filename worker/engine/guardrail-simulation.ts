/**
 * @module guardrail-simulation
 * Simulated days of one variant's minute buckets with a known (hidden) true rate, or per-session values
 * drawn from a known skewed distribution, evaluated by {@link evaluateGuardrails} after every minute
 * exactly as the cron does: the evidence for the false-fire rate in docs/guardrails.md (`node
 * scripts/guardrails-aa.mjs`) and for the tests. Seeded, so every figure can be reproduced.
 */

import { mulberry32 } from './bandit.ts';
import {
  DEFAULT_BOUNCE_LAG_MS,
  DEFAULT_GUARDRAIL_ALPHA,
  DEFAULT_LOOKS,
  evaluateGuardrails,
  type GuardrailAction,
  type GuardrailRule,
  isSessionMeanMetric,
  type MinuteBucket,
  meanSums,
  parseWindow,
  SESSION_MEAN_METRICS,
  type SessionMeanMetric,
  windowTotals,
} from './guardrails.ts';
import { SESSION_ENGAGED_CAP_MS, SESSION_PAGES_CAP, type SecondarySums } from './secondary.ts';
import { normalCdf, studentTQuantile } from './special-functions.ts';

/**
 * A Binomial(n, p) variate by inversion (one uniform; O(np) steps, the means here are small). Falls back
 * to counting Bernoulli trials when P(X = 0) underflows (np beyond ~700).
 */
export function sampleBinomial(n: number, p: number, random: () => number): number {
  if (n === 0 || p <= 0) return 0;
  if (p >= 1) return n;
  let pmf = Math.exp(n * Math.log1p(-p));
  if (pmf === 0) {
    let count = 0;
    for (let i = 0; i < n; i++) if (random() < p) count++;
    return count;
  }
  const odds = p / (1 - p);
  let u = random();
  let k = 0;
  while (u >= pmf && k < n) {
    u -= pmf;
    pmf *= ((n - k) / (k + 1)) * odds;
    k++;
  }
  return k;
}

/** One session's value before the cap: pages (at least 1) or engaged seconds. */
export type SessionSampler = (random: () => number) => number;

/** Pages of a session, geometric on 1, 2, ... with the given mean (> 1): P(pages > k) = (1 - 1/mean)^k. */
export function geometricPages(mean: number): SessionSampler {
  const q = 1 - 1 / mean;
  return (random) => 1 + Math.floor(Math.log(1 - random()) / Math.log(q));
}

/** Its mean once capped at `cap` pages: Σ_{k<cap} P(pages > k) = (1 - q^cap) / (1 - q). */
export const cappedGeometricMean = (mean: number, cap = SESSION_PAGES_CAP): number => {
  const q = 1 - 1 / mean;
  return (1 - q ** cap) * mean;
};

/** Engaged seconds of a session, lognormal: exp(ln(median) + sigma·Z), Z standard normal (Box–Muller). */
export function lognormalSeconds(median: number, sigma: number): SessionSampler {
  return (random) => {
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    return median * Math.exp(sigma * z);
  };
}

/**
 * Its mean once capped at `cap` seconds: E min(X, c) = e^(μ+σ²/2) Φ((ln c - μ - σ²)/σ) + c (1 - Φ((ln c - μ)/σ)),
 * μ = ln(median).
 */
export function cappedLognormalMean(
  median: number,
  sigma: number,
  cap = SESSION_ENGAGED_CAP_MS / 1000,
): number {
  const mu = Math.log(median);
  const c = Math.log(cap);
  return (
    Math.exp(mu + (sigma * sigma) / 2) * normalCdf((c - mu - sigma * sigma) / sigma) +
    cap * (1 - normalCdf((c - mu) / sigma))
  );
}

/** A minute bucket's counters, without its minute and variant. */
type Counters = Omit<MinuteBucket, 'minute' | 'variant'>;
type SecondaryKey = keyof SecondarySums;

/**
 * How the simulation writes one kind of metric: the one place to add a metric. A rate metric draws a
 * minute's successes (Binomial(n, rate)); a mean metric draws each session's value.
 */
interface SimulatedMetric {
  /** What a rule of this metric needs in {@link SimulationOptions}: a true rate or a session sampler. */
  needs: 'rate' | 'session';
  /** Counted by session (bounce, the means): the window is read a session lag back. */
  bySession: boolean;
  /** One minute's counters of `n` observations (those not named are 0), its draws taken from `random`. */
  minute(n: number, options: SimulationOptions, random: () => number, goal: string): Partial<Counters>;
}

const rateMetric = (
  bySession: boolean,
  counters: (n: number, successes: number, goal: string) => Partial<Counters>,
): SimulatedMetric => ({
  needs: 'rate',
  bySession,
  minute: (n, options, random, goal) => counters(n, sampleBinomial(n, options.rate ?? 0, random), goal),
});

/**
 * A mean metric: the counters one minute of sessions writes (as db/measurement.ts would, engine/secondary.ts's
 * arithmetic): the raw values, the squares, and the excess over the cap; `raw` turns a drawn value into the
 * counted unit, `square` is the counted square of one.
 */
const meanMetric = (
  keys: { sum: SecondaryKey; sumSq: SecondaryKey; excess: SecondaryKey; sqExcess: SecondaryKey },
  cap: number,
  raw: (value: number) => number,
  square: (x: number) => number,
): SimulatedMetric => ({
  needs: 'session',
  bySession: true,
  minute: (n, options, random) => {
    const draw = options.session as SessionSampler;
    const values = Array.from({ length: n }, () => draw(random));
    const out: Partial<SecondarySums> = {};
    const add = (k: SecondaryKey, x: number) => {
      out[k] = (out[k] ?? 0) + x;
    };
    for (const v of values) {
      const x = raw(v);
      const kept = Math.min(x, cap);
      add(keys.sum, x);
      add(keys.sumSq, square(x));
      add(keys.excess, x - kept);
      add(keys.sqExcess, square(x) - square(kept));
    }
    return { sessions: n, secondary: out };
  },
});

/** The simulated metrics, by rule metric (`conversion` for every `conversion:<goal>`). */
const SIMULATED_METRICS: Readonly<
  Record<'ctr' | 'conversion' | 'bounce' | SessionMeanMetric, SimulatedMetric>
> = {
  ctr: rateMetric(false, (n, clicks) => ({ impressions: n, clicks })),
  conversion: rateMetric(false, (n, k, goal) => ({ exposures: n, conversions: { [goal]: k } })),
  // a bounce is a session that did not reach a second page
  bounce: rateMetric(true, (n, bounces) => ({ sessions: n, multiPageSessions: n - bounces })),
  pagesPerSession: meanMetric(
    { sum: 'pageviews', sumSq: 'pageviews_sq', excess: 'pageviews_excess', sqExcess: 'pageviews_sq_excess' },
    SESSION_PAGES_CAP,
    (pages) => pages,
    (pages) => pages * pages,
  ),
  engagedTime: meanMetric(
    { sum: 'engaged_ms', sumSq: 'engaged_s2', excess: 'engaged_ms_excess', sqExcess: 'engaged_s2_excess' },
    SESSION_ENGAGED_CAP_MS,
    (seconds) => Math.round(seconds * 1000),
    (ms) => Math.round((ms / 1000) ** 2),
  ),
};

export interface SimulationOptions {
  rule: GuardrailRule;
  /** Rate rules: the true rate of the simulated variant (clicks per impression, conversions per exposure, or bounces per session). */
  rate?: number;
  /** Mean rules (pagesPerSession, engagedTime): draws each session's value. */
  session?: SessionSampler;
  /**
   * Mean rules: `student-t` replaces the engine's exact test by the one-sided Student t bound at the same
   * per-look level (mean ± t·s/√n against the threshold), to measure what that approximation would do.
   */
  method?: 'exact' | 'student-t';
  /** Observations (impressions, exposures or sessions) per minute. */
  perMinute: number;
  days: number;
  seed: number;
  /** Minutes per simulated day (default 1440). */
  minutes?: number;
  alpha?: number;
  looks?: number;
  /** bounce rules: the lag of the window (default the engine's); each minute's sessions are complete */
  bounceLagMs?: number;
}

export interface SimulationResult {
  /** Days on which the rule fired at least once. */
  fired: number;
  /** Per day, the minute (0-based, the bucket just completed) of the first firing, or null. */
  firstFire: (number | null)[];
  /** The action of the first firing of each day that fired. */
  actions: GuardrailAction[];
}

/**
 * Runs `days` independent days; each minute adds one bucket for variant "b" (control "a" gets none: the
 * rule is on b's own rate) and evaluates at the minute's end. A day stops at its first firing.
 */
export function simulateGuardrailDays(options: SimulationOptions): SimulationResult {
  const { rule, perMinute, days, seed, minutes = 1440 } = options;
  const windowMs = parseWindow(rule.window);
  if (windowMs === null) throw new RangeError(`simulateGuardrailDays: bad window "${rule.window}"`);
  const metric = rule.metric;
  const conversion = metric.startsWith('conversion:');
  const goal = conversion ? metric.slice('conversion:'.length) : '';
  const simulated = (SIMULATED_METRICS as Readonly<Record<string, SimulatedMetric | undefined>>)[
    conversion ? 'conversion' : metric
  ];
  if (!simulated) throw new RangeError(`simulateGuardrailDays: unknown metric "${metric}"`);
  const mean = simulated.needs === 'session';
  if (mean ? !options.session : options.rate === undefined)
    throw new RangeError(`simulateGuardrailDays: a ${metric} rule needs ${simulated.needs}`);
  const lagMs = simulated.bySession ? (options.bounceLagMs ?? DEFAULT_BOUNCE_LAG_MS) : 0;
  const keep = (windowMs + lagMs) / 60_000 + 1;
  const random = mulberry32(seed);
  const evaluate =
    mean && options.method === 'student-t'
      ? studentTRule(rule, options.alpha, options.looks, lagMs)
      : (buckets: MinuteBucket[], now: number) =>
          evaluateGuardrails({
            campaign: 'sim',
            control: 'a',
            variants: ['a', 'b'],
            rules: [rule],
            buckets,
            now,
            ...(options.alpha === undefined ? {} : { alpha: options.alpha }),
            ...(options.looks === undefined ? {} : { looks: options.looks }),
            bounceLagMs: lagMs,
          })[0];
  const result: SimulationResult = { fired: 0, firstFire: [], actions: [] };
  for (let day = 0; day < days; day++) {
    const buckets: MinuteBucket[] = [];
    let first: number | null = null;
    for (let minute = 0; minute < minutes && first === null; minute++) {
      buckets.push({
        minute,
        variant: 'b',
        impressions: 0,
        clicks: 0,
        exposures: 0,
        conversions: {},
        ...simulated.minute(perMinute, options, random, goal),
      });
      if (buckets.length > keep) buckets.shift();
      const action = evaluate(buckets, (minute + 1) * 60_000);
      if (action) {
        first = minute;
        result.actions.push(action);
      }
    }
    result.firstFire.push(first);
    if (first !== null) result.fired++;
  }
  return result;
}

/**
 * The rule as a one-sided Student t bound would decide it (not the product's test): with the window's
 * capped per-session values, fire when mean + t·s/√n < threshold (`below`) or mean - t·s/√n > threshold
 * (`above`), t the 1 - alpha/looks quantile with n - 1 degrees of freedom. Only for the A/A comparison.
 */
function studentTRule(
  rule: GuardrailRule,
  alpha = DEFAULT_GUARDRAIL_ALPHA,
  looks = DEFAULT_LOOKS,
  lagMs = DEFAULT_BOUNCE_LAG_MS,
): (buckets: MinuteBucket[], now: number) => GuardrailAction | undefined {
  const metric = rule.metric;
  if (!isSessionMeanMetric(metric)) throw new RangeError('studentTRule: a mean rule only');
  const windowMs = parseWindow(rule.window) ?? 0;
  const level = alpha / looks;
  const threshold = rule.below ?? rule.above ?? 0;
  const quantiles = new Map<number, number>();
  const range = SESSION_MEAN_METRICS[metric];
  return (buckets, now) => {
    const { n, sum, sumSq } = meanSums(windowTotals(buckets, 'b', now - lagMs, windowMs), metric);
    if (n < 2 || n < rule.min) return undefined;
    const mean = sum / n;
    const sd = Math.sqrt(Math.max(0, (sumSq - n * mean * mean) / (n - 1)));
    let t = quantiles.get(n);
    if (t === undefined) {
      t = -studentTQuantile(level, n - 1);
      quantiles.set(n, t);
    }
    const half = (t * sd) / Math.sqrt(n);
    const fires = rule.below !== undefined ? mean + half < threshold : mean - half > threshold;
    if (!fires) return undefined;
    const bound = rule.below !== undefined ? mean + half : mean - half;
    return {
      at: now,
      campaign: 'sim',
      variant: 'b',
      rule: { index: 0, text: 'student-t' },
      action: rule.action,
      evidence: {
        metric,
        window: rule.window,
        observations: n,
        mean,
        range: [range.lower, range.upper],
        bound,
        threshold,
        alpha: level,
        method: `Student t one-sided bound at alpha ${alpha} / ${looks} looks`,
      },
    };
  };
}
