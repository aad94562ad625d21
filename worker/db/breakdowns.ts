/**
 * @module breakdowns
 * The D1 side of results per segment and of CUPED: exposures broken down by device, traffic source,
 * discovered cluster and named segment (with their converters per goal), and per variant and goal the moment sums of the
 * outcome and of the pre-exposure covariate (pageviews before the exposure). The statistics are pure
 * (engine/report.ts). Drizzle cannot express these grouped joins over a list of values; the
 * statements stay parameterized.
 */
import { type SQL, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import type { CompiledDocument, MomentSums } from '../engine/index.ts';
import { conversionEvents, exposures } from './schema.ts';

export interface BreakdownRow {
  campaignId: string;
  seed: string;
  dimension: 'device' | 'source' | 'segment' | 'cluster';
  value: string;
  variantId: string;
  goal: string;
  visitors: number;
  converters: number;
}

export type CupedRow = MomentSums & {
  campaignId: string;
  seed: string;
  variantId: string;
  goal: string;
  metric: 'conversion' | 'revenue';
};

/** The traffic sources shown per campaign (the most frequent; the others would be noise). */
export const TOP_SOURCES = 10;

const list = (values: readonly string[]): SQL =>
  sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  );

export async function readBreakdowns(d1: D1Database, doc: CompiledDocument): Promise<BreakdownRow[]> {
  const ids = doc.campaigns.map((c) => c.id);
  if (!ids.length) return [];
  const db = drizzle(d1);
  const e = exposures;
  const names = doc.segments.map(([name]) => name);
  // One query per dimension and no UNION: D1 limits the terms of a compound SELECT. Segment names come
  // in as one JSON parameter (json_each), however many the document has.
  const dimension = (d: BreakdownRow['dimension']): SQL | null => {
    if (d === 'segment') {
      if (!names.length) return null;
      return sql`SELECT ex.campaign_id, ex.seed, ex.variant_id, ex.visitor_id, n.value AS value FROM ${e} ex
        JOIN json_each(${JSON.stringify(names)}) n ON ex.segments LIKE '%,' || n.value || ',%'
        WHERE ex.campaign_id IN (${list(ids)}) AND ex.variant_id <> '__holdout'`;
    }
    const column = sql.identifier(d);
    return sql`SELECT campaign_id, seed, variant_id, visitor_id, ${column} AS value FROM ${e}
      WHERE campaign_id IN (${list(ids)}) AND ${column} <> '' AND variant_id <> '__holdout'`;
  };
  const dims = (['device', 'source', 'cluster', 'segment'] as const).flatMap((d) => {
    const q = dimension(d);
    return q ? [{ d, q }] : [];
  });
  const results = await Promise.all(
    dims.map(async ({ d, q }) => {
      const [v, c] = await Promise.all([
        db.all<BreakdownRow>(sql`
          SELECT campaign_id AS campaignId, seed, ${d} AS dimension, value, variant_id AS variantId, '' AS goal,
                 COUNT(*) AS visitors, 0 AS converters
          FROM (${q}) GROUP BY campaign_id, seed, value, variant_id`),
        db.all<BreakdownRow>(sql`
          SELECT x.campaign_id AS campaignId, x.seed, ${d} AS dimension, x.value, x.variant_id AS variantId, c.goal,
                 0 AS visitors, COUNT(*) AS converters
          FROM (${q}) x
          JOIN (SELECT DISTINCT visitor_id, campaign_id, seed, goal FROM ${conversionEvents}
                WHERE campaign_id IN (${list(ids)})) c
            ON c.visitor_id = x.visitor_id AND c.campaign_id = x.campaign_id AND c.seed = x.seed
          GROUP BY x.campaign_id, x.seed, x.value, x.variant_id, c.goal`),
      ]);
      return { v, c };
    }),
  );
  const visitors = results.flatMap((r) => r.v);
  const converted = results.flatMap((r) => r.c);
  // the most frequent sources of each campaign only
  const sourceTotals = new Map<string, number>();
  for (const r of visitors)
    if (r.dimension === 'source') {
      const k = `${r.campaignId}\u0000${r.value}`;
      sourceTotals.set(k, (sourceTotals.get(k) ?? 0) + r.visitors);
    }
  const keep = new Set<string>();
  for (const id of ids) {
    [...sourceTotals.entries()]
      .filter(([k]) => k.startsWith(`${id}\u0000`))
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP_SOURCES)
      .forEach(([k]) => {
        keep.add(k);
      });
  }
  const kept = (r: BreakdownRow) => r.dimension !== 'source' || keep.has(`${r.campaignId}\u0000${r.value}`);
  const key = (r: BreakdownRow) => [r.campaignId, r.seed, r.dimension, r.value, r.variantId].join('\u0000');
  const exposed = new Map(visitors.map((r) => [key(r), r.visitors]));
  return [
    ...visitors.filter(kept),
    ...converted.filter(kept).map((r) => ({ ...r, visitors: exposed.get(key(r)) ?? 0 })),
  ];
}

export async function readCuped(d1: D1Database, doc: CompiledDocument): Promise<CupedRow[]> {
  const ids = doc.campaigns.map((c) => c.id);
  if (!ids.length) return [];
  const rows = await drizzle(d1).all<{
    campaignId: string;
    seed: string;
    variantId: string;
    goal: string;
    n: number;
    conv: number;
    rev: number;
    rev2: number;
    sx: number;
    sx2: number;
    sxyConv: number;
    sxyRev: number;
  }>(sql`
    WITH pv AS (
      SELECT visitor_id, campaign_id, seed, goal, SUM(value) AS v FROM ${conversionEvents}
      WHERE campaign_id IN (${list(ids)}) GROUP BY visitor_id, campaign_id, seed, goal),
    goals AS (SELECT DISTINCT campaign_id, seed, goal FROM pv)
    SELECT e.campaign_id AS campaignId, e.seed AS seed, e.variant_id AS variantId, g.goal AS goal,
           COUNT(*) AS n,
           SUM(CASE WHEN pv.visitor_id IS NULL THEN 0 ELSE 1 END) AS conv,
           SUM(COALESCE(pv.v, 0)) AS rev, SUM(COALESCE(pv.v, 0) * COALESCE(pv.v, 0)) AS rev2,
           SUM(e.pre_pageviews) AS sx, SUM(e.pre_pageviews * e.pre_pageviews) AS sx2,
           SUM(CASE WHEN pv.visitor_id IS NULL THEN 0 ELSE e.pre_pageviews END) AS sxyConv,
           SUM(COALESCE(pv.v, 0) * e.pre_pageviews) AS sxyRev
    FROM ${exposures} e
    JOIN goals g ON g.campaign_id = e.campaign_id AND g.seed = e.seed
    LEFT JOIN pv ON pv.visitor_id = e.visitor_id AND pv.campaign_id = e.campaign_id AND pv.seed = e.seed
      AND pv.goal = g.goal
    WHERE e.campaign_id IN (${list(ids)}) AND e.variant_id <> '__holdout'
    GROUP BY e.campaign_id, e.seed, e.variant_id, g.goal`);
  return rows.flatMap((r) => {
    const base = { campaignId: r.campaignId, seed: r.seed, variantId: r.variantId, goal: r.goal, n: r.n };
    const x = { sumX: r.sx, sumX2: r.sx2 };
    return [
      { ...base, ...x, metric: 'conversion' as const, sumY: r.conv, sumY2: r.conv, sumXY: r.sxyConv },
      { ...base, ...x, metric: 'revenue' as const, sumY: r.rev, sumY2: r.rev2, sumXY: r.sxyRev },
    ];
  });
}
