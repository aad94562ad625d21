/**
 * @module event-log
 * The raw event log in R2 (binding `HIO_EVENTS`): the beacon events the collector accepted, as NDJSON,
 * partitioned by day. R2 objects are immutable, so nothing is ever appended: each write (one queue
 * consumer batch, or one beacon when measurement is written directly) is one new object per day under
 * `events/day=YYYY-MM-DD/HHMM-<uuid>.ndjson`, the day and minute (UTC) being those of its first record.
 *
 * Each line is `{ at, day, visitor, ...event }`: `at` when the worker received the batch (ms), `visitor`
 * a pseudonym, the HMAC of the visitor id under a key derived from HIO_SECRET (never the cookie's id),
 * then the event as the browser sent it (`t`, `id`, `ts`, ...). Erasure: objects cannot be edited, so an
 * erased visitor's lines stay until their day partition passes the retention period (the scheduled
 * purge deletes whole partitions) and every read (`GET /__hio/admin/events`) leaves them out. See
 * docs/event-log.md.
 */
import { drizzle } from 'drizzle-orm/d1';
import { HMAC_CONTEXT, sign } from '../edge/hmac.ts';
import type { SentEvent } from '../engine/index.ts';
import { dayOf } from './measurement.ts';
import { erasures } from './schema.ts';

export const EVENTS_PREFIX = 'events/';
export const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** What the log keeps of one request: who, when, and the events. */
export interface LoggedEvents {
  visitorId: string;
  at: number;
  events?: readonly SentEvent[];
}

export const dayPrefix = (day: string): string => `${EVENTS_PREFIX}day=${day}/`;

/** The visitor's pseudonym in the log: stable across days, not reversible without HIO_SECRET. */
export function pseudonym(secret: string, visitorId: string): Promise<string> {
  return sign(secret, HMAC_CONTEXT.eventLog, visitorId);
}

/**
 * Writes the events of `records` (those that have any): one object per day among them. Returns the
 * keys written.
 */
export async function appendEvents(
  bucket: R2Bucket,
  secret: string,
  records: readonly LoggedEvents[],
): Promise<string[]> {
  const byDay = new Map<string, { first: number; lines: string[] }>();
  const names = new Map<string, Promise<string>>();
  for (const r of records) {
    if (!r.events?.length) continue;
    let name = names.get(r.visitorId);
    if (!name) {
      name = pseudonym(secret, r.visitorId);
      names.set(r.visitorId, name);
    }
    const visitor = await name;
    const day = dayOf(r.at);
    let group = byDay.get(day);
    if (!group) {
      group = { first: r.at, lines: [] };
      byDay.set(day, group);
    }
    group.first = Math.min(group.first, r.at);
    for (const e of r.events) group.lines.push(JSON.stringify({ at: r.at, day, visitor, ...e }));
  }
  const keys: string[] = [];
  await Promise.all(
    [...byDay].map(async ([day, g]) => {
      const hhmm = new Date(g.first).toISOString().slice(11, 16).replace(':', '');
      const key = `${dayPrefix(day)}${hhmm}-${crypto.randomUUID()}.ndjson`;
      await bucket.put(key, `${g.lines.join('\n')}\n`, {
        httpMetadata: { contentType: 'application/x-ndjson' },
      });
      keys.push(key);
    }),
  );
  return keys.sort();
}

/** The pseudonyms of every visitor whose data was erased (erasures are kept as long as the log). */
export async function erasedPseudonyms(d1: D1Database, secret: string): Promise<Set<string>> {
  const rows = await drizzle(d1).select({ visitorId: erasures.visitorId }).from(erasures);
  return new Set(await Promise.all(rows.map((r) => pseudonym(secret, r.visitorId))));
}

/** Lines of `text` whose visitor is not in `erased` (and that parse), each ending with a newline. */
export function keptLines(text: string, erased: ReadonlySet<string>): string {
  let out = '';
  for (const line of text.split('\n')) {
    if (!line) continue;
    let visitor: unknown;
    try {
      visitor = (JSON.parse(line) as { visitor?: unknown }).visitor;
    } catch {
      continue;
    }
    if (typeof visitor === 'string' && erased.has(visitor)) continue;
    out += `${line}\n`;
  }
  return out;
}

export interface DayPage {
  /** the day's objects from `cursor` on, at most `limit`, concatenated and filtered */
  body: ReadableStream<Uint8Array>;
  /** where the next page starts, when the day has more objects */
  cursor: string | null;
  objects: number;
}

/** One page of a day's objects, streamed object by object (each read when the reader wants more). */
export async function readDay(
  bucket: R2Bucket,
  day: string,
  erased: ReadonlySet<string>,
  opts: { cursor?: string; limit?: number } = {},
): Promise<DayPage> {
  const listed = await bucket.list({
    prefix: dayPrefix(day),
    cursor: opts.cursor,
    limit: Math.min(opts.limit ?? 500, 1000),
  });
  const keys = listed.objects.map((o) => o.key);
  const enc = new TextEncoder();
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      while (i < keys.length) {
        const obj = await bucket.get(keys[i++] as string);
        if (!obj) continue; // purged in between
        const kept = keptLines(await obj.text(), erased);
        if (kept) {
          controller.enqueue(enc.encode(kept));
          return;
        }
      }
      controller.close();
    },
  });
  return { body, cursor: listed.truncated ? listed.cursor : null, objects: keys.length };
}

