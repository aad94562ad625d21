/**
 * @module preview
 * `GET /__hio/admin/preview?campaign=&variant=&path=&ttl=`: a signed, expiring QA preview link that
 * shows that variant on that page, never counted (see edge/preview.ts).
 */
import { PREVIEW_PARAM, signPreview } from '../edge/preview.ts';
import type { Deps } from '../types.ts';
import { json, jsonError } from './json.ts';

export async function handlePreviewLink(deps: Deps, req: Request): Promise<Response> {
  const q = new URL(req.url).searchParams;
  const campaign = q.get('campaign');
  const variant = q.get('variant');
  const path = q.get('path') ?? '/';
  const ttl = Number(q.get('ttl') ?? 3600);
  if (!campaign || !variant) return jsonError(400, 'campaign and variant are required');
  if (!path.startsWith('/') || path.startsWith('//'))
    return jsonError(400, 'path must start with a single /');
  if (!Number.isFinite(ttl) || ttl <= 0 || ttl > 7 * 86_400)
    return jsonError(400, 'ttl must be 1..604800 seconds');
  const live = await deps.configRepo.live(deps.now(), deps.waitUntil);
  const c = live.doc.campaigns.find((x) => x.id === campaign);
  if (!c) return jsonError(404, `no campaign "${campaign}"`);
  if (!c.variants.some((v) => v.id === variant))
    return jsonError(404, `campaign "${campaign}" has no variant "${variant}"`);
  const exp = deps.now() + ttl * 1000;
  const token = await signPreview({ campaign, variant, exp }, deps.config.secret);
  const url = new URL(path, req.url);
  url.searchParams.set(PREVIEW_PARAM, token);
  return json({ url: url.href, expires: new Date(exp).toISOString() });
}
