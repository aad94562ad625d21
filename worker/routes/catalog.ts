/**
 * @module catalog
 * `GET/PUT /__hio/admin/catalog` (Bearer): the item catalogue recommendations draw from. PUT replaces
 * the uploaded catalogue whole, validated as the campaign document is (400 with every problem and its
 * path; nothing changes). GET returns the uploaded catalogue exactly as it can be PUT back;
 * `?source=page` returns the items the site's pages declared instead (db/catalog-collect.ts), each with
 * the `path` that declared it and when it was `checkedAt`, and the collector's latest `checks` that put
 * nothing into the catalogue (ids refused, invalid or failed, and when each may be retried). Both carry the count of each source in
 * `X-HIO-Items-Uploaded` / `X-HIO-Items-Declared`.
 */
import { createCatalogRepo } from '../db/catalog-repo.ts';
import { parseCatalog } from '../engine/index.ts';
import type { Deps } from '../types.ts';
import { json, jsonError, readJsonDocument } from './json.ts';

/** 20,000 items of a few hundred bytes each. */
export const MAX_CATALOG_BYTES = 8 * 1024 * 1024;

export async function handleGetCatalog(deps: Deps, req: Request): Promise<Response> {
  const source = new URL(req.url).searchParams.get('source') ?? 'upload';
  if (source !== 'upload' && source !== 'page') return jsonError(400, 'source must be "upload" or "page"');
  const repo = createCatalogRepo(deps.env.HIO_DB);
  try {
    const counts = await repo.counts();
    const headers = {
      'x-hio-items-uploaded': String(counts.upload),
      'x-hio-items-declared': String(counts.page),
    };
    if (source === 'upload') return json({ items: await repo.list('upload') }, 200, headers);
    const [items, checks] = await Promise.all([repo.pageItems(), repo.pageChecks()]);
    return json({ items, checks }, 200, headers);
  } catch (err) {
    deps.log('error', 'reading the catalogue failed', err);
    return jsonError(503, 'the catalogue could not be read; retry later', undefined, { 'retry-after': '10' });
  }
}

export async function handlePutCatalog(deps: Deps, req: Request): Promise<Response> {
  const read = await readJsonDocument(req, 'catalogue', 'catalogue');
  if (!read.ok) return read.error;
  const body = read.body;
  const parsed = parseCatalog(body);
  if (!parsed.ok) return jsonError(400, 'invalid catalogue', { problems: parsed.problems });
  try {
    await createCatalogRepo(deps.env.HIO_DB).replaceUploaded(parsed.items, deps.now());
  } catch (err) {
    deps.log('error', 'saving the catalogue failed', err);
    return jsonError(503, 'the catalogue could not be stored; the previous one stays', undefined, {
      'retry-after': '10',
    });
  }
  // the next page reloads the live config, and with it the catalogue recommendations draw from
  deps.configRepo.invalidate();
  return json({ ok: true, items: parsed.items.length });
}
