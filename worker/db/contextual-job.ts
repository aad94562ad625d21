/**
 * @module contextual-job
 * Recomputes the traffic shares per context of contextual campaigns from their measurement, run by
 * the scheduled handler every minute (so shares follow the events within a minute) and on demand by
 * `POST /__hio/admin/bandits`. For each campaign: visitors and converters (first goal) per context
 * and variant, `contextualWeights` (Thompson sampling from an empirical-Bayes prior pooled across
 * contexts) for the contexts with enough visitors, and the pooled shares for everyone else. Visitors
 * already assigned keep their variant; new ones follow the new shares of their context.
 */
import { and, count, eq, inArray, ne, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import {
  type CompiledCampaign,
  type CompiledDocument,
  type ContextShares,
  type Counts,
  contextualWeights,
  pooledWeights,
} from '../engine/index.ts';
import { writeBanditWeights } from './results.ts';
import { conversionEvents, exposures } from './schema.ts';
import { auditShareChanges, readPreviousShares } from './share-audit.ts';

/** A context gets its own shares once this many of its visitors were exposed; rarer ones use the pooled shares. */
export const MIN_CONTEXT_VISITORS = 30;

/**
 * Each hour's counts weigh this much less per hour of age, so a winner that changes is followed (the
 * simulator's period discount, docs/learning.md: 0.98 per period of 1,000-2,000 visitors).
 */
export const HOURLY_DISCOUNT = 0.98;
const HOUR = 3_600_000;

/** Per context and variant: exposed visitors and those who converted on the campaign's first goal. */
async function countsOf(d1: D1Database, c: CompiledCampaign, now: number): Promise<Map<string, Counts[]>> {
  const db = drizzle(d1);
  const goal = c.goals[0];
  const converted = db
    .selectDistinct({ visitorId: conversionEvents.visitorId })
    .from(conversionEvents)
    .where(
      and(
        eq(conversionEvents.campaignId, c.id),
        eq(conversionEvents.seed, c.seed),
        goal === undefined ? undefined : eq(conversionEvents.goal, goal),
      ),
    )
    .as('converted');
  const rows = await db
    .select({
      context: exposures.context,
      variantId: exposures.variantId,
      hour: sql<number>`${exposures.at} / ${HOUR}`.mapWith(Number),
      n: count(),
      x: sql<number>`count(${converted.visitorId})`.mapWith(Number),
    })
    .from(exposures)
    .leftJoin(converted, eq(converted.visitorId, exposures.visitorId))
    .where(
      and(
        eq(exposures.campaignId, c.id),
        eq(exposures.seed, c.seed),
        ne(exposures.variantId, '__holdout'),
        inArray(
          exposures.variantId,
          c.variants.map((v) => v.id),
        ),
      ),
    )
    .groupBy(exposures.context, exposures.variantId, sql`${exposures.at} / ${HOUR}`);
  const byContext = new Map<string, Counts[]>();
  const nowHour = Math.floor(now / HOUR);
  for (const r of rows) {
    const arms = byContext.get(r.context) ?? c.variants.map(() => ({ n: 0, x: 0 }));
    const i = c.variants.findIndex((v) => v.id === r.variantId);
    const arm = arms[i];
    if (!arm) continue;
    const weight = HOURLY_DISCOUNT ** Math.max(0, nowHour - Math.floor(r.hour));
    arms[i] = { n: arm.n + r.n * weight, x: arm.x + Math.min(r.x, r.n) * weight };
    byContext.set(r.context, arms);
  }
  return byContext;
}

export async function updateContextual(
  d1: D1Database,
  doc: CompiledDocument,
  now: number,
): Promise<{ campaignId: string; shares: ContextShares }[]> {
  const campaigns = doc.campaigns.filter((c) => c.allocation === 'contextual' && c.status === 'active');
  if (!campaigns.length) return [];
  const previous = await readPreviousShares(d1);
  const rows: { campaignId: string; seed: string; weights: ContextShares }[] = [];
  const changes: Parameters<typeof auditShareChanges>[2] = [];
  for (const c of campaigns) {
    const byContext = await countsOf(d1, c, now);
    const keys = [...byContext.keys()].sort();
    const stats = keys.map((k) => byContext.get(k) as Counts[]);
    const total = stats.flat().reduce((a, b) => a + b.n, 0);
    // too little to learn from: keep the configured starting weights
    if (total < c.variants.length * 20) continue;
    const options = { minShare: c.minShare, seed: Math.floor(now / 60_000) };
    const shares = contextualWeights(stats, options);
    const contexts: Record<string, number[]> = {};
    keys.forEach((k, i) => {
      const seen = (stats[i] ?? []).reduce((a, b) => a + b.n, 0);
      if (k && seen >= MIN_CONTEXT_VISITORS && shares[i]) contexts[k] = shares[i];
    });
    const pooled = pooledWeights(stats, options);
    rows.push({ campaignId: c.id, seed: c.seed, weights: { pooled, contexts } });
    changes.push({
      campaignId: c.id,
      seed: c.seed,
      variants: c.variants.map((v) => v.id),
      before: previous.get(`${c.id}\u0000${c.seed}`) ?? c.weights,
      after: pooled,
      arms: c.variants.map((_, a) => ({
        n: Math.round(stats.reduce((t, row) => t + (row[a]?.n ?? 0), 0)),
        x: Math.round(stats.reduce((t, row) => t + (row[a]?.x ?? 0), 0)),
      })),
    });
  }
  await writeBanditWeights(d1, rows, now);
  // the pooled shares, the ones every context without enough data of its own follows
  await auditShareChanges(d1, previous, changes, now);
  return rows.map((r) => ({ campaignId: r.campaignId, shares: r.weights }));
}
