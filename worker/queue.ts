/**
 * @module queue
 * The consumer of `HIO_QUEUE` (wrangler.toml `[[queues.consumers]]`): each message is one request's
 * measurement record (`QueuedRecord`, sent by edge/persist.ts), with a beacon's raw events when the
 * event log is bound.
 *
 * - `hio-measurement`: the rows of the whole batch go to D1 together (db/measurement.ts
 *   `persistManyOrThrow`: hundreds of rows per transaction; every statement idempotent, so an
 *   at-least-once redelivery counts nothing twice), then the events to one R2 object per day
 *   (db/event-log.ts). Records of erased visitors are dropped first, so a message delayed past an
 *   erasure writes nothing back. When D1 or R2 fails, every message is retried with a growing delay;
 *   after `max_retries` the platform moves them to the dead-letter queue.
 * - `hio-measurement-dlq` (any queue whose name ends in `-dlq`): record by record, so one record D1
 *   refuses for good does not hold back the others; a record that still fails is logged as a signed
 *   `hio-replay` line (scripts/replay.mjs sends it back once D1 is well). Always acknowledged: a
 *   dead letter is never dropped silently, and never retried forever.
 */
import { appendEvents } from './db/event-log.ts';
import { createMeasurementWriter, type MeasurementWriter, type ReplayRecord } from './db/measurement.ts';
import { isEmptyMeasurement, type SentEvent } from './engine/index.ts';
import { type AppConfig, type Bindings, parseConfig } from './env.ts';
import { log as defaultLog, type Log } from './log.ts';

/** One message of HIO_QUEUE: a request's rows and, for a beacon, its raw events. */
export interface QueuedRecord extends ReplayRecord {
  events?: SentEvent[];
}

export const DEAD_LETTER_SUFFIX = '-dlq';
/** the longest redelivery delay (seconds) */
export const MAX_RETRY_DELAY_SECONDS = 3600;

export interface ConsumerDeps {
  writer: MeasurementWriter;
  bucket: R2Bucket | null;
  secret: string;
  log: Log;
  /** first redelivery delay (seconds), doubled per attempt */
  retryDelaySeconds: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** The record a message carries, or null when it is not one (never written). */
export function toRecord(body: unknown): QueuedRecord | null {
  if (!isObject(body) || typeof body.visitorId !== 'string' || typeof body.at !== 'number') return null;
  const m = body.measurement;
  if (!isObject(m) || !Array.isArray(m.exposures) || !Array.isArray(m.conversions)) return null;
  if (!Array.isArray(m.slotEvents)) return null;
  if (m.itemMetrics !== undefined && !Array.isArray(m.itemMetrics)) return null;
  if (body.events !== undefined && !Array.isArray(body.events)) return null;
  return body as unknown as QueuedRecord;
}

export function retryDelay(baseSeconds: number, attempts: number): number {
  return Math.min(MAX_RETRY_DELAY_SECONDS, Math.round(baseSeconds * 2 ** Math.max(0, attempts - 1)));
}

function records(batch: MessageBatch<unknown>, log: Log) {
  const out: { msg: Message<unknown>; record: QueuedRecord }[] = [];
  for (const msg of batch.messages) {
    const record = toRecord(msg.body);
    if (record) out.push({ msg, record });
    else {
      log('error', `dropping message ${msg.id} on ${batch.queue}: not a measurement record`);
      msg.ack();
    }
  }
  return out;
}

async function consumeMeasurement(batch: MessageBatch<unknown>, d: ConsumerDeps): Promise<void> {
  const items = records(batch, d.log);
  if (!items.length) return;
  try {
    const erased = await d.writer.erased(items.map((i) => i.record.visitorId));
    const live = items.map((i) => i.record).filter((r) => !erased.has(r.visitorId));
    await d.writer.persistManyOrThrow(live.filter((r) => !isEmptyMeasurement(r.measurement)));
    // after D1, so a D1 failure (the usual one) does not leave a copy of the events behind
    if (d.bucket) await appendEvents(d.bucket, d.secret, live);
    for (const i of items) i.msg.ack();
  } catch (err) {
    const attempts = Math.max(...items.map((i) => i.msg.attempts));
    const delaySeconds = retryDelay(d.retryDelaySeconds, attempts);
    d.log(
      'error',
      `measurement batch of ${items.length} failed (attempt ${attempts}); retrying in ${delaySeconds}s`,
      err,
    );
    for (const i of items) i.msg.retry({ delaySeconds });
  }
}

async function consumeDeadLetters(batch: MessageBatch<unknown>, d: ConsumerDeps): Promise<void> {
  const items = records(batch, d.log);
  if (!items.length) return;
  let erased = new Set<string>();
  try {
    erased = await d.writer.erased(items.map((i) => i.record.visitorId));
  } catch {
    // D1 is still down: every write below fails and is logged; the replay route checks erasures itself
  }
  const live = items.map((i) => i.record).filter((r) => !erased.has(r.visitorId));
  let written = 0;
  let logged = 0;
  for (const r of live) {
    if (isEmptyMeasurement(r.measurement)) continue;
    try {
      await d.writer.persistManyOrThrow([r]);
      written++;
    } catch (err) {
      await d.writer.logForReplay(r, `measurement failed in ${batch.queue} after the queue's retries`, err);
      logged++;
    }
  }
  if (d.bucket) {
    try {
      await appendEvents(d.bucket, d.secret, live);
    } catch (err) {
      const n = live.reduce((s, r) => s + (r.events?.length ?? 0), 0);
      d.log('error', `the event log could not take ${n} events of dead letters; they are not logged`, err);
    }
  }
  d.log('warn', `${batch.queue}: ${written} records written, ${logged} logged for replay`);
  for (const i of items) i.msg.ack();
}

export function consumeQueue(batch: MessageBatch<unknown>, d: ConsumerDeps): Promise<void> {
  return batch.queue.endsWith(DEAD_LETTER_SUFFIX)
    ? consumeDeadLetters(batch, d)
    : consumeMeasurement(batch, d);
}

/**
 * The `queue` handler of the worker (index.ts). The rows need only D1: a setting that went bad after the
 * messages were sent (the page path then serves the origin unpersonalized) does not hold them back; the
 * event log, whose pseudonyms need HIO_SECRET, is skipped while there is none.
 */
export function runQueue(batch: MessageBatch<unknown>, env: Bindings): Promise<void> {
  let config: AppConfig | null = null;
  try {
    config = parseConfig(env);
  } catch (err) {
    defaultLog('error', 'HIO is misconfigured; the queue consumer writes D1 with the defaults', err);
  }
  const secret = config?.secret ?? env.HIO_SECRET ?? '';
  return consumeQueue(batch, {
    writer: createMeasurementWriter(env.HIO_DB, defaultLog, secret ? { secret } : {}),
    bucket: secret ? (env.HIO_EVENTS ?? null) : null,
    secret,
    log: defaultLog,
    retryDelaySeconds: config?.queueRetryDelaySeconds ?? 10,
  });
}
