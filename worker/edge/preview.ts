/**
 * @module preview
 * QA preview links: an admin opens any page with a chosen campaign variant forced, through a signed,
 * expiring token in the `hio_preview` query parameter. A preview is never counted: no profile write,
 * no exposure, no browser script (so no beacons), and `Cache-Control: no-store`.
 */

import { b64url, unb64url } from './base64url.ts';
import { HMAC_CONTEXT, sign, verify } from './hmac.ts';

export const PREVIEW_PARAM = 'hio_preview';

export interface PreviewClaim {
  campaign: string;
  variant: string;
  /** expiry, ms since epoch */
  exp: number;
}

const enc = new TextEncoder();

export async function signPreview(claim: PreviewClaim, secret: string): Promise<string> {
  const payload = b64url(enc.encode(JSON.stringify([claim.campaign, claim.variant, claim.exp])));
  return `${payload}.${await sign(secret, HMAC_CONTEXT.preview, payload)}`;
}

export async function verifyPreview(
  token: string | null,
  secret: string,
  now: number,
): Promise<PreviewClaim | null> {
  if (!token || token.length > 512) return null;
  const [payload, sig] = token.split('.');
  if (!payload || !sig) return null;
  if (!(await verify(secret, HMAC_CONTEXT.preview, payload, sig))) return null;
  try {
    const raw = unb64url(payload);
    const [campaign, variant, exp] = JSON.parse(
      new TextDecoder().decode(raw ?? new Uint8Array()),
    ) as unknown[];
    if (typeof campaign !== 'string' || typeof variant !== 'string' || typeof exp !== 'number') return null;
    if (exp < now) return null;
    return { campaign, variant, exp };
  } catch {
    return null;
  }
}

/** The request without the preview parameter, as the origin should see it. */
export function withoutPreviewParam(req: Request): Request {
  const url = new URL(req.url);
  if (!url.searchParams.has(PREVIEW_PARAM)) return req;
  url.searchParams.delete(PREVIEW_PARAM);
  return new Request(url.href, req);
}
