/**
 * @module propensity-job
 * Trains the propensity model of the document's propensity goal, run by the scheduled handler every
 * ten minutes and on demand by `POST /__hio/admin/train`. Rows: the features at session starts
 * (training_rows) old enough for their window to have passed, labelled 1 when the visitor converted on
 * the goal within the window after it. The model is kept (KV) only when its held-back AUC is not below
 * the previous model's on the same held-back rows.
 */
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import {
  type CompiledDocument,
  clusterVisitors,
  FEATURE_NAMES,
  type TrainingRow,
  trainPropensity,
} from '../engine/index.ts';
import { readClusters, readModel, writeClusters, writeModel } from './models.ts';
import { conversionEvents, trainingRows } from './schema.ts';

/** The most recent rows a training uses (CPU per run stays bounded). */
export const MAX_TRAINING_ROWS = 20_000;

export async function readTrainingRows(
  d1: D1Database,
  goal: string,
  windowMs: number,
  now: number,
): Promise<TrainingRow[]> {
  // Drizzle cannot express the correlated EXISTS over the window; the statement is parameterized.
  const rows = await drizzle(d1).all<{ features: string; label: number }>(sql`
    SELECT t.features AS features,
           EXISTS (SELECT 1 FROM ${conversionEvents} c
                   WHERE c.visitor_id = t.visitor_id AND c.campaign_id = '__all' AND c.goal = t.goal
                     AND c.at >= t.at AND c.at <= t.at + ${windowMs}) AS label
    FROM ${trainingRows} t
    WHERE t.goal = ${goal} AND t.at <= ${now - windowMs}
    ORDER BY t.at DESC LIMIT ${MAX_TRAINING_ROWS}`);
  const out: TrainingRow[] = [];
  for (const r of rows) {
    const features: unknown = JSON.parse(r.features);
    if (
      Array.isArray(features) &&
      features.length === FEATURE_NAMES.length &&
      features.every((x) => typeof x === 'number')
    )
      out.push({ features, label: r.label ? 1 : 0 });
  }
  return out;
}

export async function trainPropensityModel(
  d1: D1Database,
  kv: KVNamespace,
  doc: CompiledDocument,
  now: number,
): Promise<{ goal: string | null; outcome: string; auc?: number; rows?: number; clusters?: string }> {
  const goal = doc.settings.propensity.goal;
  if (!goal) return { goal, outcome: 'no goal to predict (settings.propensity.goal)' };
  const rows = await readTrainingRows(d1, goal, doc.settings.propensity.windowMs, now);
  // the same rows, clustered: discovered segments with stable ids
  const clustered = clusterVisitors(rows, now, await readClusters(kv), { k: doc.settings.clusterK });
  if (clustered) await writeClusters(kv, clustered);
  const clusters = clustered
    ? `${clustered.k} clusters of ${clustered.rows} visitors`
    : 'too few rows to cluster';
  const previous = await readModel(kv, goal);
  const r = trainPropensity(goal, rows, now, previous);
  if (!r.trained) return { goal, outcome: `not trained: ${r.reason}`, rows: rows.length, clusters };
  if (!r.replaced)
    return {
      goal,
      outcome: 'kept the previous model (the new one is worse on held-back rows)',
      auc: r.previousAuc ?? undefined,
      rows: rows.length,
      clusters,
    };
  await writeModel(kv, r.record);
  return { goal, outcome: 'trained', auc: r.record.auc, rows: rows.length, clusters };
}
