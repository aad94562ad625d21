/**
 * @module purge
 * `POST /__hio/admin/purge` (Bearer): `{ "paths": ["/", "/products/red-shoes?ref=x"] }` removes the HTML
 * cache's copies of those pages (edge/html-cache.ts), so the next visitor's page is fetched from the
 * origin again. The Cache API is per location: this purges the location that answers the request. To
 * purge everywhere at once use Cloudflare's cache purge for those URLs (the copies are keyed by the
 * origin's URL), or keep the origin's `max-age` as short as a change may take to show.
 */
import * as v from 'valibot';
import { purgePages } from '../edge/html-cache.ts';
import type { Deps } from '../types.ts';
import { json, jsonError, readJsonBody } from './json.ts';

const PathSchema = v.pipe(
  v.string(),
  v.maxLength(2048),
  v.regex(/^\/(?!\/)[^\s#]*$/, 'must be a path starting with one "/" (no host, no fragment, no spaces)'),
);
const BodySchema = v.strictObject({ paths: v.pipe(v.array(PathSchema), v.minLength(1), v.maxLength(100)) });

export async function handlePurge(deps: Deps, req: Request): Promise<Response> {
  const read = await readJsonBody(req);
  if (!read.ok) return read.error;
  const parsed = v.safeParse(BodySchema, read.body);
  if (!parsed.success) {
    return jsonError(400, 'invalid purge request', {
      problems: parsed.issues.slice(0, 20).map((i) => `${v.getDotPath(i) ?? '(body)'}: ${i.message}`),
    });
  }
  if (!deps.htmlCache)
    return jsonError(409, 'the HTML cache is off (set HTML_CACHE=on to use it): nothing to purge');
  const paths = parsed.output.paths;
  const removed = await purgePages(deps, paths);
  return json({
    purged: removed.filter(Boolean).length,
    paths: paths.map((path, i) => ({ path, purged: removed[i] ?? false })),
  });
}