/**
 * Deletes the day partitions whose first moment is past the retention period (so a line never
 * outlives it, nor the erasure records that filter it), at most `maxDeletes` objects per call (the
 * cron continues). Returns the number of objects deleted.
 */
export async function purgeEventLog(
  bucket: R2Bucket,
  now: number,
  retentionMs: number,
  maxDeletes = 5000,
): Promise<number> {
  const cutoff = dayOf(now - retentionMs);
  let deleted = 0;
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix: EVENTS_PREFIX, delimiter: '/', cursor });
    for (const prefix of page.delimitedPrefixes) {
      const day = prefix.slice(`${EVENTS_PREFIX}day=`.length, -1);
      if (!DAY_PATTERN.test(day)) continue;
      if (day > cutoff) return deleted; // listed in order: the rest are newer
      let more = true;
      while (more && deleted < maxDeletes) {
        const objects = await bucket.list({ prefix, limit: Math.min(1000, maxDeletes - deleted) });
        if (objects.objects.length) await bucket.delete(objects.objects.map((o) => o.key));
        deleted += objects.objects.length;
        more = objects.truncated;
      }
      if (deleted >= maxDeletes) return deleted;
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return deleted;
}

/** Bounds of one read of the newest part of the log (a scheduled job's budget of R2 operations). */
export interface LogReadLimits {
  /** day partitions read, today's included */
  days: number;
  /** objects read (one R2 get each) */
  maxObjects: number;
  /** lines read over all objects */
  maxLines: number;
  /** R2 list calls */
  maxLists: number;
}

/** R2 gets in flight at once (a Worker keeps at most six connections open). */
const PARALLEL_GETS = 6;
const DAY_MS = 86_400_000;

/**
 * The log's object keys of the last `days` days, newest first. A day of up to 1,000 objects is one
 * list call; a busier day is listed hour by hour from its last hour, so the newest come first.
 */
async function* newestKeys(
  bucket: R2Bucket,
  now: number,
  limits: LogReadLimits,
  budget: { lists: number; truncated: boolean },
): AsyncGenerator<string> {
  const list = (prefix: string, cursor?: string) => {
    budget.lists++;
    return bucket.list({ prefix, cursor, limit: 1000 });
  };
  for (let d = 0; d < limits.days; d++) {
    const prefix = dayPrefix(dayOf(now - d * DAY_MS));
    if (budget.lists >= limits.maxLists) {
      budget.truncated = true;
      return;
    }
    const first = await list(prefix);
    if (!first.truncated) {
      for (let i = first.objects.length - 1; i >= 0; i--) yield (first.objects[i] as R2Object).key;
      continue;
    }
    for (let h = 23; h >= 0; h--) {
      const hour = `${prefix}${String(h).padStart(2, '0')}`;
      const keys: string[] = [];
      let cursor: string | undefined;
      do {
        if (budget.lists >= limits.maxLists) {
          budget.truncated = true;
          break;
        }
        const page = await list(hour, cursor);
        for (const o of page.objects) keys.push(o.key);
        cursor = page.truncated ? page.cursor : undefined;
      } while (cursor);
      for (let i = keys.length - 1; i >= 0; i--) yield keys[i] as string;
      if (budget.truncated) return;
    }
  }
}

/**
 * The newest lines of the log within `limits`, each turned into a record by `parse` (null: skipped),
 * records of erased visitors (by `visitorOf`) left out. Objects are read six at a time, newest first;
 * when a bound stops the reading, what was read is the newest part and `truncated` says so. The order
 * of records within the result is not time order (callers sort what needs it).
 */
export async function readNewestRecords<T>(
  bucket: R2Bucket,
  erased: ReadonlySet<string>,
  now: number,
  limits: LogReadLimits,
  parse: (line: string) => T | null,
  visitorOf: (record: T) => string,
): Promise<{ records: T[]; objects: number; lines: number; truncated: boolean }> {
  const budget = { lists: 0, truncated: false };
  const records: T[] = [];
  let objects = 0;
  let lines = 0;
  let batch: string[] = [];
  let full = false;
  /** Reads the batch's objects; false once the line bound is reached. */
  const readBatch = async (): Promise<boolean> => {
    const texts = await Promise.all(batch.map(async (key) => (await bucket.get(key))?.text() ?? ''));
    batch = [];
    for (const text of texts) {
      let from = 0;
      while (from < text.length) {
        let to = text.indexOf('\n', from);
        if (to < 0) to = text.length;
        if (to > from) {
          if (lines >= limits.maxLines) {
            budget.truncated = true;
            full = true;
            return false;
          }
          lines++;
          const r = parse(text.slice(from, to));
          if (r !== null && !erased.has(visitorOf(r))) records.push(r);
        }
        from = to + 1;
      }
    }
    return true;
  };
  for await (const key of newestKeys(bucket, now, limits, budget)) {
    if (objects >= limits.maxObjects) {
      budget.truncated = true;
      break;
    }
    objects++;
    batch.push(key);
    if (batch.length >= PARALLEL_GETS && !(await readBatch())) break;
  }
  if (batch.length && !full) await readBatch();
  return { records, objects, lines, truncated: budget.truncated };
}
