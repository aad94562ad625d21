/**
 * @module admin-session
 * The dashboard's login session: cookie `hio_admin=v1.<expiry>.<signature>`, where the expiry is in unix
 * seconds and the signature is HMAC-SHA256 over the expiry and the current admin token, keyed from
 * HIO_SECRET behind a context prefix (so it can never be confused with a visitor cookie signature). The
 * cookie carries no secret; rotating HIO_ADMIN_TOKEN or HIO_SECRET ends every session.
 * It is HttpOnly, SameSite=Strict and scoped to `/__hio/`, and it is accepted for reading; a request that
 * changes something with it must also come from the same origin (a second line against CSRF).
 */
import type { Deps } from '../deps.ts';
import { b64url, unb64url } from './base64url.ts';
import { readCookie } from './visitor-cookie.ts';

export const SESSION_COOKIE = 'hio_admin';
export const SESSION_TTL_SECONDS = 12 * 60 * 60;
const CONTEXT = 'hio-admin-session:v1:';
const VALUE_RE = /^v1\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

const keys = new Map<string, Promise<CryptoKey>>();

function sessionKey(secret: string): Promise<CryptoKey> {
  let k = keys.get(secret);
  if (!k) {
    k = crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(CONTEXT + secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
    keys.set(secret, k);
  }
  return k;
}

const message = (exp: number, adminToken: string) => new TextEncoder().encode(`${exp}\u0000${adminToken}`);

/** A session cookie value valid until `nowMs` + 12 h. */
export async function signSession(nowMs: number, secret: string, adminToken: string): Promise<string> {
  const exp = Math.floor(nowMs / 1000) + SESSION_TTL_SECONDS;
  const sig = await crypto.subtle.sign('HMAC', await sessionKey(secret), message(exp, adminToken));
  return `v1.${exp}.${b64url(sig)}`;
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
  return crypto.subtle.verify(
    'HMAC',
    await sessionKey(secret),
    unb64url(m[2]) ?? new Uint8Array(),
    message(exp, adminToken),
  );
}

const secureFlag = (req: Request) => (new URL(req.url).protocol === 'https:' ? '; Secure' : '');

export function sessionCookieHeader(value: string, req: Request): string {
  return `${SESSION_COOKIE}=${value}; Max-Age=${SESSION_TTL_SECONDS}; Path=/__hio/; HttpOnly; SameSite=Strict${secureFlag(req)}`;
}

export function clearSessionCookieHeader(req: Request): string {
  return `${SESSION_COOKIE}=; Max-Age=0; Path=/__hio/; HttpOnly; SameSite=Strict${secureFlag(req)}`;
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

/**
 * Whether the request carries a valid dashboard session: always for GET/HEAD, and for other methods only
 * from the same origin.
 */
export async function isAdminSession(deps: Deps, req: Request): Promise<boolean> {
  const token = deps.config.adminToken;
  if (!token) return false;
  const value = readCookie(req.headers.get('cookie'), SESSION_COOKIE);
  if (value === undefined) return false;
  if (!SAFE_METHODS.has(req.method) && !isSameOrigin(req)) return false;
  return verifySession(value, deps.now(), deps.config.secret, token);
}
