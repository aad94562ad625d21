/**
 * @module hmac
 * HMAC-SHA256 with keys derived from HIO_SECRET behind a context prefix, so a signature made for one
 * purpose (visitor cookie, admin session, preview link, replay record, event log pseudonym) never
 * verifies for another. Keys are imported once per isolate.
 */
import { b64url, unb64url } from './base64url.ts';

/** The contexts in use; the visitor cookie's is empty for the cookies already out there. */
export const HMAC_CONTEXT = {
  visitor: '',
  adminSession: 'hio-admin-session:v1:',
  preview: 'hio-preview:',
  replay: 'hio-replay:v1:',
  /** the pseudonymous visitor id of the raw event log (db/event-log.ts) */
  eventLog: 'hio-event-log:v1:',
} as const;

type Context = (typeof HMAC_CONTEXT)[keyof typeof HMAC_CONTEXT];

const enc = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

export function hmacKey(secret: string, context: Context): Promise<CryptoKey> {
  const material = context + secret;
  let k = keys.get(material);
  if (!k) {
    k = crypto.subtle.importKey('raw', enc.encode(material), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]);
    if (keys.size > 16) keys.clear();
    keys.set(material, k);
  }
  return k;
}

/** The base64url HMAC of `data`. */
export async function sign(secret: string, context: Context, data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === 'string' ? enc.encode(data) : data;
  return b64url(await crypto.subtle.sign('HMAC', await hmacKey(secret, context), bytes));
}

/** Whether `signature` (base64url) is the HMAC of `data`, checked in constant time by the runtime. */
export async function verify(
  secret: string,
  context: Context,
  data: string | Uint8Array,
  signature: string,
): Promise<boolean> {
  const sig = unb64url(signature);
  if (sig?.length !== 32) return false;
  const bytes = typeof data === 'string' ? enc.encode(data) : data;
  return crypto.subtle.verify('HMAC', await hmacKey(secret, context), sig, bytes);
}
