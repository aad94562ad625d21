/**
 * @module deps
 * Builds what a request handler needs (`Deps`, see types.ts) from the bindings: what does not depend
 * on the request once per isolate, the rest per request. Tests build their own.
 */

import { Redis } from '@upstash/redis/cloudflare';
import { createConfigRepo } from './db/config-repo.ts';
import { createMeasurementWriter } from './db/measurement.ts';
import { type AppConfig, type Bindings, parseConfig } from './env.ts';
import { log } from './log.ts';
import { createKvStore } from './state/kv-store.ts';
import type { StateStore } from './state/store.ts';
import { createUpstashStore } from './state/upstash-store.ts';
import type { Deps, WaitUntil } from './types.ts';

export function createStore(config: AppConfig, env: Bindings): StateStore {
  if (config.stateBackend === 'upstash' && config.upstash) {
    // A client per request: it holds no connection (each command is a fetch), and sharing one across
    // requests would let its auto-pipelining resolve one request's promises from another's I/O.
    const redis = new Redis({
      url: config.upstash.url,
      token: config.upstash.token,
      // retried only when fetch itself fails; beacon updates carry event ids, so a repeat is skipped
      retry: { retries: 2, backoff: (attempt) => 50 * 2 ** attempt },
      enableTelemetry: false,
    });
    return createUpstashStore(redis);
  }
  return createKvStore(env.HIO_KV);
}

type Shared = Pick<Deps, 'config' | 'configRepo' | 'measurement'> & { kvStore: StateStore };

// what does not depend on the request, built once per isolate (per env object)
const shared = new WeakMap<Bindings, Shared>();

function sharedFor(env: Bindings): Shared {
  let s = shared.get(env);
  if (!s) {
    const config = parseConfig(env);
    s = {
      config,
      configRepo: createConfigRepo(env.HIO_DB, config.configTtlMs, (m, e) => log('error', m, e), env.HIO_KV),
      measurement: createMeasurementWriter(env.HIO_DB, log, { secret: config.secret }),
      kvStore: createKvStore(env.HIO_KV),
    };
    shared.set(env, s);
  }
  return s;
}

export function createDeps(env: Bindings, ctx: WaitUntil): Deps {
  const s = sharedFor(env);
  return {
    config: s.config,
    env,
    store: s.config.stateBackend === 'kv' ? s.kvStore : createStore(s.config, env),
    configRepo: s.configRepo,
    now: () => Date.now(),
    waitUntil: (p) => ctx.waitUntil(p),
    log,
    fetchOrigin: (req) => fetch(req),
    htmlCache: s.config.htmlCache && typeof caches !== 'undefined' ? caches.default : null,
    measurement: s.measurement,
  };
}
