/**
 * @module replay
 * `POST /__hio/admin/replay` (Bearer): measurement rows that D1 could not take, as the worker logged
 * them (`hio-replay` records, see db/measurement.ts), sent back by `scripts/replay.mjs`. Each record
 * must be structurally valid and carry the worker's own signature; it is then written through the same
 * parameterized, idempotent statements as live traffic, so replaying twice counts nothing twice.
 * Nothing here ever executes text from a log.
 */
import * as v from 'valibot';
import { type ReplayRecord, verifyReplayRecord } from '../db/measurement.ts';
import {
  EVENT_ID_PATTERN,
  ITEM_METRICS,
  MAX_ITEM_POSITION,
  NAME_PATTERN,
  SECONDARY_METRICS,
} from '../engine/index.ts';
import type { Deps } from '../types.ts';
import { json, jsonError, readJsonBody } from './json.ts';

export const MAX_REPLAY_BYTES = 1024 * 1024;

const name = v.pipe(v.string(), v.regex(NAME_PATTERN));
const eventId = v.pipe(v.string(), v.regex(EVENT_ID_PATTERN));
const row = { campaignId: name, seed: v.pipe(v.string(), v.minLength(1), v.maxLength(128)), variantId: name };

const RecordSchema = v.strictObject({
  visitorId: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{22}$/)),
  at: v.pipe(v.number(), v.integer(), v.minValue(0)),
  measurement: v.strictObject({
    exposures: v.pipe(
      v.array(
        v.strictObject({
          ...row,
          context: v.optional(v.pipe(v.string(), v.maxLength(256))),
          p: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1))),
          device: v.optional(v.pipe(v.string(), v.maxLength(64))),
          source: v.optional(v.pipe(v.string(), v.maxLength(64))),
          segments: v.optional(v.pipe(v.string(), v.maxLength(4096))),
          cluster: v.optional(v.pipe(v.string(), v.maxLength(64))),
          prePageviews: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
        }),
      ),
      v.maxLength(1000),
    ),
    conversions: v.pipe(
      v.array(
        v.strictObject({
          ...row,
          eventId,
          goal: name,
          value: v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(1e9)),
        }),
      ),
      v.maxLength(1000),
    ),
    slotEvents: v.pipe(
      v.array(v.strictObject({ ...row, eventId, kind: v.picklist(['impression', 'click']) })),
      v.maxLength(1000),
    ),
    metrics: v.optional(
      v.pipe(
        v.array(
          v.strictObject({
            ...row,
            eventId,
            metric: v.picklist(SECONDARY_METRICS),
            amount: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1e12)),
            visit: v.pipe(v.number(), v.integer(), v.minValue(1)),
            sessionStart: v.pipe(v.number(), v.integer(), v.minValue(0)),
          }),
        ),
        v.maxLength(10_000),
      ),
    ),
    itemMetrics: v.optional(
      v.pipe(
        v.array(
          v.strictObject({
            ...row,
            key: v.pipe(v.string(), v.maxLength(256)),
            position: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_ITEM_POSITION)),
            metric: v.picklist(ITEM_METRICS),
            amount: v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(1e9)),
          }),
        ),
        v.maxLength(10_000),
      ),
    ),
    trainingRows: v.optional(
      v.pipe(
        v.array(
          v.strictObject({
            goal: name,
            features: v.pipe(v.array(v.pipe(v.number(), v.finite())), v.maxLength(64)),
          }),
        ),
        v.maxLength(10),
      ),
    ),
  }),
});

const BodySchema = v.strictObject({
  records: v.pipe(
    v.array(v.strictObject({ record: RecordSchema, sig: v.pipe(v.string(), v.maxLength(64)) })),
    v.maxLength(500),
  ),
});

export async function handleReplay(deps: Deps, req: Request): Promise<Response> {
  const read = await readJsonBody(req);
  if (!read.ok) return read.error;
  const body = read.body;
  const parsed = v.safeParse(BodySchema, body);
  if (!parsed.success) {
    return jsonError(400, 'invalid replay records', {
      problems: parsed.issues.slice(0, 20).map((i) => `${v.getDotPath(i) ?? '(body)'}: ${i.message}`),
    });
  }
  const records = parsed.output.records;
  // Every signature first: a batch with one forged record replays nothing. The signature covers the
  // record as the worker serialized it, so it is checked on the record as it arrived (the validated
  // copy may order its keys differently).
  const raw = (body as { records: { record: ReplayRecord }[] }).records;
  const forged: number[] = [];
  for (const [i, r] of records.entries()) {
    const given = raw[i]?.record;
    if (!given || !(await verifyReplayRecord(deps.config.secret, given, r.sig))) forged.push(i);
  }
  if (forged.length) {
    return jsonError(400, 'records not signed by this worker (HIO_SECRET) are never replayed', {
      problems: forged.map((i) => `records.${i}.sig: does not verify`),
    });
  }
  try {
    // an erasure is not undone by replaying a log written before it
    const erased = await deps.measurement.erased(records.map((r) => r.record.visitorId));
    let replayed = 0;
    for (const r of records) {
      if (erased.has(r.record.visitorId)) continue;
      await deps.measurement.persistOrThrow(r.record);
      replayed++;
    }
    return json({ replayed, skippedErased: records.length - replayed });
  } catch (err) {
    deps.log('error', 'replaying measurement failed', err);
    return jsonError(503, 'D1 could not take the records; retry later (replay is idempotent)', undefined, {
      'retry-after': '30',
    });
  }
}
