/**
 * @module collect
 * `POST /__hio/collect`: the browser script's event batches. Validated in full before anything is
 * stored (bad input: 4xx with a JSON error, nothing changed). The engine plans the batch
 * (`planBeacon`): its profile op groups are applied through the store, idempotently by event id, and
 * the 204 is sent only once the store has them; when it cannot store them the answer is 503 with
 * Retry-After, and the script keeps the batch and sends it again. Its measurement rows follow from the
 * events alone and go to D1 after the response.
 */

import { isBot } from '../edge/page.ts';
import { applyProfile, persistMeasurement } from '../edge/persist.ts';
import { mayProfile } from '../edge/privacy.ts';
import { clientIp, createRateLimiter } from '../edge/rate-limit.ts';
import { visitorFromRequest } from '../edge/visitor-cookie.ts';
import { parseBatch, planBeacon } from '../engine/index.ts';
import type { Deps } from '../types.ts';
import { jsonError, readJsonBody } from './json.ts';

export const RETRY_AFTER_SECONDS = 30;

/** Batches per visitor per minute (the script sends a few per page), and per address without a cookie. */
export const BEACON_LIMITS = { perVisitor: 60, perAddress: 120, windowMs: 60_000 } as const;
const perVisitor = createRateLimiter({ limit: BEACON_LIMITS.perVisitor, windowMs: BEACON_LIMITS.windowMs });
const perAddress = createRateLimiter({ limit: BEACON_LIMITS.perAddress, windowMs: BEACON_LIMITS.windowMs });

/**
 * A beacon posted by another site (a page elsewhere making the visitor's browser post conversions) is
 * refused. Browsers say where a request comes from in `Sec-Fetch-Site` (and `Origin`); a request without
 * either (a server reporting conversions, curl) cannot carry a visitor's cookie by accident and is taken.
 */
export function fromAnotherSite(req: Request): boolean {
  const site = req.headers.get('sec-fetch-site');
  if (site) return site === 'cross-site';
  const origin = req.headers.get('origin');
  if (!origin) return false;
  try {
    return new URL(origin).host !== new URL(req.url).host;
  } catch {
    return true;
  }
}

const tooMany = (retryAfterSeconds: number) =>
  jsonError(429, 'too many event batches; slow down', undefined, {
    'retry-after': String(retryAfterSeconds),
  });

export async function handleCollect(deps: Deps, req: Request): Promise<Response> {
  if (fromAnotherSite(req)) return jsonError(403, 'event batches are taken from this site only');
  const visitorId = await visitorFromRequest(req, deps.config.secret);
  const limited = visitorId
    ? perVisitor.hit(visitorId, deps.now())
    : perAddress.hit(clientIp(req), deps.now());
  if (!limited.ok) return tooMany(limited.retryAfterSeconds);
  const type = (req.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'text/plain' && type !== 'application/json') {
    return jsonError(415, 'content-type must be text/plain or application/json');
  }
  const read = await readJsonBody(req);
  if (!read.ok) return read.error;
  const body = read.body;
  const parsed = parseBatch(body);
  if (!parsed.ok) return jsonError(400, 'invalid event batch', { problems: parsed.problems });

  if (!visitorId) return jsonError(400, 'missing or invalid visitor cookie');
  if (isBot(req.headers.get('user-agent') ?? '')) return new Response(null, { status: 204 });

  const now = deps.now();
  try {
    const [live, loaded] = await Promise.all([
      deps.configRepo.live(now, deps.waitUntil),
      deps.store.load(visitorId),
    ]);
    // without a loaded document the consent rules are unknown: keep nothing now, the script resends
    if (!live.loaded) throw new Error('no campaign document loaded');
    if (!mayProfile(req, live.doc)) return new Response(null, { status: 204 });
    const writes = planBeacon({
      doc: live.doc,
      visitorId,
      stored: loaded.profile,
      events: parsed.batch.events,
      now,
    });
    await applyProfile(deps, writes, loaded);
    deps.waitUntil(persistMeasurement(deps, writes, parsed.batch.events));
  } catch (err) {
    deps.log('error', 'storing events failed; asking the client to retry', err);
    return jsonError(503, 'events could not be stored; retry later', undefined, {
      'retry-after': String(RETRY_AFTER_SECONDS),
    });
  }
  return new Response(null, { status: 204 });
}
