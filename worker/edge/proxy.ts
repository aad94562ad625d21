/**
 * @module proxy
 * Forwards a request to ORIGIN_URL and nowhere else: the path and query of the incoming URL are
 * applied to the configured origin, so no header or URL of the request can choose the host.
 */

/** Headers never forwarded: hop-by-hop ones, and our own cookie (the origin has no use for it). */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
];

/** Encodings the runtime can decode for HTMLRewriter (zstd would reach the rewriter compressed). */
const ACCEPTED_ENCODINGS = 'gzip, br';

export function originUrl(origin: URL, requestUrl: URL): URL {
  const target = new URL(origin.href);
  const basePath = origin.pathname.replace(/\/$/, '');
  target.pathname = basePath + requestUrl.pathname;
  target.search = requestUrl.search;
  return target;
}

export function buildOriginRequest(req: Request, origin: URL): Request {
  const url = new URL(req.url);
  const target = originUrl(origin, url);
  const headers = new Headers(req.headers);
  for (const h of HOP_BY_HOP) headers.delete(h);
  headers.set('host', target.host);
  headers.set('accept-encoding', ACCEPTED_ENCODINGS);
  const cookie = headers.get('cookie');
  if (cookie) {
    const rest = cookie
      .split(';')
      .filter((c) => !c.trim().startsWith('hio_vid='))
      .join(';')
      .trim();
    if (rest) headers.set('cookie', rest);
    else headers.delete('cookie');
  }
  if (!headers.has('x-forwarded-host')) headers.set('x-forwarded-host', url.host);
  if (!headers.has('x-forwarded-proto')) headers.set('x-forwarded-proto', url.protocol.replace(':', ''));
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  return new Request(target.href, {
    method: req.method,
    headers,
    body: hasBody ? req.body : null,
    redirect: 'manual',
  });
}

/** Whether a response is one the worker may rewrite (a 2xx HTML body to a GET). */
export function isRewritable(req: Request, res: Response): boolean {
  if (req.method !== 'GET') return false;
  if (res.status < 200 || res.status >= 300 || res.status === 204) return false;
  if (!res.body) return false;
  const type = res.headers.get('content-type') ?? '';
  return /^\s*text\/html\b/i.test(type);
}
