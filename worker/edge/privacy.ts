/**
 * @module privacy
 * Whether HIO may profile this visitor at all: not when the browser sends Global Privacy Control
 * (`Sec-GPC: 1`, honoured by default), and, when the site requires consent, only with the site's
 * consent cookie. A visitor HIO may not profile gets the origin's page unchanged: no cookie, no
 * state, no browser script, no measurement.
 */
import type { CompiledDocument } from '../engine/index.ts';
import { readCookie } from './visitor-cookie.ts';

/** The cookie the privacy page sets when a visitor turns personalization off for this browser. */
export const OPT_OUT_COOKIE = 'hio_optout';

/** Why HIO may not profile this visitor ('opt-out', 'gpc', 'no-consent'), or null when it may. */
export function privacyBlock(req: Request, doc: CompiledDocument): 'opt-out' | 'gpc' | 'no-consent' | null {
  if (readCookie(req.headers.get('cookie'), OPT_OUT_COOKIE) === '1') return 'opt-out';
  const p = doc.settings.privacy;
  if (p.honorGlobalPrivacyControl && req.headers.get('sec-gpc')?.trim() === '1') return 'gpc';
  if (p.consentCookie) {
    const value = readCookie(req.headers.get('cookie'), p.consentCookie.name);
    if (value === undefined) return 'no-consent';
    if (p.consentCookie.value !== undefined && value !== p.consentCookie.value) return 'no-consent';
  }
  return null;
}

export function mayProfile(req: Request, doc: CompiledDocument): boolean {
  return privacyBlock(req, doc) === null;
}
