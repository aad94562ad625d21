/**
 * @module models
 * Where trained propensity models (one KV key per goal, `hio:model:<goal>`), the discovered clusters
 * (`hio:clusters`) and the recommendation model (`hio:recs:model`, with its stamp `hio:recs:stamp`)
 * live, written by the scheduled job, read with the campaign document into the isolate cache, so
 * scoring a page costs no I/O. A missing or unreadable record means the heuristic score, said so in
 * `/__hio/me` (and, for recommendations, no model: fallbacks to popularity have nothing either).
 */
import {
  type ClusterRecord,
  type PropensityRecord,
  parseClusterRecord,
  parsePropensityRecord,
  parseRecommendModel,
  type RecommendModel,
} from '../engine/index.ts';

export const modelKey = (goal: string) => `hio:model:${goal}`;

export async function readModel(
  kv: KVNamespace | undefined,
  goal: string | null,
): Promise<PropensityRecord | null> {
  if (!kv || !goal) return null;
  try {
    return parsePropensityRecord(await kv.get(modelKey(goal), 'json'));
  } catch {
    return null;
  }
}

export async function writeModel(kv: KVNamespace, record: PropensityRecord): Promise<void> {
  await kv.put(modelKey(record.goal), JSON.stringify(record));
}

export const CLUSTERS_KEY = 'hio:clusters';

export async function readClusters(kv: KVNamespace | undefined): Promise<ClusterRecord | null> {
  if (!kv) return null;
  try {
    return parseClusterRecord(await kv.get(CLUSTERS_KEY, 'json'));
  } catch {
    return null;
  }
}

export async function writeClusters(kv: KVNamespace, record: ClusterRecord): Promise<void> {
  await kv.put(CLUSTERS_KEY, JSON.stringify(record));
}

export const RECS_MODEL_KEY = 'hio:recs:model';
export const RECS_STAMP_KEY = 'hio:recs:stamp';

/** What says which model is stored, without reading the model: its version and training time. */
export interface RecsStamp {
  version: number;
  trainedAt: number;
}

/** The model first, then the stamp: a reader that sees the new stamp finds the new model. */
export async function writeRecsModel(kv: KVNamespace, json: string, stamp: RecsStamp): Promise<void> {
  await kv.put(RECS_MODEL_KEY, json);
  await kv.put(RECS_STAMP_KEY, JSON.stringify(stamp));
}

export async function readRecsStamp(kv: KVNamespace): Promise<RecsStamp | null> {
  const v = await kv.get<Partial<RecsStamp>>(RECS_STAMP_KEY, 'json');
  return v && typeof v.version === 'number' && typeof v.trainedAt === 'number'
    ? { version: v.version, trainedAt: v.trainedAt }
    : null;
}

/** The stored recommendation model, or null (none, another version, unreadable). */
export async function readRecsModel(kv: KVNamespace): Promise<RecommendModel | null> {
  try {
    return parseRecommendModel(await kv.get(RECS_MODEL_KEY, 'json'));
  } catch {
    return null;
  }
}
