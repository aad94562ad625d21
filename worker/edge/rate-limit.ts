/**
 * @module rate-limit
 * Fixed-window counters per key (an IP, a visitor), kept in the isolate: they slow down brute force on
 * the admin token and floods of beacons from one visitor. An isolate sees only its own share of the
 * traffic, so these are a floor, not a global quota; SECURITY.md says to add a Cloudflare rate
 * limiting rule in front for that. Bounded: past `maxKeys` the oldest window is forgotten first.
 */

export interface RateLimitOptions {
  /** hits allowed per window */
  limit: number;
  windowMs: number;
  maxKeys?: number;
}

export interface RateLimiter {
  /** counts a hit; `ok: false` once the key is over its limit in the current window */
  hit(key: string, now: number): { ok: true } | { ok: false; retryAfterSeconds: number };
  /** whether the key is over its limit, without counting */
  blocked(key: string, now: number): number | null;
}

export function createRateLimiter({ limit, windowMs, maxKeys = 10_000 }: RateLimitOptions): RateLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  const current = (key: string, now: number) => {
    const w = windows.get(key);
    return w && now - w.start < windowMs ? w : null;
  };
  const retryAfter = (w: { start: number }, now: number) =>
    Math.max(1, Math.ceil((w.start + windowMs - now) / 1000));
  return {
    hit(key, now) {
      let w = current(key, now);
      if (!w) {
        windows.delete(key);
        if (windows.size >= maxKeys) windows.delete(windows.keys().next().value as string);
        w = { start: now, count: 0 };
        windows.set(key, w);
      }
      w.count++;
      return w.count > limit ? { ok: false, retryAfterSeconds: retryAfter(w, now) } : { ok: true };
    },
    blocked(key, now) {
      const w = current(key, now);
      return w && w.count >= limit ? retryAfter(w, now) : null;
    },
  };
}

/** The client's address as Cloudflare reports it (never a client-sent X-Forwarded-For). */
export const clientIp = (req: Request): string => req.headers.get('cf-connecting-ip') ?? 'unknown';
