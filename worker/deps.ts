/**
 * @module deps
 * What a request handler needs, built once per request from the bindings: typed config, the state
 * store, the campaign document, a clock, `waitUntil` and a logger. Tests build their own.
 */

import { type ConfigRepo, createConfigRepo } from './db/config-repo.ts';
import { type AnalyticsWriter, createAnalyticsWriter } from './db/analytics.ts';
import { type AppConfig, type Bindings, parseConfig } from './env.ts';
import { createKvStore } from './state/kv-store.ts';
import type { StateStore } from './state/store.ts';

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
  // the Upstash store is loaded lazily so KV deployments do not pay for its client
  if (config.stateBackend === 'upstash')
    throw new Error('STATE_BACKEND=upstash is not available in this build');
  return createKvStore(env.HIO_KV);
}

export interface WaitUntil {
  waitUntil(p: Promise<unknown>): void;
}

export function createDeps(env: Bindings, ctx: WaitUntil): Deps {
  const config = parseConfig(env);
  return {
    config,
    env,
    store: createStore(config, env),
    configRepo: createConfigRepo(env.HIO_DB, config.configTtlMs, (m, e) => log('error', m, e)),
    now: () => Date.now(),
    waitUntil: (p) => ctx.waitUntil(p),
    log,
    fetchOrigin: (req) => fetch(req),
    analytics: createAnalyticsWriter(env.HIO_DB, log),
  };
}
