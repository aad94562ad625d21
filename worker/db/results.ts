/**
 * @module results
 * Reads the raw counts for the results report from D1 in one batch of aggregate queries, and the
 * bandit state. The statistics themselves are pure (engine/report.ts).
 */
import { count, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import type { CompiledDocument, ContextShares, RawCounts } from '../engine/index.ts';
import { banditState, conversionEvents, exposures, itemDaily, metricDaily, slotDaily } from './schema.ts';

export async function readRawCounts(d1: D1Database): Promise<RawCounts> {
  const db = drizzle(d1);
  const e = exposures;
  const c = conversionEvents;
  // each visitor once per goal: their value summed first, so the sum of squares is per visitor
  const perVisitor = db
    .select({
      campaignId: c.campaignId,
      seed: c.seed,
      variantId: c.variantId,
      goal: c.goal,
      v: sql<number>`sum(${c.value})`.as('v'),
      day: sql<string>`min(${c.day})`.as('first_day'),
    })
    .from(c)
    .groupBy(c.campaignId, c.seed, c.variantId, c.goal, c.visitorId)
    .as('per_visitor');
  // (not inside db.batch: drizzle's D1 batch cannot bind a raw statement)
  // Per variant and goal: converting visitors, the sum / sum of squares of their per-visitor value, and
  // the same sums winsorized at the 99th percentile of converters' values per campaign and goal.
  // Drizzle cannot express the window function (percent_rank) this needs; the query has no parameters.
  const converted = db.all<RawCounts['conversions'][number]>(sql`
      WITH pv AS (
        SELECT campaign_id, seed, variant_id, goal, visitor_id, SUM(value) AS v
        FROM ${conversionEvents} GROUP BY campaign_id, seed, variant_id, goal, visitor_id),
      ranked AS (
        SELECT pv.*, PERCENT_RANK() OVER (PARTITION BY campaign_id, seed, goal ORDER BY v) AS pr FROM pv),
      caps AS (
        SELECT campaign_id, seed, goal, MAX(v) AS cap FROM ranked WHERE pr <= 0.99 GROUP BY campaign_id, seed, goal)
      SELECT pv.campaign_id AS campaignId, pv.seed AS seed, pv.variant_id AS variantId, pv.goal AS goal,
             COUNT(*) AS converters, COALESCE(SUM(pv.v), 0) AS valueSum, COALESCE(SUM(pv.v * pv.v), 0) AS valueSumSq,
             COALESCE(SUM(MIN(pv.v, caps.cap)), 0) AS winsorizedSum,
             COALESCE(SUM(MIN(pv.v, caps.cap) * MIN(pv.v, caps.cap)), 0) AS winsorizedSumSq
      FROM pv JOIN caps ON caps.campaign_id = pv.campaign_id AND caps.seed = pv.seed AND caps.goal = pv.goal
      GROUP BY pv.campaign_id, pv.seed, pv.variant_id, pv.goal`);
  const [[exposed, daily, slots, secondary, items], conversions] = await Promise.all([
    db.batch([
      db
        .select({
          campaignId: e.campaignId,
          seed: e.seed,
          variantId: e.variantId,
          day: e.day,
          visitors: count(),
        })
        .from(e)
        .groupBy(e.campaignId, e.seed, e.variantId, e.day),

      db
        .select({
          campaignId: perVisitor.campaignId,
          seed: perVisitor.seed,
          variantId: perVisitor.variantId,
          goal: perVisitor.goal,
          day: perVisitor.day,
          converters: count(),
        })
        .from(perVisitor)
        .groupBy(
          perVisitor.campaignId,
          perVisitor.seed,
          perVisitor.variantId,
          perVisitor.goal,
          sql`${perVisitor.day}`,
        ),
      db
        .select({
          campaignId: slotDaily.campaignId,
          seed: slotDaily.seed,
          variantId: slotDaily.variantId,
          day: slotDaily.day,
          impressions: slotDaily.impressions,
          clicks: slotDaily.clicks,
        })
        .from(slotDaily),
      db
        .select({
          campaignId: metricDaily.campaignId,
          seed: metricDaily.seed,
          variantId: metricDaily.variantId,
          metric: metricDaily.metric,
          count: sql<number>`sum(${metricDaily.count})`,
        })
        .from(metricDaily)
        .groupBy(metricDaily.campaignId, metricDaily.seed, metricDaily.variantId, metricDaily.metric),
      db
        .select({
          campaignId: itemDaily.campaignId,
          seed: itemDaily.seed,
          variantId: itemDaily.variantId,
          position: itemDaily.position,
          metric: itemDaily.metric,
          amount: sql<number>`sum(${itemDaily.amount})`,
        })
        .from(itemDaily)
        .groupBy(
          itemDaily.campaignId,
          itemDaily.seed,
          itemDaily.variantId,
          itemDaily.position,
          itemDaily.metric,
        ),
    ]),
    converted,
  ]);
  return { exposures: exposed, conversions, conversionsDaily: daily, slots, secondary, items };
}

/**
 * For adaptive (bandit, contextual) campaigns: per goal, context and variant, the sums that
 * inverse-probability-weighted results and off-policy estimates need (each exposed visitor weighs
 * 1/p, p the logged probability of their variant): n, Σ1/p, Σr/p, Σ1/p², Σr/p² with r = converted.
 * Drizzle cannot express this join of a goal list with a per-visitor conversion flag; it stays
 * parameterized.
 */
export async function readWeighted(
  d1: D1Database,
  doc: CompiledDocument,
): Promise<NonNullable<RawCounts['weighted']>> {
  const adaptive = doc.campaigns.filter((c) => c.allocation !== 'ab').map((c) => c.id);
  if (!adaptive.length) return [];
  const ids = sql.join(
    adaptive.map((id) => sql`${id}`),
    sql`, `,
  );
  const rows = await drizzle(d1).all<NonNullable<RawCounts['weighted']>[number]>(sql`
    SELECT e.campaign_id AS campaignId, e.seed AS seed, g.goal AS goal, e.context AS context,
           e.variant_id AS variantId, COUNT(*) AS n, SUM(1.0 / e.p) AS w,
           SUM(CASE WHEN c.visitor_id IS NULL THEN 0 ELSE 1.0 / e.p END) AS wr,
           SUM(1.0 / (e.p * e.p)) AS w2,
           SUM(CASE WHEN c.visitor_id IS NULL THEN 0 ELSE 1.0 / (e.p * e.p) END) AS w2r
    FROM ${exposures} e
    JOIN (SELECT DISTINCT campaign_id, seed, goal FROM ${conversionEvents} WHERE campaign_id IN (${ids})) g
      ON g.campaign_id = e.campaign_id AND g.seed = e.seed
    LEFT JOIN (SELECT DISTINCT visitor_id, campaign_id, seed, goal FROM ${conversionEvents} WHERE campaign_id IN (${ids})) c
      ON c.visitor_id = e.visitor_id AND c.campaign_id = e.campaign_id AND c.seed = e.seed AND c.goal = g.goal
    WHERE e.campaign_id IN (${ids}) AND e.variant_id <> '__holdout' AND e.p > 0
    GROUP BY e.campaign_id, e.seed, g.goal, e.context, e.variant_id`);
  return rows;
}

/** What the scheduled jobs computed for the document's adaptive campaigns (current seed and variant count). */
export interface AdaptiveState {
  bandit: Record<string, number[]>;
  contextual: Record<string, ContextShares>;
}

const isWeights = (w: unknown, n: number): w is number[] =>
  Array.isArray(w) && w.length === n && w.every((x) => typeof x === 'number' && Number.isFinite(x));

export async function readAdaptiveState(d1: D1Database, doc: CompiledDocument): Promise<AdaptiveState> {
  const out: AdaptiveState = { bandit: {}, contextual: {} };
  const adaptive = doc.campaigns.filter((c) => c.allocation !== 'ab');
  if (!adaptive.length) return out;
  const rows = await drizzle(d1).select().from(banditState);
  for (const c of adaptive) {
    const row = rows.find((r) => r.campaignId === c.id && r.seed === c.seed);
    if (!row) continue;
    const w: unknown = JSON.parse(row.weights);
    const n = c.variants.length;
    if (c.allocation === 'bandit' && isWeights(w, n)) out.bandit[c.id] = w;
    if (c.allocation === 'contextual' && w && typeof w === 'object' && 'pooled' in w && 'contexts' in w) {
      const { pooled, contexts } = w as { pooled: unknown; contexts: unknown };
      if (!isWeights(pooled, n) || !contexts || typeof contexts !== 'object') continue;
      const kept: Record<string, number[]> = {};
      for (const [k, v] of Object.entries(contexts)) if (isWeights(v, n)) kept[k] = v;
      out.contextual[c.id] = { pooled, contexts: kept };
    }
  }
  return out;
}

export async function writeBanditWeights(
  d1: D1Database,
  rows: { campaignId: string; seed: string; weights: number[] | ContextShares }[],
  now: number,
): Promise<void> {
  if (!rows.length) return;
  await drizzle(d1)
    .insert(banditState)
    .values(
      rows.map((r) => ({
        campaignId: r.campaignId,
        seed: r.seed,
        weights: JSON.stringify(r.weights),
        updatedAt: now,
      })),
    )
    .onConflictDoUpdate({
      target: [banditState.campaignId, banditState.seed],
      set: { weights: sql`excluded.weights`, updatedAt: sql`excluded.updated_at` },
    });
}
