/**
 * @module admin-auth
 * Who may use `/__hio/admin/*`: the Bearer `HIO_ADMIN_TOKEN` (Hono's `bearerAuth`, which compares in
 * constant time), or, for reading only, a dashboard session (edge/admin-session.ts).
 */
import type { MiddlewareHandler } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { timingSafeEqual } from 'hono/utils/buffer';
import { isAdminSession } from '../edge/admin-session.ts';
import type { AppEnv, Deps } from '../types.ts';
import { jsonError } from './json.ts';

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
    verifyToken: (token, c) => isAdminToken(c.var.deps, token),
    noAuthenticationHeader: { message: refused('missing bearer token') },
    invalidAuthenticationHeader: { message: refused('malformed Authorization header') },
    invalidToken: { message: refused('wrong bearer token') },
  });
  return async function adminAuth(c, next) {
    const deps = c.var.deps;
    if (!deps.config.adminToken)
      return jsonError(403, 'the admin API is disabled: set the HIO_ADMIN_TOKEN secret');
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
