/**
 * @module guardrail-simulation
 * Simulated days of one variant's minute buckets with a known (hidden) true rate, evaluated by
 * {@link evaluateGuardrails} after every minute exactly as the cron does: the evidence for the false-fire
 * rate in docs/guardrails.md (`node scripts/guardrails-aa.mjs`) and for the tests. Seeded, so every figure
 * can be reproduced.
 */

import { mulberry32 } from './bandit.ts';
import {
  DEFAULT_BOUNCE_LAG_MS,
  evaluateGuardrails,
  type GuardrailAction,
  type GuardrailRule,
  type MinuteBucket,
  parseWindow,
} from './guardrails.ts';

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

export interface SimulationOptions {
  rule: GuardrailRule;
  /** The true rate of the simulated variant (clicks per impression, conversions per exposure, or bounces per session). */
  rate: number;
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
  const { rule, rate, perMinute, days, seed, minutes = 1440 } = options;
  const windowMs = parseWindow(rule.window);
  if (windowMs === null) throw new RangeError(`simulateGuardrailDays: bad window "${rule.window}"`);
  const bounce = rule.metric === 'bounce';
  const lagMs = bounce ? (options.bounceLagMs ?? DEFAULT_BOUNCE_LAG_MS) : 0;
  const keep = (windowMs + lagMs) / 60_000 + 1;
  const random = mulberry32(seed);
  const goal = rule.metric === 'ctr' || bounce ? null : rule.metric.slice('conversion:'.length);
  const result: SimulationResult = { fired: 0, firstFire: [], actions: [] };
  for (let day = 0; day < days; day++) {
    const buckets: MinuteBucket[] = [];
    let first: number | null = null;
    for (let minute = 0; minute < minutes && first === null; minute++) {
      const successes = sampleBinomial(perMinute, rate, random);
      buckets.push(
        bounce
          ? {
              minute,
              variant: 'b',
              impressions: 0,
              clicks: 0,
              exposures: 0,
              conversions: {},
              sessions: perMinute,
              multiPageSessions: perMinute - successes,
            }
          : {
              minute,
              variant: 'b',
              impressions: goal === null ? perMinute : 0,
              clicks: goal === null ? successes : 0,
              exposures: goal === null ? 0 : perMinute,
              conversions: goal === null ? {} : { [goal]: successes },
            },
      );
      if (buckets.length > keep) buckets.shift();
      const actions = evaluateGuardrails({
        campaign: 'sim',
        control: 'a',
        variants: ['a', 'b'],
        rules: [rule],
        buckets,
        now: (minute + 1) * 60_000,
        ...(options.alpha === undefined ? {} : { alpha: options.alpha }),
        ...(options.looks === undefined ? {} : { looks: options.looks }),
        bounceLagMs: lagMs,
      });
      const action = actions[0];
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
