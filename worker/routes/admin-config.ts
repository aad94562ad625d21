/**
 * @module admin-config
 * `GET/PUT /__hio/admin/config`: the campaign document. GET returns the document itself, exactly as it
 * was PUT, with its version as a strong `ETag`, so what a user GETs can be edited and PUT back. PUT
 * honours `If-Match`: when the live version differs (someone else saved in between) it answers 412
 * and changes nothing. A document is accepted whole or not at all: a refused one lists every problem
 * with its path and the live one stays.
 */
import { selectorProblem } from '../edge/rewrite.ts';
import { lintDocument, parseDocument } from '../engine/index.ts';
import type { Deps } from '../types.ts';
import { json, jsonError, readJsonDocument } from './json.ts';

export const MAX_DOCUMENT_BYTES = 1024 * 1024;

const etagOf = (version: number) => `"v${version}"`;

export async function handleGetConfig(deps: Deps): Promise<Response> {
  const live = await deps.configRepo.live(deps.now(), deps.waitUntil);
  return json(live.doc.source, 200, { etag: etagOf(live.version) });
}

/**
 * The versions an `If-Match` header allows replacing: null for any (no header, or `*`), else the
 * versions its tags name (a tag that is not one of ours names none, so the save is refused).
 */
function expectedVersions(ifMatch: string | null): number[] | null {
  if (ifMatch === null) return null;
  const tags = ifMatch.split(',').map((t) => t.trim());
  if (tags.includes('*')) return null;
  return tags.flatMap((t) => {
    const m = /^"v(\d{1,15})"$/.exec(t);
    return m?.[1] ? [Number(m[1])] : [];
  });
}

export async function handlePutConfig(deps: Deps, req: Request): Promise<Response> {
  const read = await readJsonDocument(req, 'campaign document', 'document');
  if (!read.ok) return read.error;
  const body = read.body;
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
    const live = await deps.configRepo.save(
      parsed.doc,
      deps.now(),
      expectedVersions(req.headers.get('if-match')),
    );
    if (!live.saved) {
      return jsonError(
        412,
        'the live document changed since you read it; GET it again and reapply',
        undefined,
        {
          etag: etagOf(live.version),
        },
      );
    }
    // valid but suspect: shadowed or never-shown campaigns, unknown attributes, overlaps (engine/lint.ts);
    // selectors HTMLRewriter refuses were refused above: one it accepts is at most a warning here
    const warnings = lintDocument(parsed.doc, deps.now()).map((w) =>
      w.level === 'error' ? { ...w, level: 'warning' as const } : w,
    );
    return json({ ok: true, version: live.version, campaigns: parsed.doc.campaigns.length, warnings }, 200, {
      etag: etagOf(live.version),
    });
  } catch (err) {
    deps.log('error', 'saving the campaign document failed', err);
    return jsonError(503, 'the document could not be stored; the previous one stays live', undefined, {
      'retry-after': '10',
    });
  }
}
