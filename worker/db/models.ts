/**
 * @module models
 * Where trained propensity models (one KV key per goal, `hio:model:<goal>`) and the discovered clusters
 * (`hio:clusters`) live, written by the
 * scheduled job, read with the campaign document into the isolate cache, so scoring a page costs no
 * I/O. A missing or unreadable record means the heuristic score, said so in `/__hio/me`.
 */
import {
  type ClusterRecord,
  type PropensityRecord,
  parseClusterRecord,
  parsePropensityRecord,
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
