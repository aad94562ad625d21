/**
 * @module visitor-cookie
 * The signed visitor cookie `hio_vid=<id>.<signature>`: the id is 16 random bytes (base64url), the
 * signature HMAC-SHA256(id) with HIO_SECRET (base64url). A cookie that does not verify is treated as
 * absent: the visitor is new, and nothing about another visitor can be read or written with it.
 */
import { serialize } from 'hono/utils/cookie';
import { tryDecodeURIComponent } from 'hono/utils/url';
import { b64url } from './base64url.ts';
import { HMAC_CONTEXT, sign, verify } from './hmac.ts';

export const COOKIE_NAME = 'hio_vid';
export const COOKIE_MAX_AGE = 34_560_000;
const ID_RE = /^[A-Za-z0-9_-]{22}$/;

export function newVisitorId(): string {
  return b64url(crypto.getRandomValues(new Uint8Array(16)));
}

export async function signVisitorId(id: string, secret: string): Promise<string> {
  return `${id}.${await sign(secret, HMAC_CONTEXT.visitor, id)}`;
}

// Cookies this isolate has verified (value -> id, per secret): a returning visitor's signature is checked
// once per isolate, not on every request. Bounded; the oldest entries go first.
const VERIFIED_LIMIT = 10_000;
const verifiedBySecret = new Map<string, Map<string, string>>();

/** The visitor id of a cookie value, or null when it is malformed or its signature does not verify. */
export async function verifyVisitorCookie(value: string | undefined, secret: string): Promise<string | null> {
  if (!value || value.length > 128) return null;
  let verified = verifiedBySecret.get(secret);
  if (!verified) {
    verified = new Map();
    verifiedBySecret.set(secret, verified);
  }
  const hit = verified.get(value);
  if (hit !== undefined) return hit;
  const id = await verifySignature(value, secret);
  if (id !== null) {
    if (verified.size >= VERIFIED_LIMIT) verified.delete(verified.keys().next().value as string);
    verified.set(value, id);
  }
  return id;
}

async function verifySignature(value: string, secret: string): Promise<string | null> {
  const dot = value.indexOf('.');
  if (dot < 0) return null;
  const id = value.slice(0, dot);
  if (!ID_RE.test(id)) return null;
  return (await verify(secret, HMAC_CONTEXT.visitor, id, value.slice(dot + 1))) ? id : null;
}

// what Hono's cookie parser accepts as a name and as a value (hono/utils/cookie `parse`)
const COOKIE_NAME_RE = /^[!#-:<>-[\]-~]+$/;
const COOKIE_VALUE_RE = /^[ !#-:<-[\]-~]*$/;

/** `s[start, end)` without the spaces and tabs around it. */
function trimmed(s: string, start: number, end: number): string {
  while (start < end) {
    const c = s.charCodeAt(start);
    if (c !== 32 && c !== 9) break;
    start++;
  }
  while (end > start) {
    const c = s.charCodeAt(end - 1);
    if (c !== 32 && c !== 9) break;
    end--;
  }
  return s.slice(start, end);
}

/**
 * One cookie of a `Cookie` header, URI-decoded: exactly what Hono's `parse(header, name)[name]` reads
 * (the first pair of that name with a valid value; spaces and tabs trimmed, one pair of quotes
 * dropped), found by scanning the header once instead of parsing every pair into an object.
 */
export function readCookie(header: string | null, name: string): string | undefined {
  if (!header || header.indexOf(name) === -1 || !COOKIE_NAME_RE.test(name)) return undefined;
  const len = header.length;
  for (let start = 0; start < len; ) {
    let end = header.indexOf(';', start);
    if (end === -1) end = len;
    const eq = header.indexOf('=', start);
    if (eq !== -1 && eq < end && trimmed(header, start, eq) === name) {
      let value = trimmed(header, eq + 1, end);
      if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      if (COOKIE_VALUE_RE.test(value)) return tryDecodeURIComponent(value);
    }
    start = end + 1;
  }
  return undefined;
}

export function visitorCookieHeader(value: string, secure: boolean): string {
  return serialize(COOKIE_NAME, value, {
    maxAge: COOKIE_MAX_AGE,
    path: '/',
    httpOnly: true,
    sameSite: 'Lax',
    secure,
  });
}

export function clearVisitorCookieHeader(secure: boolean): string {
  return serialize(COOKIE_NAME, '', { maxAge: 0, path: '/', httpOnly: true, sameSite: 'Lax', secure });
}

/** The verified visitor id of a request, or null. */
export function visitorFromRequest(req: Request, secret: string): Promise<string | null> {
  return verifyVisitorCookie(readCookie(req.headers.get('cookie'), COOKIE_NAME), secret);
}
