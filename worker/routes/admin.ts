/**
 * @module admin
 * The admin API: bearer-token auth, and `GET/PUT /__hio/admin/config` for the campaign document.
 * A document is accepted whole or not at all: a refused one lists every problem and the live one stays.
 */
import type { Deps } from '../deps.ts';
import { isAdminSession } from '../edge/admin-session.ts';
import { selectorProblem } from '../edge/rewrite.ts';
import { parseDocument } from '../engine/document.ts';
import { BodyTooLarge, json, jsonError, readLimited } from './json.ts';

export const MAX_DOCUMENT_BYTES = 1024 * 1024;

export function timingSafeEqual(a: string, b: string): boolean {
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  let diff = ea.length ^ eb.length;
  for (let i = 0; i < Math.max(ea.length, eb.length); i++) diff |= (ea[i] ?? 0) ^ (eb[i] ?? 0);
  return diff === 0;
}

/**
 * null when the request carries the admin token (or a dashboard session, see edge/admin-session.ts),
 * else the response to send.
 */
export async function checkAdmin(deps: Deps, req: Request): Promise<Response | null> {
  const token = deps.config.adminToken;
  if (!token) return jsonError(403, 'the admin API is disabled: set the HIO_ADMIN_TOKEN secret');
  const auth = req.headers.get('authorization') ?? '';
  const m = /^Bearer\s+(.+)$/i.exec(auth);
  if (m?.[1] && timingSafeEqual(m[1].trim(), token)) return null;
  if (await isAdminSession(deps, req)) return null;
  return jsonError(401, 'missing or wrong bearer token', undefined, {
    'www-authenticate': 'Bearer realm="hio"',
  });
}

export async function handleGetConfig(deps: Deps): Promise<Response> {
  const live = await deps.configRepo.live(deps.now(), deps.waitUntil);
  return json({ version: live.version, degraded: live.degraded, document: live.doc.source });
}

export async function handlePutConfig(deps: Deps, req: Request): Promise<Response> {
  const type = (req.headers.get('content-type') ?? 'application/json').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') return jsonError(415, 'content-type must be application/json');
  let text: string;
  try {
    text = await readLimited(req, MAX_DOCUMENT_BYTES);
  } catch (err) {
    if (err instanceof BodyTooLarge)
      return jsonError(413, `document larger than ${MAX_DOCUMENT_BYTES} bytes`);
    return jsonError(400, 'body is not valid UTF-8');
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    return jsonError(400, 'invalid campaign document', {
      problems: [`(document): not valid JSON (${err instanceof Error ? err.message : 'parse error'})`],
    });
  }
  const parsed = parseDocument(body);
  const problems = parsed.ok ? [] : [...parsed.problems];
  if (parsed.ok) {
    parsed.doc.campaigns.forEach((c) => {
      for (const s of c.slots) {
        const p = selectorProblem(s.selector);
        if (p) problems.push(`campaign "${c.id}": selector "${s.selector}" is not supported (${p})`);
      }
    });
  }
  if (!parsed.ok || problems.length) return jsonError(400, 'invalid campaign document', { problems });
  try {
    const live = await deps.configRepo.save(parsed.doc, deps.now());
    return json({ ok: true, version: live.version, campaigns: parsed.doc.campaigns.length });
  } catch (err) {
    deps.log('error', 'saving the campaign document failed', err);
    return jsonError(503, 'the document could not be stored; the previous one stays live', undefined, {
      'retry-after': '10',
    });
  }
}
