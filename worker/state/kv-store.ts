/**
 * @module kv-store
 * Visitor state in Workers KV.
 *
 * KV is last-writer-wins and allows about one write per second per key. A profile is therefore kept
 * as two keys, one per writer: `p:<id>` written only by page requests (visits, sessions, pageviews,
 * assignments, exposures) and `b:<id>` written only by beacons (interests, engagement, conversions,
 * and the ids of the last events applied). A page request and a beacon never overwrite each other's
 * fields. Both keys are read with one bulk `get`. What remains is two writes of the same writer within
 * KV's propagation window (two tabs loading at once, two beacons at once); the store re-reads its own
 * key right before writing to keep that window small, and writes that KV rate-limits are retried with
 * backoff. docs/state.md gives the measured loss; use the Upstash backend where every count must be exact.
 */
import { applyOps, type FlatProfile, parseFlatProfile } from '../engine/index.ts';
import type { ApplyOptions, LoadedState, StateStore, Writer } from './store.ts';

const IDS_FIELD = '_ids';
const MAX_IDS = 128;

const keyOf = (writer: Writer, id: string) => `${writer === 'page' ? 'p' : 'b'}:${id}`;

interface Snapshot {
  page: FlatProfile | null;
  beacon: FlatProfile | null;
}

export interface KvStoreOptions {
  /** attempts per write when KV refuses it (rate limit, transient error) */
  attempts?: number;
  /** first backoff in ms, doubled per attempt */
  backoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export function createKvStore(kv: KVNamespace, options: KvStoreOptions = {}): StateStore {
  const { attempts = 4, backoffMs = 1000, sleep = (ms) => new Promise((r) => setTimeout(r, ms)) } = options;

  async function readOne(key: string): Promise<FlatProfile | null> {
    return parseFlatProfile(await kv.get(key, 'text'));
  }

  return {
    backend: 'kv',

    async load(visitorId) {
      const res = await kv.get([keyOf('page', visitorId), keyOf('beacon', visitorId)], 'text');
      const snapshot: Snapshot = {
        page: parseFlatProfile(res.get(keyOf('page', visitorId))),
        beacon: parseFlatProfile(res.get(keyOf('beacon', visitorId))),
      };
      // the beacon's fields, then the page's over them, without the event ids: the same fields in the
      // same order as `{ ...beacon, ...page }` less `_ids`, without a `delete` (which would leave a slow
      // dictionary-mode object for every read after)
      const profile: FlatProfile = {};
      for (const part of [snapshot.beacon, snapshot.page]) {
        if (part)
          for (const k of Object.keys(part)) if (k !== IDS_FIELD) profile[k] = part[k] as string | number;
      }
      return { profile, snapshot } satisfies LoadedState;
    },

    async apply(visitorId, writer, groups, opts: ApplyOptions) {
      const key = keyOf(writer, visitorId);
      let lastError: unknown;
      for (let attempt = 0; attempt < attempts; attempt++) {
        // The first attempt of a page write reuses what the request loaded (one read per page);
        // beacons and retries read the key fresh to narrow the last-writer-wins window.
        const snap = attempt === 0 ? (opts.loaded?.snapshot as Snapshot | undefined) : undefined;
        const current = (snap && writer === 'page' ? snap.page : await readOne(key)) ?? {};
        const rawIds = current[IDS_FIELD];
        const seen = new Set(typeof rawIds === 'string' && rawIds ? rawIds.split(' ') : []);
        const result = applyOps(current, groups, seen);
        if (result.applied === 0) return result;
        if (seen.size) current[IDS_FIELD] = [...seen].slice(-MAX_IDS).join(' ');
        try {
          await kv.put(key, JSON.stringify(current), { expirationTtl: Math.max(60, opts.ttlSeconds) });
          return result;
        } catch (err) {
          lastError = err;
          if (attempt < attempts - 1) await sleep(backoffMs * 2 ** attempt);
        }
      }
      throw lastError;
    },

    async erase(visitorId) {
      await Promise.all([kv.delete(keyOf('page', visitorId)), kv.delete(keyOf('beacon', visitorId))]);
    },

    async ping() {
      await kv.get('hio:ping');
    },
  };
}
