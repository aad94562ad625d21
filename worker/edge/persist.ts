/**
 * @module persist
 * Stores exactly what a plan hands over (engine/plan.ts `Writes`): the profile op groups through the
 * state store, the measurement rows through D1. Nothing here decides anything.
 */
import { isEmptyMeasurement, type Writes } from '../engine/index.ts';
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

/** The measurement part; never throws (a write that keeps failing is logged for replay). */
export async function persistMeasurement(deps: Deps, w: Writes): Promise<void> {
  if (isEmptyMeasurement(w.measurement)) return;
  await deps.measurement.persist(w);
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
