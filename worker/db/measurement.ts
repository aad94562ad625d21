/**
 * @module measurement
 * Persists the measurement rows a plan hands over (engine/plan.ts `Writes.measurement`) to D1, off the
 * response path. Every write is idempotent by construction (primary keys on visitor + campaign for
 * exposures, on visitor + event id for conversions and for counted impressions/clicks), a request's
 * rows are one D1 batch (one transaction), a failed batch is retried with backoff, and a batch that
 * still fails is logged as a structured `hio-replay` record: the rows themselves (never SQL), signed
 * with a key derived from HIO_SECRET. `scripts/replay.mjs` finds such records in a log and sends them
 * to `POST /__hio/admin/replay`, which replays only records whose signature verifies: a log also holds
 * request headers that anyone can write, and a forged record must not become a conversion.
 */
import { eq, inArray, lt, type Query, type SQL, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { HMAC_CONTEXT, sign, verify } from '../edge/hmac.ts';
import {
  ALL_CAMPAIGN,
  HOLDOUT_VARIANT,
  type Measurement,
  type MetricRow,
  type Writes,
} from '../engine/index.ts';
import type { Log } from '../log.ts';
import {
  conversionEvents,
  erasures,
  exposures,
  itemDaily,
  metricDaily,
  minuteCounts,
  seenEvents,
  slotDaily,
  trainingRows,
} from './schema.ts';

export function dayOf(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}

/** The signature of a replay record (its canonical JSON), so only records the worker wrote are replayed. */
export function signReplayRecord(secret: string, r: ReplayRecord): Promise<string> {
  return sign(secret, HMAC_CONTEXT.replay, canonical(r));
}

export function verifyReplayRecord(secret: string, r: ReplayRecord, sig: string): Promise<boolean> {
  return verify(secret, HMAC_CONTEXT.replay, canonical(r), sig);
}

const canonical = (r: ReplayRecord) =>
  JSON.stringify({ visitorId: r.visitorId, at: r.at, measurement: r.measurement });

/** The seen_events key of a secondary-metric event counted for a campaign (one event counts per campaign). */
export const metricEventKey = (r: Pick<MetricRow, 'campaignId' | 'eventId'>) =>
  `m:${r.campaignId}:${r.eventId}`;

/** The seen_events key of a session counted for a campaign: its later events count only when it exists. */
export const sessionKey = (r: Pick<MetricRow, 'campaignId' | 'seed' | 'visit'>) =>
  `s:${r.campaignId}:${r.seed}:${r.visit}`;

/** D1 binds at most 100 parameters per statement: VALUES rows per secondary-metric statement. */
const METRIC_ROWS_PER_STATEMENT = 16;

export interface MeasurementWriterOptions {
  /** signs replay records (HIO_SECRET); without it, failed records are logged unsigned (not replayable) */
  secret?: string;
  attempts?: number;
  backoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** What a replay record holds: the rows of one request, with who and when. */
export type ReplayRecord = Pick<Writes, 'visitorId' | 'at' | 'measurement'>;

export const REPLAY_MSG = 'hio-replay';

/** Statements per D1 batch when several records are written together (D1 runs a batch as one transaction). */
export const MAX_STATEMENTS_PER_BATCH = 500;

export interface MeasurementWriter {
  /** writes the rows; never throws (a write that keeps failing is logged for replay) */
  persist(w: ReplayRecord): Promise<void>;
  /** writes the rows or throws (the replay route reports failures to its caller) */
  persistOrThrow(w: ReplayRecord): Promise<void>;
  /**
   * Writes several requests' rows, their statements concatenated in order into D1 batches (one
   * transaction each) of at most MAX_STATEMENTS_PER_BATCH statements, a record never split; throws when
   * one fails (batches before it stay written: every statement is idempotent, so writing all again is
   * safe). The queue consumer writes a whole message batch this way.
   */
  persistManyOrThrow(records: readonly ReplayRecord[]): Promise<void>;
  /** logs a record that could not be written as a signed `hio-replay` line (scripts/replay.mjs) */
  logForReplay(r: ReplayRecord, why: string, err?: unknown): Promise<void>;
  /** deletes the visitor's rows and remembers the erasure, so a replayed record cannot bring them back */
  eraseVisitor(visitorId: string, now: number): Promise<void>;
  /** the visitors among `ids` whose data was erased */
  erased(ids: readonly string[]): Promise<Set<string>>;
  /** deletes counted-event ids older than `maxAgeMs` (they only guard retries) */
  purgeSeenEvents(now: number, maxAgeMs?: number): Promise<void>;
  /** deletes per-visitor rows (and erasure records) older than the retention period */
  purgeExpired(now: number, retentionMs: number): Promise<void>;
}

export function createMeasurementWriter(
  d1: D1Database,
  log: Log,
  opts: MeasurementWriterOptions = {},
): MeasurementWriter {
  const { attempts = 3, backoffMs = 200, sleep = (ms) => new Promise((r) => setTimeout(r, ms)) } = opts;
  const db = drizzle(d1);

  // Built by drizzle, run as one D1 batch: drizzle's own batch() cannot take a raw `sql` statement
  // (it fails to bind it), and the slot counter below needs one.
  function statements(visitorId: string, at: number, m: Measurement): Query[] {
    const day = dayOf(at);
    const minute = Math.floor(at / 60_000);
    const out: Query[] = [];
    // Minute counters for guardrails, each guarded so a repeat counts nothing: they run before the rows
    // that make the repeat visible (the batch is one transaction, in order).
    const bump = (campaignId: string, seed: string, variantId: string, metric: string, unseen: SQL) =>
      db
        .run(sql`INSERT INTO ${minuteCounts} (campaign_id, seed, variant_id, minute, metric, count)
          SELECT ${campaignId}, ${seed}, ${variantId}, ${minute}, ${metric}, 1 WHERE ${unseen}
          ON CONFLICT (campaign_id, seed, variant_id, minute, metric) DO UPDATE SET count = count + 1`)
        .getQuery();
    for (const e of m.exposures) {
      if (e.campaignId === ALL_CAMPAIGN || e.variantId === HOLDOUT_VARIANT) continue;
      out.push(
        bump(
          e.campaignId,
          e.seed,
          e.variantId,
          'exposures',
          sql`NOT EXISTS (SELECT 1 FROM ${exposures} WHERE visitor_id = ${visitorId} AND campaign_id = ${e.campaignId} AND seed = ${e.seed})`,
        ),
      );
    }
    for (const c of m.conversions) {
      if (c.campaignId === ALL_CAMPAIGN) continue;
      out.push(
        bump(
          c.campaignId,
          c.seed,
          c.variantId,
          `conversion:${c.goal}`,
          sql`NOT EXISTS (SELECT 1 FROM ${conversionEvents} WHERE visitor_id = ${visitorId} AND campaign_id = ${c.campaignId} AND seed = ${c.seed} AND goal = ${c.goal})`,
        ),
      );
    }
    for (const e of m.slotEvents) {
      out.push(
        bump(
          e.campaignId,
          e.seed,
          e.variantId,
          e.kind === 'impression' ? 'impressions' : 'clicks',
          sql`NOT EXISTS (SELECT 1 FROM ${seenEvents} WHERE visitor_id = ${visitorId} AND event_id = ${e.eventId})`,
        ),
      );
    }
    if (m.exposures.length) {
      out.push(
        db
          .insert(exposures)
          .values(m.exposures.map((e) => ({ visitorId, ...e, day, at })))
          .onConflictDoNothing()
          .toSQL(),
      );
    }
    if (m.conversions.length) {
      out.push(
        db
          .insert(conversionEvents)
          .values(m.conversions.map((c) => ({ visitorId, ...c, day, at })))
          .onConflictDoNothing()
          .toSQL(),
      );
    }
    if (m.trainingRows?.length) {
      out.push(
        db
          .insert(trainingRows)
          .values(
            m.trainingRows.map((r) => ({
              visitorId,
              at,
              goal: r.goal,
              features: JSON.stringify(r.features),
            })),
          )
          .onConflictDoNothing()
          .toSQL(),
      );
    }
    for (const s of m.slotEvents) {
      const column = s.kind === 'impression' ? slotDaily.impressions : slotDaily.clicks;
      // Drizzle cannot express an INSERT ... SELECT ... WHERE NOT EXISTS upsert, which is what makes the
      // counter idempotent by event id inside one transaction; the statement is parameterized all the same.
      out.push(
        db
          .run(sql`INSERT INTO ${slotDaily} (campaign_id, seed, variant_id, day, ${sql.identifier(column.name)})
          SELECT ${s.campaignId}, ${s.seed}, ${s.variantId}, ${day}, 1
          WHERE NOT EXISTS (SELECT 1 FROM ${seenEvents} WHERE visitor_id = ${visitorId} AND event_id = ${s.eventId})
          ON CONFLICT (campaign_id, seed, variant_id, day) DO UPDATE SET ${sql.identifier(column.name)} = ${sql.identifier(column.name)} + 1`)
          .getQuery(),
        db.insert(seenEvents).values({ visitorId, eventId: s.eventId, at }).onConflictDoNothing().toSQL(),
      );
    }
    if (m.metrics?.length) out.push(...metricStatements(visitorId, at, m.metrics));
    for (const r of m.itemMetrics ?? []) {
      // counted once per visitor by the row's key, inserted right after it (one transaction)
      out.push(
        db
          .run(sql`INSERT INTO ${itemDaily} (campaign_id, seed, variant_id, day, position, metric, amount)
          SELECT ${r.campaignId}, ${r.seed}, ${r.variantId}, ${day}, ${r.position}, ${r.metric}, ${r.amount}
          WHERE NOT EXISTS (SELECT 1 FROM ${seenEvents} WHERE visitor_id = ${visitorId} AND event_id = ${r.key})
          ON CONFLICT (campaign_id, seed, variant_id, day, position, metric) DO UPDATE SET amount = amount + excluded.amount`)
          .getQuery(),
        db.insert(seenEvents).values({ visitorId, eventId: r.key, at }).onConflictDoNothing().toSQL(),
      );
    }
    return out;
  }

  /**
   * Secondary metrics: per campaign, seed and variant, the rows summed into minute_counts and
   * metric_daily in the minute and day their session started. A row counts only when its event was
   * not counted for the campaign before (key `m:<campaign>:<event>`) and, unless its session starts
   * in this same request, when the session's start was counted (key `s:<campaign>:<seed>:<visit>`):
   * a visitor assigned mid-session, or a session whose start was lost, counts none of that session,
   * so every counted session is whole. The keys are inserted after the counters (one transaction).
   */
  function metricStatements(visitorId: string, at: number, rows: readonly MetricRow[]): Query[] {
    const out: Query[] = [];
    const opened = new Set(rows.filter((r) => r.metric === 'sessions').map(sessionKey));
    const arms = new Map<string, MetricRow[]>();
    for (const r of rows) {
      const k = `${r.campaignId}\u0000${r.seed}\u0000${r.variantId}`;
      arms.set(k, [...(arms.get(k) ?? []), r]);
    }
    for (const arm of arms.values()) {
      const { campaignId, seed, variantId } = arm[0] as MetricRow;
      for (let i = 0; i < arm.length; i += METRIC_ROWS_PER_STATEMENT) {
        const chunk = arm.slice(i, i + METRIC_ROWS_PER_STATEMENT);
        // (bucket, metric, amount, event key, session key or null)
        const values = (bucket: (r: MetricRow) => number | string) =>
          sql.join(
            chunk.map(
              (r) =>
                sql`(${bucket(r)}, ${r.metric}, ${r.amount}, ${metricEventKey(r)}, ${opened.has(sessionKey(r)) ? null : sessionKey(r)})`,
            ),
            sql`, `,
          );
        const guard = sql`NOT EXISTS (SELECT 1 FROM ${seenEvents} WHERE visitor_id = ${visitorId} AND event_id = r.column4)
            AND (r.column5 IS NULL OR EXISTS (SELECT 1 FROM ${seenEvents} WHERE visitor_id = ${visitorId} AND event_id = r.column5))`;
        // Drizzle cannot express an INSERT ... SELECT from VALUES with a guard; it stays parameterized.
        out.push(
          db
            .run(sql`INSERT INTO ${minuteCounts} (campaign_id, seed, variant_id, minute, metric, count)
              SELECT ${campaignId}, ${seed}, ${variantId}, r.column1, r.column2, SUM(r.column3)
              FROM (VALUES ${values((r) => Math.floor(r.sessionStart / 60_000))}) AS r
              WHERE ${guard} GROUP BY r.column1, r.column2
              ON CONFLICT (campaign_id, seed, variant_id, minute, metric) DO UPDATE SET count = count + excluded.count`)
            .getQuery(),
          db
            .run(sql`INSERT INTO ${metricDaily} (campaign_id, seed, variant_id, day, metric, count)
              SELECT ${campaignId}, ${seed}, ${variantId}, r.column1, r.column2, SUM(r.column3)
              FROM (VALUES ${values((r) => dayOf(r.sessionStart))}) AS r
              WHERE ${guard} GROUP BY r.column1, r.column2
              ON CONFLICT (campaign_id, seed, variant_id, day, metric) DO UPDATE SET count = count + excluded.count`)
            .getQuery(),
        );
      }
    }
    const keys = [
      ...new Set([
        ...rows.map(metricEventKey),
        ...rows.filter((r) => r.metric === 'sessions').map(sessionKey),
      ]),
    ];
    for (let i = 0; i < keys.length; i += 30) {
      out.push(
        db
          .insert(seenEvents)
          .values(keys.slice(i, i + 30).map((eventId) => ({ visitorId, eventId, at })))
          .onConflictDoNothing()
          .toSQL(),
      );
    }
    return out;
  }

  // Several records' statements run in order in one transaction: a record's guards (NOT EXISTS) see
  // the rows of the records before it, so an event repeated across records still counts once.
  async function writeMany(records: readonly ReplayRecord[]): Promise<void> {
    let pending: Query[] = [];
    const flush = async () => {
      if (pending.length) await d1.batch(pending.map((q) => d1.prepare(q.sql).bind(...q.params)));
      pending = [];
    };
    for (const r of records) {
      const queries = statements(r.visitorId, r.at, r.measurement);
      if (pending.length && pending.length + queries.length > MAX_STATEMENTS_PER_BATCH) await flush();
      pending.push(...queries);
    }
    await flush();
  }

  async function logForReplay(r: ReplayRecord, why: string, err?: unknown): Promise<void> {
    // the rows are not lost: this line holds them; scripts/replay.mjs sends them back
    const record: ReplayRecord = { visitorId: r.visitorId, at: r.at, measurement: r.measurement };
    console.error(
      JSON.stringify({
        level: 'error',
        msg: `${REPLAY_MSG}: ${why}`,
        record,
        sig: opts.secret ? await signReplayRecord(opts.secret, record) : undefined,
      }),
    );
    log('error', 'measurement write failed; logged for replay', err);
  }

  return {
    persistOrThrow: (r) => writeMany([r]),
    persistManyOrThrow: writeMany,
    logForReplay,

    async persist(r) {
      let lastError: unknown;
      for (let attempt = 0; attempt < attempts; attempt++) {
        try {
          await writeMany([r]);
          return;
        } catch (err) {
          lastError = err;
          if (attempt < attempts - 1) await sleep(backoffMs * 2 ** attempt);
        }
      }
      await logForReplay(r, `measurement failed after ${attempts} attempts`, lastError);
    },

    async eraseVisitor(visitorId, now) {
      await db.batch([
        db.delete(exposures).where(eq(exposures.visitorId, visitorId)),
        db.delete(conversionEvents).where(eq(conversionEvents.visitorId, visitorId)),
        db.delete(seenEvents).where(eq(seenEvents.visitorId, visitorId)),
        db.delete(trainingRows).where(eq(trainingRows.visitorId, visitorId)),
        db
          .insert(erasures)
          .values({ visitorId, at: now })
          .onConflictDoUpdate({ target: erasures.visitorId, set: { at: now } }),
      ]);
    },

    async erased(ids) {
      if (!ids.length) return new Set();
      const rows = await db
        .select({ visitorId: erasures.visitorId })
        .from(erasures)
        .where(inArray(erasures.visitorId, [...new Set(ids)]));
      return new Set(rows.map((r) => r.visitorId));
    },

    async purgeExpired(now, retentionMs) {
      const before = now - retentionMs;
      await db.batch([
        db.delete(exposures).where(lt(exposures.at, before)),
        db.delete(conversionEvents).where(lt(conversionEvents.at, before)),
        db.delete(trainingRows).where(lt(trainingRows.at, before)),
        db.delete(erasures).where(lt(erasures.at, before)),
      ]);
    },

    async purgeSeenEvents(now, maxAgeMs = 7 * 86_400_000) {
      await db.delete(seenEvents).where(lt(seenEvents.at, now - maxAgeMs));
    },
  };
}
