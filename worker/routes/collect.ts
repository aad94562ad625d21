/**
 * @module collect
 * `POST /__hio/collect`: the browser script's event batches. Validated in full before anything is
 * stored (bad input: 4xx with a JSON error, nothing changed). Events fold into the profile through the
 * store, idempotently by event id, and the 204 is sent only once the store has them: when it cannot
 * store them the answer is 503 with Retry-After, and the script keeps the batch and sends it again.
 */

import type { Deps } from '../deps.ts';
import { isBot } from '../edge/page.ts';
import { mayProfile } from '../edge/privacy.ts';
import { visitorFromRequest } from '../edge/visitor-cookie.ts';
import { categoryFromRules } from '../engine/attributes.ts';
import { foldEvents, MAX_BATCH_BYTES, parseBatch } from '../engine/events.ts';
import { BodyTooLarge, jsonError, readLimited } from './json.ts';

export const RETRY_AFTER_SECONDS = 30;

export async function handleCollect(deps: Deps, req: Request): Promise<Response> {
  const type = (req.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'text/plain' && type !== 'application/json') {
    return jsonError(415, 'content-type must be text/plain or application/json');
  }
  let text: string;
  try {
    text = await readLimited(req, MAX_BATCH_BYTES);
  } catch (err) {
    if (err instanceof BodyTooLarge) return jsonError(413, `batch larger than ${MAX_BATCH_BYTES} bytes`);
    return jsonError(400, 'body is not valid UTF-8');
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return jsonError(400, 'body is not valid JSON');
  }
  const parsed = parseBatch(body);
  if (!parsed.ok) return jsonError(400, 'invalid event batch', { problems: parsed.problems });

  const visitorId = await visitorFromRequest(req, deps.config.secret);
  if (!visitorId) return jsonError(400, 'missing or invalid visitor cookie');
  if (isBot(req.headers.get('user-agent') ?? '')) return new Response(null, { status: 204 });

  const now = deps.now();
  try {
    const [live, loaded] = await Promise.all([
      deps.configRepo.live(now, deps.waitUntil),
      deps.store.load(visitorId),
    ]);
    const doc = live.doc;
    if (!mayProfile(req, doc)) return new Response(null, { status: 204 });
    const events = parsed.batch.events.map((e) =>
      e.t === 'pageview' && !e.category && e.path
        ? { ...e, category: categoryFromRules(doc, e.path.split('?')[0] ?? '') ?? undefined }
        : e,
    );
    const groups = foldEvents(events, {
      now,
      profile: loaded.profile,
      sessionTimeoutMs: doc.settings.sessionTimeoutMs,
      interestHalfLifeMs: doc.settings.interestHalfLifeMs,
    });
    const result = await deps.store.apply(visitorId, 'beacon', groups, {
      ttlSeconds: doc.settings.retentionSeconds,
      loaded,
    });
    // measurement is idempotent by event id in D1; a batch the store saw entirely before is skipped
    if (result.applied > 0)
      deps.waitUntil(deps.analytics.recordEvents(visitorId, loaded.profile, doc, events, now));
  } catch (err) {
    deps.log('error', 'storing events failed; asking the client to retry', err);
    return jsonError(503, 'events could not be stored; retry later', undefined, {
      'retry-after': String(RETRY_AFTER_SECONDS),
    });
  }
  return new Response(null, { status: 204 });
}
