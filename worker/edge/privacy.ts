/**
 * @module privacy
 * Whether HIO may profile this visitor at all: not when the browser sends Global Privacy Control
 * (`Sec-GPC: 1`, honoured by default), and, when the site requires consent, only with the site's
 * consent cookie. A visitor HIO may not profile gets the origin's page unchanged: no cookie, no
 * state, no browser script, no measurement.
 */
import type { CompiledDocument } from '../engine/index.ts';
import { readCookie } from './visitor-cookie.ts';

/** Why HIO may not profile this visitor ('gpc', 'no-consent'), or null when it may. */
export function privacyBlock(req: Request, doc: CompiledDocument): 'gpc' | 'no-consent' | null {
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
