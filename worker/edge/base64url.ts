/**
 * @module base64url
 * Base64url without padding, for the signatures in cookies and links (visitor cookie, admin session,
 * preview links).
 */

export function b64url(bytes: ArrayBuffer | Uint8Array): string {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = '';
  for (const b of u8) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * The bytes of a base64url string, or null when it is not one in its canonical form (no padding, no
 * `+`/`/`, no spaces, no stray bits in the last character): one value has one spelling, so a signed
 * cookie cannot be written several ways.
 */
export function unb64url(s: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) return null;
  try {
    const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return b64url(out) === s ? out : null;
  } catch {
    return null;
  }
}
