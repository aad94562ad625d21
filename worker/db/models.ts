/**
 * @module models
 * Where trained propensity models live: one KV key per goal (`hio:model:<goal>`), written by the
 * scheduled job, read with the campaign document into the isolate cache, so scoring a page costs no
 * I/O. A missing or unreadable record means the heuristic score, said so in `/__hio/me`.
 */
import { type PropensityRecord, parsePropensityRecord } from '../engine/index.ts';

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
