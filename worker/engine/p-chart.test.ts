/**
 * @module
 * The p-chart: limits against hand-computed values (python3 -c "import math; ..." quoted beside them), a
 * shifted segment of simulated minutes (hidden true rates) flagged out of control, Western Electric rule 2.
 */

import { describe, expect, it } from 'vitest';
import { mulberry32 } from './bandit.ts';
import { sampleBinomial } from './guardrail-simulation.ts';
import type { MinuteBucket } from './guardrails.ts';
import { pChart } from './p-chart.ts';

function ctrBucket(minute: number, impressions: number, clicks: number, variant = 'b'): MinuteBucket {
  return { minute, variant, impressions, clicks, exposures: 0, conversions: {} };
}

describe('pChart', () => {
  it('computes the center over the baseline and 3-sigma limits per point size', () => {
    const buckets = [
      ctrBucket(0, 100, 2),
      ctrBucket(1, 200, 3),
      ctrBucket(2, 100, 1),
      ctrBucket(3, 100, 2),
      ctrBucket(4, 100, 6),
      ctrBucket(4, 100, 90, 'other-variant'),
    ];
    const chart = pChart(buckets, 'b', 'ctr', { baseline: { from: 0, to: 4 } });
    expect(chart.center).toBe(8 / 500);
    // p = 8 / 500; math.sqrt(p * (1 - p) / n): ucl = p + 3 s; p - 3 s is negative, so lcl clips to 0
    // n = 100: 0.053642529139259494 (and -0.0216...); n = 200: 0.0426172876153826 (and -0.0106...)
    const [p0, p1, , , p4] = chart.points;
    expect(p0).toMatchObject({ minute: 0, n: 100, rate: 0.02, lcl: 0, out: false });
    expect(p0!.ucl).toBeCloseTo(0.053642529139259494, 15);
    expect(p1).toMatchObject({ minute: 1, n: 200, rate: 0.015, lcl: 0, out: false });
    expect(p1!.ucl).toBeCloseTo(0.0426172876153826, 15);
    // 6 / 100 = 0.06 is above 0.0536: out of control
    expect(p4).toMatchObject({ minute: 4, rate: 0.06, out: true, signal: 'beyond-3-sigma' });
    expect(chart.points).toHaveLength(5);
  });

  it('aggregates minutes into aligned buckets and leaves empty ones out', () => {
    const buckets = [ctrBucket(10, 50, 1), ctrBucket(12, 50, 3), ctrBucket(15, 0, 0), ctrBucket(21, 100, 2)];
    const chart = pChart(buckets, 'b', 'ctr', { aggregate: 5 });
    expect(chart.points.map((p) => [p.minute, p.n, p.rate])).toEqual([
      [10, 100, 0.04],
      [20, 100, 0.02],
    ]);
    expect(chart.center).toBe(0.03);
  });

  it('charts conversions per exposed visitor', () => {
    const bucket: MinuteBucket = {
      minute: 0,
      variant: 'b',
      impressions: 10,
      clicks: 9,
      exposures: 40,
      conversions: { buy: 2 },
    };
    expect(pChart([bucket], 'b', 'conversion:buy').points[0]).toMatchObject({ n: 40, rate: 0.05 });
    expect(pChart([bucket], 'b', 'conversion:none').points[0]).toMatchObject({ n: 40, rate: 0 });
  });

  it('flags a shifted segment of simulated minutes and (almost) none of the stable ones', () => {
    // 60 minutes at a true CTR of 0.05, then 10 at 0.15, 400 impressions each; baseline = the first 60.
    // With p = 0.05, n = 400 the limits are 0.0173 .. 0.0827 (python: p + 3 * math.sqrt(p * (1 - p) / 400)), so
    // a stable minute is out when X >= 34 or X <= 6: binom.sf(33, 400, .05) + binom.cdf(6, 400, .05) = 0.00227,
    // and P(3 or more of 60) = binom.sf(2, 60, 0.00227) = 0.00036. A shifted minute stays inside only when
    // X <= 33 at p = 0.15: binom.cdf(33, 400, 0.15) = 3.5e-5.
    const random = mulberry32(2024);
    const buckets: MinuteBucket[] = [];
    for (let minute = 0; minute < 70; minute++) {
      buckets.push(ctrBucket(minute, 400, sampleBinomial(400, minute < 60 ? 0.05 : 0.15, random)));
    }
    const chart = pChart(buckets, 'b', 'ctr', { baseline: { from: 0, to: 60 } });
    expect(chart.center).toBeGreaterThan(0.045);
    expect(chart.center).toBeLessThan(0.055);
    const stable = chart.points.filter((p) => p.minute < 60);
    const shifted = chart.points.filter((p) => p.minute >= 60);
    expect(stable.filter((p) => p.out).length).toBeLessThanOrEqual(2);
    expect(shifted.every((p) => p.out && p.signal === 'beyond-3-sigma')).toBe(true);
  });

  it('Western Electric rule 2: two of three consecutive points beyond 2 sigma on one side', () => {
    // center 0.1 from a large baseline; points of n = 100 have sigma = 0.03, so 0.17 is z = +2.33 (inside
    // the 3-sigma limit 0.19), 0.03 is z = -2.33, 0.12 is z = +0.67
    const baseline = ctrBucket(0, 10_000, 1000);
    const series = (clicks: number[]) => [baseline, ...clicks.map((x, i) => ctrBucket(i + 1, 100, x))];
    const options = { baseline: { from: 0, to: 1 }, westernElectric: true };

    const sameSide = pChart(series([17, 12, 17]), 'b', 'ctr', options).points.slice(1);
    expect(sameSide.map((p) => p.out)).toEqual([false, false, true]);
    expect(sameSide[2]!.signal).toBe('two-of-three-beyond-2-sigma');

    const opposite = pChart(series([17, 3, 12]), 'b', 'ctr', options).points.slice(1);
    expect(opposite.some((p) => p.out)).toBe(false);

    const off = pChart(series([17, 12, 17]), 'b', 'ctr', { baseline: { from: 0, to: 1 } }).points;
    expect(off.some((p) => p.out)).toBe(false);
  });

  it('flags nothing without a baseline, and anything off a center of 0', () => {
    const empty = pChart([ctrBucket(5, 100, 3)], 'b', 'ctr', { baseline: { from: 0, to: 5 } });
    expect(empty).toEqual({
      center: 0,
      points: [{ minute: 5, n: 100, rate: 0.03, lcl: 0, ucl: 1, out: false }],
    });
    const zero = pChart([ctrBucket(0, 100, 0), ctrBucket(1, 100, 1)], 'b', 'ctr', {
      baseline: { from: 0, to: 1 },
    });
    expect(zero.center).toBe(0);
    expect(zero.points.map((p) => p.out)).toEqual([false, true]);
  });
});
