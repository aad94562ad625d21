/**
 * @module deps
 * What a request handler needs, built once per request from the bindings: typed config, the state
 * store, the campaign document, a clock, `waitUntil` and a logger. Tests build their own.
 */

import { Redis } from '@upstash/redis/cloudflare';
import { type AnalyticsWriter, createAnalyticsWriter } from './db/analytics.ts';
import { type ConfigRepo, createConfigRepo } from './db/config-repo.ts';
import { type AppConfig, type Bindings, parseConfig } from './env.ts';
import { createKvStore } from './state/kv-store.ts';
import type { StateStore } from './state/store.ts';
import { createUpstashStore } from './state/upstash-store.ts';

export type LogLevel = 'info' | 'warn' | 'error';
export type Log = (level: LogLevel, msg: string, err?: unknown) => void;

export interface Deps {
  config: AppConfig;
  env: Bindings;
  store: StateStore;
  configRepo: ConfigRepo;
  now: () => number;
  waitUntil: (p: Promise<unknown>) => void;
  log: Log;
  fetchOrigin: (req: Request) => Promise<Response>;
  analytics: AnalyticsWriter;
}

export const log: Log = (level, msg, err) => {
  const line = JSON.stringify({
    level,
    msg,
    ...(err === undefined ? {} : { err: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }),
  });
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
};

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

export interface WaitUntil {
  waitUntil(p: Promise<unknown>): void;
}

type Shared = Pick<Deps, 'config' | 'configRepo' | 'analytics'> & { kvStore: StateStore };

// what does not depend on the request, built once per isolate (per env object)
const shared = new WeakMap<Bindings, Shared>();

function sharedFor(env: Bindings): Shared {
  let s = shared.get(env);
  if (!s) {
    const config = parseConfig(env);
    s = {
      config,
      configRepo: createConfigRepo(env.HIO_DB, config.configTtlMs, (m, e) => log('error', m, e)),
      analytics: createAnalyticsWriter(env.HIO_DB, log),
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
    analytics: s.analytics,
  };
}
