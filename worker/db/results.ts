/**
 * @module results
 * Reads the raw counts for the results report from D1 in one batch of aggregate queries, and the
 * bandit state. The statistics themselves are pure (engine/report.ts).
 */
import type { CompiledDocument, RawCounts } from '../engine/index.ts';

export async function readRawCounts(db: D1Database): Promise<RawCounts> {
  const [exposures, conversions, daily, slots] = await db.batch([
    db.prepare(
      `SELECT campaign_id AS campaignId, seed, variant_id AS variantId, day, COUNT(*) AS visitors
       FROM exposures GROUP BY campaign_id, seed, variant_id, day`,
    ),
    // once per visitor per goal; value summed per visitor first so the sum of squares is per visitor
    db.prepare(
      `SELECT campaign_id AS campaignId, seed, variant_id AS variantId, goal,
              COUNT(*) AS converters, SUM(v) AS valueSum, SUM(v * v) AS valueSumSq
       FROM (SELECT campaign_id, seed, variant_id, goal, visitor_id, SUM(value) AS v
             FROM conversion_events GROUP BY campaign_id, seed, variant_id, goal, visitor_id)
       GROUP BY campaign_id, seed, variant_id, goal`,
    ),
    db.prepare(
      `SELECT campaign_id AS campaignId, seed, variant_id AS variantId, goal, day, COUNT(*) AS converters
       FROM (SELECT campaign_id, seed, variant_id, goal, visitor_id, MIN(day) AS day
             FROM conversion_events GROUP BY campaign_id, seed, variant_id, goal, visitor_id)
       GROUP BY campaign_id, seed, variant_id, goal, day`,
    ),
    db.prepare(
      `SELECT campaign_id AS campaignId, seed, variant_id AS variantId, day, impressions, clicks
       FROM slot_daily`,
    ),
  ]);
  return {
    exposures: (exposures?.results ?? []) as RawCounts['exposures'],
    conversions: (conversions?.results ?? []) as RawCounts['conversions'],
    conversionsDaily: (daily?.results ?? []) as RawCounts['conversionsDaily'],
    slots: (slots?.results ?? []) as RawCounts['slots'],
  };
}

/** Current bandit weights by campaign id (only for the campaign's current seed and variant count). */
export async function readBanditWeights(
  db: D1Database,
  doc: CompiledDocument,
): Promise<Record<string, number[]>> {
  const bandits = doc.campaigns.filter((c) => c.allocation === 'bandit');
  if (!bandits.length) return {};
  const rows = await db.prepare('SELECT campaign_id AS campaignId, seed, weights FROM bandit_state').all<{
    campaignId: string;
    seed: string;
    weights: string;
  }>();
  const out: Record<string, number[]> = {};
  for (const c of bandits) {
    const row = rows.results.find((r) => r.campaignId === c.id && r.seed === c.seed);
    if (!row) continue;
    const w = JSON.parse(row.weights) as unknown;
    if (Array.isArray(w) && w.length === c.variants.length && w.every((x) => typeof x === 'number'))
      out[c.id] = w;
  }
  return out;
}

export async function writeBanditWeights(
  db: D1Database,
  rows: { campaignId: string; seed: string; weights: number[] }[],
  now: number,
): Promise<void> {
  if (!rows.length) return;
  await db.batch(
    rows.map((r) =>
      db
        .prepare(
          `INSERT INTO bandit_state (campaign_id, seed, weights, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (campaign_id, seed) DO UPDATE SET weights = excluded.weights, updated_at = excluded.updated_at`,
        )
        .bind(r.campaignId, r.seed, JSON.stringify(r.weights), now),
    ),
  );
}
