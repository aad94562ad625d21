/**
 * @module admin-session
 * The dashboard's login session: cookie `hio_admin=v1.<expiry>.<signature>`, where the expiry is in unix
 * seconds and the signature is HMAC-SHA256 over the expiry and the current admin token, keyed from
 * HIO_SECRET behind a context prefix (so it can never be confused with a visitor cookie signature). The
 * cookie carries no secret; rotating HIO_ADMIN_TOKEN or HIO_SECRET ends every session.
 * It is HttpOnly, SameSite=Strict and scoped to `/__hio/`, and it only ever reads: every write to the admin
 * API needs the Bearer token. The dashboard shares the site's origin, so a script on any page of the site
 * could otherwise use an admin's session to change what every visitor sees.
 */
import { serialize } from 'hono/utils/cookie';
import type { Deps } from '../types.ts';
import { HMAC_CONTEXT, sign, verify } from './hmac.ts';
import { readCookie } from './visitor-cookie.ts';

export const SESSION_COOKIE = 'hio_admin';
export const SESSION_TTL_SECONDS = 12 * 60 * 60;
const VALUE_RE = /^v1\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

const message = (exp: number, adminToken: string) => new TextEncoder().encode(`${exp}\u0000${adminToken}`);

/** A session cookie value valid until `nowMs` + 12 h. */
export async function signSession(nowMs: number, secret: string, adminToken: string): Promise<string> {
  const exp = Math.floor(nowMs / 1000) + SESSION_TTL_SECONDS;
  return `v1.${exp}.${await sign(secret, HMAC_CONTEXT.adminSession, message(exp, adminToken))}`;
}

/** Whether a cookie value is a session signed for this secret and token that has not expired. */
export async function verifySession(
  value: string | undefined,
  nowMs: number,
  secret: string,
  adminToken: string,
): Promise<boolean> {
  const m = value ? VALUE_RE.exec(value) : null;
  if (!m?.[1] || !m[2]) return false;
  const exp = Number(m[1]);
  const now = Math.floor(nowMs / 1000);
  // an expiry further out than a fresh login gives cannot come from us
  if (exp <= now || exp > now + SESSION_TTL_SECONDS) return false;
  return verify(secret, HMAC_CONTEXT.adminSession, message(exp, adminToken), m[2]);
}

const cookieOptions = (req: Request, maxAge: number) =>
  ({
    maxAge,
    path: '/__hio/',
    httpOnly: true,
    sameSite: 'Strict',
    secure: new URL(req.url).protocol === 'https:',
  }) as const;

export function sessionCookieHeader(value: string, req: Request): string {
  return serialize(SESSION_COOKIE, value, cookieOptions(req, SESSION_TTL_SECONDS));
}

export function clearSessionCookieHeader(req: Request): string {
  return serialize(SESSION_COOKIE, '', cookieOptions(req, 0));
}

/**
 * Whether a browser request comes from a page of this same origin. Requests without the browser's fetch
 * metadata (curl, scripts) pass: they cannot be forged by another site.
 */
export function isSameOrigin(req: Request): boolean {
  const site = req.headers.get('sec-fetch-site');
  if (site) return site === 'same-origin' || site === 'none';
  const origin = req.headers.get('origin');
  if (!origin) return true;
  try {
    return new URL(origin).host === new URL(req.url).host;
  } catch {
    return false;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** Whether the request reads (GET/HEAD) with a valid dashboard session; a session never writes. */
export async function isAdminSession(deps: Deps, req: Request): Promise<boolean> {
  const token = deps.config.adminToken;
  if (!token || !SAFE_METHODS.has(req.method)) return false;
  const value = readCookie(req.headers.get('cookie'), SESSION_COOKIE);
  if (value === undefined) return false;
  return verifySession(value, deps.now(), deps.config.secret, token);
}
