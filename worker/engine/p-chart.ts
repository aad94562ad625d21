/**
 * @module p-chart
 * Shewhart p-chart (statistical process control) of a variant's click-through or conversion rate, per
 * minute or per aggregated bucket, for the dashboard: a center line from a baseline, 3-sigma limits that
 * widen where a point has few observations, and the points out of control. It flags; it never acts (the
 * guardrails do that, with a bound that accounts for a day of looks; a 3-sigma chart of 1440 stable
 * points shows a few false signals a day by design).
 */

import { type MinuteBucket, metricCounts, type RateMetric } from './guardrails.ts';

export interface PChartOptions {
  /** Minutes per point (default 1); points start at multiples of it in unix minutes. */
  aggregate?: number;
  /** Unix minutes [from, to) of the points to draw (default: every bucket of the variant). */
  from?: number;
  to?: number;
  /** Unix minutes [from, to) whose points define the center line (default: all drawn points). */
  baseline?: { from: number; to: number };
  /** Also flag Western Electric rule 2: two of three consecutive points beyond 2 sigma on the same side. */
  westernElectric?: boolean;
}

export interface PChartPoint {
  /** First unix minute of the point. */
  minute: number;
  n: number;
  rate: number;
  lcl: number;
  ucl: number;
  out: boolean;
  /** Which rule flagged the point, when `out`. */
  signal?: 'beyond-3-sigma' | 'two-of-three-beyond-2-sigma';
}

export interface PChart {
  center: number;
  points: PChartPoint[];
}

/**
 * The p-chart of `variant`'s `metric` (Montgomery, Introduction to Statistical Quality Control, 7th ed.,
 * §7.2, variable sample size): center p̄ = Σx / Σn over the baseline points, limits per point
 * p̄ ± 3 sqrt(p̄(1 - p̄) / n_i) clipped to [0, 1]; a point is out of control when its rate is outside them.
 * Points with no observations are left out (a gap in the chart, not a zero). With an empty baseline the
 * center is 0 and nothing is flagged (limits [0, 1]): there is nothing to compare with yet.
 */
export function pChart(
  buckets: readonly MinuteBucket[],
  variant: string,
  metric: RateMetric,
  options: PChartOptions = {},
): PChart {
  const { aggregate = 1, from = Number.NEGATIVE_INFINITY, to = Number.POSITIVE_INFINITY } = options;
  if (!(Number.isInteger(aggregate) && aggregate >= 1))
    throw new RangeError(`pChart: aggregate must be a positive integer, got ${aggregate}`);
  const byStart = new Map<number, { n: number; x: number }>();
  for (const bucket of buckets) {
    if (bucket.variant !== variant || bucket.minute < from || bucket.minute >= to) continue;
    const start = Math.floor(bucket.minute / aggregate) * aggregate;
    const sums = byStart.get(start) ?? { n: 0, x: 0 };
    const { n, x } = metricCounts(
      {
        impressions: bucket.impressions,
        clicks: bucket.clicks,
        exposures: bucket.exposures,
        conversions: bucket.conversions,
        sessions: bucket.sessions ?? 0,
        multiPageSessions: bucket.multiPageSessions ?? 0,
      },
      metric,
    );
    sums.n += n;
    sums.x += x;
    byStart.set(start, sums);
  }
  const groups = [...byStart.entries()].filter(([, s]) => s.n > 0).sort(([a], [b]) => a - b);

  const inBaseline = (minute: number) =>
    options.baseline === undefined || (minute >= options.baseline.from && minute < options.baseline.to);
  let baseN = 0;
  let baseX = 0;
  for (const [minute, s] of groups) {
    if (!inBaseline(minute)) continue;
    baseN += s.n;
    baseX += Math.min(s.x, s.n);
  }
  if (baseN === 0) {
    return {
      center: 0,
      points: groups.map(([minute, s]) => ({
        minute,
        n: s.n,
        rate: Math.min(1, s.x / s.n),
        lcl: 0,
        ucl: 1,
        out: false,
      })),
    };
  }
  const center = baseX / baseN;

  // Side (+1 above, -1 below) of the points beyond 2 sigma, for rule 2; 0 otherwise.
  const beyond2: number[] = [];
  const points = groups.map(([minute, s], i): PChartPoint => {
    const rate = Math.min(1, s.x / s.n);
    const sigma = Math.sqrt((center * (1 - center)) / s.n);
    const lcl = Math.max(0, center - 3 * sigma);
    const ucl = Math.min(1, center + 3 * sigma);
    const point: PChartPoint = { minute, n: s.n, rate, lcl, ucl, out: false };
    if (rate < lcl || rate > ucl) {
      point.out = true;
      point.signal = 'beyond-3-sigma';
    }
    // With sigma = 0 (a center of 0 or 1) any other rate is infinitely many sigmas away.
    const z =
      rate === center
        ? 0
        : sigma === 0
          ? Math.sign(rate - center) * Number.POSITIVE_INFINITY
          : (rate - center) / sigma;
    beyond2[i] = z > 2 ? 1 : z < -2 ? -1 : 0;
    if (options.westernElectric && !point.out && beyond2[i] !== 0) {
      const side = beyond2[i];
      const previous = [beyond2[i - 1], beyond2[i - 2]].filter((b) => b === side).length;
      if (previous >= 1) {
        point.out = true;
        point.signal = 'two-of-three-beyond-2-sigma';
      }
    }
    return point;
  });
  return { center, points };
}
