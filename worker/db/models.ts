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
  type CompactRecommendModel,
  compactRecommendModel,
  decodeRecommendModel,
  type PropensityRecord,
  parseClusterRecord,
  parsePropensityRecord,
  parseRecommendModel,
  RECOMMEND_COMPACT_VERSION,
  RECOMMEND_MODEL_VERSION,
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

/** Format 1: the model as JSON (written by releases before the compact format). */
export const RECS_MODEL_KEY = 'hio:recs:model';
/** Format 2: the compact binary model (engine/recommend-model.ts). */
export const RECS_COMPACT_KEY = 'hio:recs:model:v2';
export const RECS_STAMP_KEY = 'hio:recs:stamp';

/** What says which model is stored, without reading the model: its format version and training time. */
export interface RecsStamp {
  version: number;
  trainedAt: number;
}

/** The key of a stored format (the stamp's `version`): format 2 beside format 1, not over it. */
export function recsModelKey(version: number): string {
  return version === RECOMMEND_MODEL_VERSION ? RECS_MODEL_KEY : RECS_COMPACT_KEY;
}

/**
 * The model first, then the stamp: a reader that sees the new stamp finds the new model. A format-2
 * model goes under its own key, so an isolate of an earlier release (which reads the JSON key) keeps
 * the last JSON model instead of failing to parse a binary one, and a rollback still finds that one.
 */
export async function writeRecsModel(
  kv: KVNamespace,
  value: string | Uint8Array,
  stamp: RecsStamp,
): Promise<void> {
  await kv.put(recsModelKey(stamp.version), value);
  await kv.put(RECS_STAMP_KEY, JSON.stringify(stamp));
}

export async function readRecsStamp(kv: KVNamespace): Promise<RecsStamp | null> {
  const v = await kv.get<Partial<RecsStamp>>(RECS_STAMP_KEY, 'json');
  return v && typeof v.version === 'number' && typeof v.trainedAt === 'number'
    ? { version: v.version, trainedAt: v.trainedAt }
    : null;
}

/**
 * The stored recommendation model of the format the stamp names, compact in any case, or null (none,
 * an unknown format, unreadable). A format-1 (JSON) model, stored by an earlier release and not yet
 * replaced by a training, is parsed and converted once.
 */
export async function readRecsModel(
  kv: KVNamespace,
  version: number = RECOMMEND_COMPACT_VERSION,
): Promise<CompactRecommendModel | null> {
  try {
    if (version === RECOMMEND_COMPACT_VERSION) {
      const bytes = await kv.get(RECS_COMPACT_KEY, 'arrayBuffer');
      return bytes ? decodeRecommendModel(bytes) : null;
    }
    if (version === RECOMMEND_MODEL_VERSION) {
      const model = parseRecommendModel(await kv.get(RECS_MODEL_KEY, 'json'));
      return model ? compactRecommendModel(model) : null;
    }
    return null;
  } catch {
    return null;
  }
}
