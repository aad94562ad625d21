/**
 * @module store
 * Where visitor state lives. A store applies profile operations (engine/profile-ops.ts) rather than
 * replacing whole profiles, so each backend can make concurrent updates safe in its own way:
 * the KV store splits a profile by writer, the Upstash store applies operations atomically on the server.
 */
import type { FlatProfile, OpGroup, Writer } from '../engine/index.ts';

export type { Writer };

export interface LoadedState {
  profile: FlatProfile;
  /** backend-specific snapshot a later `apply` of the same request may reuse instead of reading again */
  snapshot?: unknown;
}

export interface ApplyOptions {
  ttlSeconds: number;
  /** the state this request loaded, to save a read where the backend can */
  loaded?: LoadedState;
}

export interface StateStore {
  readonly backend: 'kv' | 'upstash';
  /** the visitor's whole profile ({} when unknown); one read */
  load(visitorId: string): Promise<LoadedState>;
  /** applies op groups; groups whose id was applied before are skipped (idempotent retries) */
  apply(
    visitorId: string,
    writer: Writer,
    groups: readonly OpGroup[],
    options: ApplyOptions,
  ): Promise<{ applied: number; duplicates: number }>;
  /** erases everything stored about the visitor */
  erase(visitorId: string): Promise<void>;
  /** a cheap round trip, for /__hio/health */
  ping(): Promise<void>;
}

export class StoreError extends Error {
  override name = 'StoreError';
}
