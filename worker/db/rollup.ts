/**
 * @module rollup
 * Rolls the minute counters up (scheduled handler): minute rows older than 24 hours become hourly rows
 * and hourly rows older than 30 days daily rows (`rollup_counts`), in one D1 batch (one transaction):
 * insert the sums, delete what was summed. A second run finds nothing left to roll, so running it twice
 * changes nothing. Guardrail windows (at most 24 h) read only minute rows, which the cut never reaches.
 * `readSeries` gives the results their per-variant series without scanning any per-visitor row.
 */
import { and, eq, gte } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { buildSeries, type CounterRow, rollupCuts, type VariantSeries } from '../engine/index.ts';
import { minuteCounts, rollupCounts } from './schema.ts';

export async function rollupCounters(
  d1: D1Database,
  now: number,
): Promise<{ hourCut: number; dayCut: number }> {
  const cuts = rollupCuts(Math.floor(now / 60_000));
  const { hourCut, dayCut } = cuts;
  await d1.batch([
    d1
      .prepare(
        `INSERT INTO rollup_counts (campaign_id, seed, variant_id, resolution, start, metric, count)
         SELECT campaign_id, seed, variant_id, 'hour', (minute / 60) * 60, metric, SUM(count)
         FROM minute_counts WHERE minute < ?1
         GROUP BY campaign_id, seed, variant_id, minute / 60, metric
         ON CONFLICT (campaign_id, seed, variant_id, resolution, start, metric)
         DO UPDATE SET count = count + excluded.count`,
      )
      .bind(hourCut),
    d1.prepare('DELETE FROM minute_counts WHERE minute < ?1').bind(hourCut),
    d1
      .prepare(
        `INSERT INTO rollup_counts (campaign_id, seed, variant_id, resolution, start, metric, count)
         SELECT campaign_id, seed, variant_id, 'day', (start / 1440) * 1440, metric, SUM(count)
         FROM rollup_counts WHERE resolution = 'hour' AND start < ?1
         GROUP BY campaign_id, seed, variant_id, start / 1440, metric
         ON CONFLICT (campaign_id, seed, variant_id, resolution, start, metric)
         DO UPDATE SET count = count + excluded.count`,
      )
      .bind(dayCut),
    d1.prepare(`DELETE FROM rollup_counts WHERE resolution = 'hour' AND start < ?1`).bind(dayCut),
  ]);
  return cuts;
}

/** Per variant of one campaign: the last hour per minute, the last 24 h per hour, the last 30 days per day. */
export async function readSeries(
  d1: D1Database,
  campaign: { id: string; seed: string; variants: readonly { id: string }[] },
  now: number,
): Promise<Record<string, VariantSeries>> {
  const db = drizzle(d1);
  const nowMinute = Math.floor(now / 60_000);
  const from = nowMinute - 30 * 1440;
  const [minutes, rolled] = await Promise.all([
    db
      .select()
      .from(minuteCounts)
      .where(
        and(
          eq(minuteCounts.campaignId, campaign.id),
          eq(minuteCounts.seed, campaign.seed),
          gte(minuteCounts.minute, from),
        ),
      ),
    db
      .select()
      .from(rollupCounts)
      .where(
        and(
          eq(rollupCounts.campaignId, campaign.id),
          eq(rollupCounts.seed, campaign.seed),
          gte(rollupCounts.start, from - 1440),
        ),
      ),
  ]);
  const rows: CounterRow[] = [
    ...minutes.map((r) => ({
      variantId: r.variantId,
      start: r.minute,
      size: 1,
      metric: r.metric,
      count: r.count,
    })),
    ...rolled.map((r) => ({
      variantId: r.variantId,
      start: r.start,
      size: r.resolution === 'hour' ? 60 : 1440,
      metric: r.metric,
      count: r.count,
    })),
  ];
  return buildSeries(
    rows,
    campaign.variants.map((v) => v.id),
    nowMinute,
  );
}
