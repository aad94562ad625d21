/**
 * @module client-script
 * `GET /__hio/client.js`: the browser script, cacheable, with a strong validator, and `nosniff` so
 * that a browser runs it only as the script its type says (and never takes a page for it).
 */
import { CLIENT_ETAG, CLIENT_JS } from '../generated/client.ts';

export function handleClientScript(req: Request): Response {
  const headers = {
    'content-type': 'application/javascript; charset=utf-8',
    'cache-control': 'public, max-age=300, stale-while-revalidate=86400',
    etag: CLIENT_ETAG,
    'x-content-type-options': 'nosniff',
  };
  const inm = req.headers.get('if-none-match');
  if (inm?.split(',').some((t) => t.trim().replace(/^W\//, '') === CLIENT_ETAG)) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(req.method === 'HEAD' ? null : CLIENT_JS, { headers });
}
