/**
 * @module me
 * `GET /__hio/me`: a visitor's own data and why each campaign was or was not shown to them.
 * `DELETE /__hio/me`: erases everything stored about the visitor and clears the cookie.
 */
import { requestFacts } from '../edge/request-facts.ts';
import { clearVisitorCookieHeader, visitorFromRequest } from '../edge/visitor-cookie.ts';
import { planPage } from '../engine/index.ts';
import type { Deps } from '../types.ts';
import { json, jsonError } from './json.ts';

export async function handleMe(deps: Deps, req: Request): Promise<Response> {
  const visitorId = await visitorFromRequest(req, deps.config.secret);
  if (!visitorId) {
    return json({ visitor: null, message: 'No visitor cookie: HIO stores nothing about you.' });
  }
  const now = deps.now();
  const [live, loaded] = await Promise.all([
    deps.configRepo.live(now, deps.waitUntil),
    deps.store.load(visitorId),
  ]);
  const p = planPage({
    doc: live.doc,
    visitorId,
    stored: loaded.profile,
    facts: requestFacts(req, live.doc, now),
    mode: 'explain',
    banditWeights: live.bandit,
  });
  return json({
    visitor: visitorId,
    backend: deps.store.backend,
    profile: p.view,
    stored: loaded.profile,
    attributes: p.attributes,
    segments: p.attributes.segments,
    holdout: p.result.holdout,
    assignments: p.view.assignments,
    campaigns: p.result.explanations,
    configVersion: live.version,
  });
}

export async function handleMeDelete(deps: Deps, req: Request): Promise<Response> {
  const secure = new URL(req.url).protocol === 'https:';
  const visitorId = await visitorFromRequest(req, deps.config.secret);
  const headers = { 'set-cookie': clearVisitorCookieHeader(secure) };
  if (!visitorId) return json({ erased: false, message: 'No visitor cookie: nothing stored.' }, 200, headers);
  try {
    await Promise.all([deps.store.erase(visitorId), deps.measurement.eraseVisitor(visitorId, deps.now())]);
  } catch (err) {
    deps.log('error', 'erasing a visitor failed', err);
    return jsonError(503, 'erasure could not complete; retry later', undefined, { 'retry-after': '30' });
  }
  return json({ erased: true, visitor: visitorId }, 200, headers);
}
