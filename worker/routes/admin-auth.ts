/**
 * @module admin-auth
 * Who may use `/__hio/admin/*`: the Bearer `HIO_ADMIN_TOKEN` (Hono's `bearerAuth`, which compares in
 * constant time), or, for reading only, a dashboard session (edge/admin-session.ts).
 */
import type { MiddlewareHandler } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { timingSafeEqual } from 'hono/utils/buffer';
import { isAdminSession } from '../edge/admin-session.ts';
import { clientIp, createRateLimiter } from '../edge/rate-limit.ts';
import type { AppEnv, Deps } from '../types.ts';
import { jsonError } from './json.ts';

/**
 * Wrong admin tokens (Bearer or dashboard password) per client address: after 10 in 5 minutes, every
 * attempt from that address is refused with 429 until the window ends, the right token included.
 */
export const adminFailures = createRateLimiter({ limit: 10, windowMs: 5 * 60_000 });

export function tooManyFailures(deps: Deps, req: Request): Response | null {
  const wait = adminFailures.blocked(clientIp(req), deps.now());
  if (wait === null) return null;
  return jsonError(429, 'too many wrong admin tokens from this address; wait and retry', undefined, {
    'retry-after': String(wait),
  });
}

/** Counts a wrong token for the request's address. */
export function recordFailure(deps: Deps, req: Request): void {
  adminFailures.hit(clientIp(req), deps.now());
}

/** Whether `given` is the admin token, compared in constant time. */
export function isAdminToken(deps: Deps, given: string): Promise<boolean> {
  const token = deps.config.adminToken;
  return token ? timingSafeEqual(given, token) : Promise.resolve(false);
}

/** The admin API's guard: 403 when no token is configured, 401 without valid credentials. */
export function adminAuth(): MiddlewareHandler<AppEnv> {
  const refused = (error: string) => ({ error });
  const bearer = bearerAuth<AppEnv>({
    realm: 'hio',
    verifyToken: async (token, c) => {
      const ok = await isAdminToken(c.var.deps, token);
      if (!ok) recordFailure(c.var.deps, c.req.raw);
      return ok;
    },
    noAuthenticationHeader: { message: refused('missing bearer token') },
    invalidAuthenticationHeader: { message: refused('malformed Authorization header') },
    invalidToken: { message: refused('wrong bearer token') },
  });
  return async function adminAuth(c, next) {
    const deps = c.var.deps;
    if (!deps.config.adminToken)
      return jsonError(403, 'the admin API is disabled: set the HIO_ADMIN_TOKEN secret');
    const limited = tooManyFailures(deps, c.req.raw);
    if (limited) return limited;
    if (!c.req.header('authorization') && (await isAdminSession(deps, c.req.raw))) return next();
    return bearer(c, next);
  };
}

/** For pages outside the middleware (the dashboard): whether the request may read admin data. */
export async function mayReadAdmin(deps: Deps, req: Request): Promise<boolean> {
  const m = /^Bearer +(\S+)$/i.exec(req.headers.get('authorization') ?? '');
  if (m?.[1]) return isAdminToken(deps, m[1]);
  return isAdminSession(deps, req);
}

/** With ADMIN_HOSTNAME set, admin routes on any other hostname do not exist (404, as any unknown route). */
export function adminHostOnly(): MiddlewareHandler<AppEnv> {
  return async function adminHostOnly(c, next) {
    const only = c.var.deps.config.adminHostname;
    if (only && new URL(c.req.url).hostname.toLowerCase() !== only)
      return jsonError(404, 'no such HIO route');
    await next();
  };
}
