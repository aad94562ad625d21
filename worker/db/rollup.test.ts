/**
 * The rollup through real D1: minute rows older than 24 h become hourly rows, hourly rows older than 30
 * days daily rows, totals are kept, and a second run changes nothing. The results API and the dashboard
 * carry the minute series from the beacons' counters.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { Bindings } from '../env.ts';
import { ADMIN, call, collect, eventId, page, putConfig, settle, visitorCookie } from '../test/helpers.ts';
import { readSeries, rollupCounters } from './rollup.ts';

const db = (env as unknown as Bindings).HIO_DB;

async function snapshot(campaign: string) {
  const m = await db
    .prepare(
      'SELECT variant_id, minute, metric, count FROM minute_counts WHERE campaign_id = ? ORDER BY 1, 2, 3',
    )
    .bind(campaign)
    .all();
  const r = await db
    .prepare(
      'SELECT variant_id, resolution, start, metric, count FROM rollup_counts WHERE campaign_id = ? ORDER BY 1, 2, 3, 4',
    )
    .bind(campaign)
    .all();
  return { minutes: m.results, rolled: r.results };
}

describe('rollup of minute counters', () => {
  it('rolls old minutes into hours and old hours into days, idempotently', async () => {
    const now = Date.UTC(2026, 10, 20, 12, 30);
    const nowMinute = Math.floor(now / 60_000);
    const rows: [number, string, number][] = [
      [nowMinute - 10, 'impressions', 5], // recent: stays a minute
      [nowMinute - 1500, 'impressions', 3], // 25 h ago: rolled into its hour
      [nowMinute - 1501, 'impressions', 4], // same hour (or the one before)
      [nowMinute - 1500, 'clicks', 1],
      [nowMinute - 40 * 1440, 'exposures', 2], // 40 days ago: via the hour into its day
    ];
    for (const [minute, metric, count] of rows) {
      await db
        .prepare(
          "INSERT INTO minute_counts (campaign_id, seed, variant_id, minute, metric, count) VALUES ('roll', 'roll', 'a', ?, ?, ?)",
        )
        .bind(minute, metric, count)
        .run();
    }
    await rollupCounters(db, now);
    const first = await snapshot('roll');
    expect(first.minutes).toEqual([
      { variant_id: 'a', minute: nowMinute - 10, metric: 'impressions', count: 5 },
    ]);
    const sum = (res: string, metric: string) =>
      first.rolled
        .filter((r) => r.resolution === res && r.metric === metric)
        .reduce((t, r) => t + Number(r.count), 0);
    expect(sum('hour', 'impressions')).toBe(7);
    expect(sum('hour', 'clicks')).toBe(1);
    expect(sum('day', 'exposures')).toBe(2);
    expect(sum('hour', 'exposures')).toBe(0);
    // a second run (and a third) changes nothing
    await rollupCounters(db, now);
    await rollupCounters(db, now);
    expect(await snapshot('roll')).toEqual(first);
    const series = await readSeries(db, { id: 'roll', seed: 'roll', variants: [{ id: 'a' }] }, now);
    expect(series.a?.minute.reduce((t, p) => t + p.impressions, 0)).toBe(5);
    expect(series.a?.day.reduce((t, p) => t + p.impressions, 0)).toBe(12);
  });

  it('the results API and the dashboard show the last hour per minute', async () => {
    const id = 'minutes';
    const res = await putConfig({
      version: 1,
      campaigns: [
        {
          id,
          slot: { selector: '#hero', action: 'replace' },
          variants: [{ id: 'control' }, { id: 'b', html: '<b>B</b>' }],
        },
      ],
    });
    expect(res.status).toBe(200);
    for (let i = 0; i < 4; i++) {
      const p = await page('/page');
      const cookie = visitorCookie(p);
      const variant = /data-hio-variant="([^"]+)"/.exec(await p.text())?.[1] ?? '';
      await settle();
      const events = [
        { t: 'impression', id: eventId(), campaign: id, variant },
        { t: 'click', id: eventId(), campaign: id, variant },
      ];
      await collect(cookie, { events });
      await collect(cookie, { events }); // resent: counts once
      await settle();
    }
    const results = (await (await call('/__hio/admin/results', { headers: ADMIN })).json()) as {
      series: Record<string, Record<string, { minute: { impressions: number; clicks: number }[] }>>;
    };
    const s = results.series[id] ?? {};
    const total = (k: 'impressions' | 'clicks') =>
      Object.values(s).reduce((t, v) => t + v.minute.reduce((a, p) => a + p[k], 0), 0);
    expect(total('impressions')).toBe(4);
    expect(total('clicks')).toBe(4);
    const dash = await (await call('/__hio/dashboard', { headers: ADMIN })).text();
    expect(dash).toContain(`data-testid="series-${id}-minute"`);
    expect(dash).toContain(`data-testid="series-total-${id}-minute-impressions">4<`);
    expect(dash).toContain(`data-testid="pchart-${id}-control"`);
  });
});
