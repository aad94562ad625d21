/**
 * @module persist
 * Stores exactly what a plan hands over (engine/plan.ts `Writes`): the profile op groups through the
 * state store, the measurement rows (and a beacon's raw events) through the measurement queue when it
 * is bound, or D1 (and the R2 event log) directly. Nothing here decides anything.
 */
import { appendEvents } from '../db/event-log.ts';
import { isEmptyMeasurement, type SentEvent, type Writes } from '../engine/index.ts';
import type { QueuedRecord } from '../queue.ts';
import type { LoadedState } from '../state/store.ts';
import type { Deps } from '../types.ts';

/** Applies the profile part; throws when the store cannot take it (the beacon answers 503). */
export async function applyProfile(
  deps: Deps,
  w: Writes,
  loaded?: LoadedState,
): Promise<{ applied: number; duplicates: number }> {
  if (!w.profile || w.profile.groups.length === 0) return { applied: 0, duplicates: 0 };
  return deps.store.apply(w.visitorId, w.profile.writer, w.profile.groups, {
    ttlSeconds: w.profile.ttlSeconds,
    loaded,
  });
}

/**
 * The measurement part, and the raw events of a beacon for the event log (when HIO_EVENTS is bound);
 * never throws. With HIO_QUEUE bound (and MEASUREMENT_QUEUE not `off`) it is one message, which the
 * consumer (queue.ts) writes with others; when the queue refuses it, or is not there, D1 is written
 * directly (a write that keeps failing is logged for replay).
 */
export async function persistMeasurement(
  deps: Deps,
  w: Writes,
  events?: readonly SentEvent[],
): Promise<void> {
  const rows = !isEmptyMeasurement(w.measurement);
  const bucket = events?.length ? deps.env.HIO_EVENTS : undefined;
  if (!rows && !bucket) return;
  const record: QueuedRecord = { visitorId: w.visitorId, at: w.at, measurement: w.measurement };
  if (bucket && events) record.events = [...events];
  const queue = deps.config.measurementQueue ? deps.env.HIO_QUEUE : undefined;
  if (queue) {
    try {
      await queue.send(record, { contentType: 'json' });
      return;
    } catch (err) {
      deps.log('warn', 'the measurement queue refused a record; writing it directly', err);
    }
  }
  await Promise.all([
    rows ? deps.measurement.persist(record) : undefined,
    bucket
      ? appendEvents(bucket, deps.config.secret, [record]).catch((err: unknown) =>
          deps.log('error', 'writing the event log failed', err),
        )
      : undefined,
  ]);
}

/** Both, after a page has streamed: failures are logged, never thrown. */
export async function persistWrites(deps: Deps, w: Writes, loaded?: LoadedState): Promise<void> {
  await Promise.all([
    applyProfile(deps, w, loaded).catch((err: unknown) =>
      deps.log('error', "storing the page's assignments failed", err),
    ),
    persistMeasurement(deps, w),
  ]);
}

/** Everything stored about a visitor: the profile, their analytics rows, and a record of the erasure. */
export async function eraseVisitor(deps: Deps, visitorId: string): Promise<void> {
  await Promise.all([deps.store.erase(visitorId), deps.measurement.eraseVisitor(visitorId, deps.now())]);
}
