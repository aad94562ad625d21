/**
 * @module request-facts
 * What the engine needs to know about a request (engine/attributes.ts `RequestFacts`), read from it once.
 */
import { type CompiledDocument, categoryFromRules, type RequestFacts } from '../engine/index.ts';

/** `url`: the request's URL, when the caller has parsed it already (it is not modified). */
export function requestFacts(
  req: Request,
  doc: CompiledDocument,
  now: number,
  url: URL = new URL(req.url),
): RequestFacts {
  const cf = (req as Request & { cf?: { country?: string; timezone?: string } }).cf;
  return {
    url,
    userAgent: req.headers.get('user-agent') ?? '',
    referer: req.headers.get('referer'),
    country: cf?.country ?? req.headers.get('cf-ipcountry'),
    timezone: cf?.timezone ?? null,
    now,
    category: categoryFromRules(doc, url.pathname),
  };
}
