import { describe, expect, it } from 'vitest';
import { buildSeries, largeShareChanges, rollupCuts } from './index.ts';

describe('rollupCuts', () => {
  it('cuts at whole hours 24 h back and whole days 30 days back', () => {
    const now = 1000 * 1440 + 615; // day 1000, 10:15
    const { hourCut, dayCut } = rollupCuts(now);
    expect(hourCut % 60).toBe(0);
    expect(hourCut).toBeLessThanOrEqual(now - 1440);
    expect(hourCut).toBeGreaterThan(now - 1440 - 60);
    expect(dayCut % 1440).toBe(0);
    expect(dayCut).toBeLessThanOrEqual(now - 30 * 1440);
  });
});

describe('buildSeries', () => {
  const now = 1000 * 1440 + 615;
  it('puts minute rows in all three resolutions and rolled rows only in coarser ones', () => {
    const s = buildSeries(
      [
        { variantId: 'a', start: now, size: 1, metric: 'impressions', count: 10 },
        { variantId: 'a', start: now, size: 1, metric: 'clicks', count: 2 },
        { variantId: 'a', start: now - 5, size: 1, metric: 'conversion:buy', count: 1 },
        {
          variantId: 'a',
          start: Math.floor((now - 2000) / 60) * 60,
          size: 60,
          metric: 'impressions',
          count: 7,
        },
        { variantId: 'a', start: (1000 - 10) * 1440, size: 1440, metric: 'exposures', count: 3 },
        { variantId: 'zzz', start: now, size: 1, metric: 'clicks', count: 1 },
      ],
      ['a', 'b'],
      now,
    );
    expect(Object.keys(s)).toEqual(['a', 'b']);
    const a = s.a;
    expect(a?.minute).toHaveLength(60);
    expect(a?.hour).toHaveLength(24);
    expect(a?.day).toHaveLength(30);
    expect(a?.minute.at(-1)).toMatchObject({ impressions: 10, clicks: 2, ctr: 0.2 });
    expect(a?.minute.at(-6)?.conversions).toEqual({ buy: 1 });
    expect(a?.minute.reduce((t, p) => t + p.impressions, 0)).toBe(10);
    // the hourly row is older than 24 h: only in the daily series
    expect(a?.hour.reduce((t, p) => t + p.impressions, 0)).toBe(10);
    expect(a?.day.reduce((t, p) => t + p.impressions, 0)).toBe(17);
    expect(a?.day.reduce((t, p) => t + p.exposures, 0)).toBe(3);
    expect(s.b?.minute.every((p) => p.ctr === null && p.impressions === 0)).toBe(true);
    expect(a?.minute.at(-1)?.at).toBe(new Date(now * 60_000).toISOString());
  });

  it('sums the secondary metrics per session-start bucket, with the bounce rate', () => {
    const s = buildSeries(
      [
        { variantId: 'a', start: now - 1, size: 1, metric: 'sessions', count: 4 },
        { variantId: 'a', start: now - 1, size: 1, metric: 'multi_page_sessions', count: 1 },
        { variantId: 'a', start: now - 1, size: 1, metric: 'pageviews', count: 7 },
        { variantId: 'a', start: now - 1, size: 1, metric: 'engaged_ms', count: 42_000 },
        { variantId: 'a', start: now - 1, size: 1, metric: 'pageviews_sq', count: 19 },
      ],
      ['a'],
      now,
    );
    expect(s.a?.minute.at(-2)).toMatchObject({
      sessions: 4,
      multiPageSessions: 1,
      pageviews: 7,
      engagedMs: 42_000,
      bounceRate: 0.75,
    });
    expect(s.a?.minute.at(-1)?.bounceRate).toBeNull();
    expect(s.a?.day.at(-1)?.bounceRate).toBe(0.75);
  });
});

describe('largeShareChanges', () => {
  it('reports only moves beyond the threshold', () => {
    expect(largeShareChanges(['a', 'b', 'c'], [0.4, 0.3, 0.3], [0.55, 0.35, 0.1])).toEqual([
      { variant: 'a', from: 0.4, to: 0.55 },
      { variant: 'c', from: 0.3, to: 0.1 },
    ]);
    expect(largeShareChanges(['a', 'b'], [0.5, 0.5], [0.58, 0.42])).toEqual([]);
    expect(largeShareChanges(['a', 'b'], undefined, [0.9, 0.1])).toEqual([]);
  });
});
