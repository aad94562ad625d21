/**
 * @module env
 * The bindings and the one place where environment strings become typed configuration.
 */

export interface Bindings {
  HIO_KV: KVNamespace;
  HIO_DB: D1Database;
  ORIGIN_URL: string;
  HIO_SECRET?: string;
  HIO_ADMIN_TOKEN?: string;
  STATE_BACKEND?: string;
  UPSTASH_REDIS_REST_URL?: string;
  UPSTASH_REDIS_REST_TOKEN?: string;
  /** milliseconds the page path waits for visitor state before serving unpersonalized (default 50) */
  STATE_BUDGET_MS?: string;
  /** seconds a worker isolate keeps the campaign document before checking D1 again (default 10) */
  CONFIG_TTL_SECONDS?: string;
}

export interface AppConfig {
  origin: URL;
  secret: string;
  adminToken: string | null;
  stateBackend: 'kv' | 'upstash';
  upstash: { url: string; token: string } | null;
  stateBudgetMs: number;
  configTtlMs: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function positive(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0)
    throw new ConfigError(`${name} must be a non-negative number, got "${raw}"`);
  return n;
}

const cache = new WeakMap<object, AppConfig>();

/** Parses the environment once per isolate (per env object). Throws ConfigError naming the bad setting. */
export function parseConfig(env: Bindings): AppConfig {
  const hit = cache.get(env);
  if (hit) return hit;
  let origin: URL;
  try {
    origin = new URL(env.ORIGIN_URL);
  } catch {
    throw new ConfigError(`ORIGIN_URL must be an absolute http(s) URL, got "${env.ORIGIN_URL ?? ''}"`);
  }
  if (origin.protocol !== 'http:' && origin.protocol !== 'https:') {
    throw new ConfigError(`ORIGIN_URL must use http or https, got "${origin.protocol}"`);
  }
  if (!env.HIO_SECRET) throw new ConfigError('HIO_SECRET is not set (wrangler secret put HIO_SECRET)');
  const backend = env.STATE_BACKEND ?? 'kv';
  if (backend !== 'kv' && backend !== 'upstash') {
    throw new ConfigError(`STATE_BACKEND must be "kv" or "upstash", got "${backend}"`);
  }
  let upstash: AppConfig['upstash'] = null;
  if (backend === 'upstash') {
    if (!env.UPSTASH_REDIS_REST_URL || !env.UPSTASH_REDIS_REST_TOKEN) {
      throw new ConfigError(
        'STATE_BACKEND=upstash needs UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN',
      );
    }
    upstash = { url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN };
  }
  const config: AppConfig = {
    origin,
    secret: env.HIO_SECRET,
    adminToken: env.HIO_ADMIN_TOKEN || null,
    stateBackend: backend,
    upstash,
    stateBudgetMs: positive(env.STATE_BUDGET_MS, 50, 'STATE_BUDGET_MS'),
    configTtlMs: positive(env.CONFIG_TTL_SECONDS, 10, 'CONFIG_TTL_SECONDS') * 1000,
  };
  cache.set(env, config);
  return config;
}
