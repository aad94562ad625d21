/**
 * @module recs-job
 * The co-view job: learns the recommendation model from the recent event log (R2) and stores it in KV,
 * run by the scheduled handler every ten minutes (beside the propensity training) and by
 * `POST /__hio/admin/train`.
 *
 * It reads the last `days` day partitions, newest first, at most `maxObjects` objects, `maxLines`
 * lines and `maxLists` list calls, so one run stays within a Worker's subrequest and CPU limits: at
 * most 400 R2 operations, and 200,000 lines (about 37 MB of typical events) took 0.9 s of CPU in one
 * measurement on this project's development machine (0.4 s parsing, 0.2 s sessions, 0.3 s learning;
 * docs/recommendations.md). When a bound stops it, the newest events are the ones learned from, and
 * the result says `truncated`. Erased visitors' lines are left out, as every read of the log does. The
 * events become sessions (engine/recommend-log.ts), `learnNeighbours` learns co-views, co-purchases and
 * popularity with the catalogue's categories, and the model goes to KV in its compact form (format 2,
 * engine/recommend-model.ts; models.ts: `hio:recs:model:v2`), then a small stamp with its format and
 * training time, `hio:recs:stamp`, which the page path reads to know whether the model it holds is
 * still the latest.
 *
 * Skipped (the previous model stays): no event log bound, no HIO_SECRET (erasures could not be
 * honoured), an empty catalogue, or no item views in the period.
 */
import {
  type CompiledDocument,
  encodeRecommendModel,
  type LogRecord,
  learnNeighbours,
  logSessions,
  parseLogLine,
  RECOMMEND_COMPACT_VERSION,
} from '../engine/index.ts';
import { createCatalogRepo } from './catalog-repo.ts';
import { erasedPseudonyms, type LogReadLimits, readNewestRecords } from './event-log.ts';
import { writeRecsModel } from './models.ts';

/** The job's bounds on what it reads of the log (event-log.ts). */
export type RecsJobLimits = LogReadLimits;

export const RECS_JOB_LIMITS: RecsJobLimits = {
  days: 14,
  maxObjects: 300,
  maxLines: 200_000,
  maxLists: 100,
};

/** The largest model stored: a KV value holds at most 25 MiB. */
export const MAX_MODEL_BYTES = 24 * 1024 * 1024;

export interface RecsJobResult {
  outcome: 'trained' | 'skipped';
  /** why it was skipped */
  reason?: string;
  objects: number;
  lines: number;
  /** item sessions learned from */
  sessions: number;
  /** items with co-view neighbours in the model */
  items: number;
  /** the model's size in KV (bytes, compact form) */
  bytes: number;
  /** a bound stopped the reading: older events were left out */
  truncated: boolean;
  trainedAt?: number;
}

export interface RecsJobEnv {
  HIO_DB: D1Database;
  HIO_KV: KVNamespace;
  HIO_EVENTS?: R2Bucket;
  HIO_SECRET?: string;
}

/** The records of the newest events within the limits, erased visitors left out. */
export async function readRecentRecords(
  bucket: R2Bucket,
  erased: ReadonlySet<string>,
  doc: CompiledDocument,
  now: number,
  limits: RecsJobLimits = RECS_JOB_LIMITS,
): Promise<{ records: LogRecord[]; objects: number; lines: number; truncated: boolean }> {
  const goals = {
    cartGoal: doc.settings.signals.cartGoal,
    purchaseGoal: doc.settings.signals.purchaseGoal,
  };
  return readNewestRecords(
    bucket,
    erased,
    now,
    limits,
    (line) => parseLogLine(line, goals),
    (r) => r.visitor,
  );
}

/** Learns the model from the event log and stores it in KV; the result says what it did. */
export async function trainRecommendations(
  env: RecsJobEnv,
  doc: CompiledDocument,
  now: number,
  limits: Partial<RecsJobLimits> = {},
): Promise<RecsJobResult> {
  const l = { ...RECS_JOB_LIMITS, ...limits };
  const none = { objects: 0, lines: 0, sessions: 0, items: 0, bytes: 0, truncated: false };
  const skip = (reason: string, read: Partial<RecsJobResult> = {}): RecsJobResult => ({
    outcome: 'skipped',
    reason,
    ...none,
    ...read,
  });
  if (!env.HIO_EVENTS) return skip('no event log (HIO_EVENTS is not bound)');
  if (!env.HIO_SECRET) return skip('no HIO_SECRET: erased visitors could not be left out');
  const catalogue = await createCatalogRepo(env.HIO_DB).all();
  if (catalogue.length === 0) return skip('the catalogue is empty (PUT /__hio/admin/catalog)');
  const categories = new Map(catalogue.map((i) => [i.id, i.category]));
  const erased = await erasedPseudonyms(env.HIO_DB, env.HIO_SECRET);
  const read = await readRecentRecords(env.HIO_EVENTS, erased, doc, now, l);
  const sessions = logSessions(read.records, {
    gapMs: doc.settings.sessionTimeoutMs,
    isItem: (item) => categories.has(item),
  });
  const counts = { objects: read.objects, lines: read.lines, truncated: read.truncated };
  if (sessions.length === 0)
    return skip(`no views of catalogue items in the event log of the last ${l.days} days`, counts);
  const model = learnNeighbours(sessions, { now, categoryOf: (item) => categories.get(item) });
  const value = encodeRecommendModel(model);
  const bytes = value.byteLength;
  const result = {
    ...counts,
    sessions: sessions.length,
    items: Object.keys(model.neighbours).length,
    bytes,
  };
  if (bytes > MAX_MODEL_BYTES)
    return {
      outcome: 'skipped',
      reason: `the model is ${bytes} bytes, more than a KV value holds`,
      ...result,
    };
  await writeRecsModel(env.HIO_KV, value, { version: RECOMMEND_COMPACT_VERSION, trainedAt: now });
  return { outcome: 'trained', ...result, trainedAt: now };
}
