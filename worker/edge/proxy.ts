/**
 * @module proxy
 * Forwards a request to ORIGIN_URL and nowhere else: the path and query of the incoming URL are
 * applied to the configured origin, so no header or URL of the request can choose the host.
 *
 * Forwarding headers come only from what the worker itself knows. A client can send any
 * `X-Forwarded-Host` or `Forwarded`, and an origin (or its framework) that trusts its proxy would
 * build absolute links, redirects and cache keys from them: host-header poisoning. So every
 * client-sent forwarding or client-address claim is dropped, and the worker sets `X-Forwarded-Host`
 * and `X-Forwarded-Proto` from the request URL (on Cloudflare, a hostname the worker's route matched)
 * and `X-Forwarded-For` from `CF-Connecting-IP`, which Cloudflare's edge sets and overwrites (a
 * worker's subrequest carries no `X-Forwarded-For` of its own). `Forwarded` is not set: one set of
 * forwarding headers is enough, and an origin that reads `Forwarded` first falls back to these.
 */

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1), plus those meant for a proxy (the worker uses no proxy
 * authentication, so a `Proxy-Authorization` would only leak credentials to the origin).
 */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'http2-settings',
];

/**
 * Claims about the client's host, scheme, address or URL that only a proxy may make. Nothing in
 * front of the worker vouches for them: Cloudflare's own view is `CF-Connecting-IP` and the URL.
 * `X-Original-URL` / `X-Rewrite-URL` are here because some frameworks route by them.
 */
const FORWARDING_CLAIMS = [
  'forwarded',
  'x-real-ip',
  'x-client-ip',
  'x-cluster-client-ip',
  'client-ip',
  'true-client-ip',
  'fastly-client-ip',
  'x-original-forwarded-for',
  'x-original-host',
  'x-original-url',
  'x-rewrite-url',
  'x-host',
  'x-http-host-override',
  'x-proxyuser-ip',
  'front-end-https',
  'x-url-scheme',
];

/** HIO's own cookies: the visitor id and the dashboard session. The origin has no use for them. */
const OWN_COOKIES = ['hio_vid', 'hio_admin'];

/** Encodings the runtime can decode for HTMLRewriter (zstd would reach the rewriter compressed). */
const ACCEPTED_ENCODINGS = 'gzip, br';

export function originUrl(origin: URL, requestUrl: URL): URL {
  const target = new URL(origin.href);
  const basePath = origin.pathname.replace(/\/$/, '');
  target.pathname = basePath + requestUrl.pathname;
  target.search = requestUrl.search;
  return target;
}

function withoutOwnCookies(cookie: string): string {
  return cookie
    .split(';')
    .filter((c) => {
      const name = c.split('=', 1)[0]?.trim() ?? '';
      return !OWN_COOKIES.includes(name);
    })
    .join(';')
    .trim();
}

/** What never reaches the origin as the client sent it: hop-by-hop headers and forwarding claims. */
const DROPPED = new Set([...HOP_BY_HOP, ...FORWARDING_CLAIMS]);

/**
 * The names a `Connection` header lists: for this hop only (RFC 9110 §7.6.1). A listed name that is
 * not a header token cannot be a header of this request, so it matches nothing.
 */
function connectionNames(value: string | null): Set<string> | null {
  if (!value) return null;
  const names = new Set<string>();
  for (const name of value.split(',')) names.add(name.trim().toLowerCase());
  return names;
}

/**
 * The headers the origin receives: the client's, minus hop-by-hop and forwarding claims, plus ours.
 * One copy and one pass over the request's headers, deleting only the names that are there (a
 * browser's request has none of them). `url` is the request's URL, parsed.
 */
export function originHeaders(req: Request, target: URL, url: URL = new URL(req.url)): Headers {
  const listed = connectionNames(req.headers.get('connection'));
  const headers = new Headers(req.headers);
  let range = false;
  let cookie: string | null = null;
  let client: string | null = null;
  for (const [name, value] of req.headers) {
    // read from the request as the client sent it, whatever Connection lists
    if (name === 'range') range = true;
    else if (name === 'cf-connecting-ip') client = value;
    if (DROPPED.has(name) || name.startsWith('x-forwarded-') || listed?.has(name)) headers.delete(name);
    else if (name === 'cookie') cookie = value;
  }
  headers.set('host', target.host);
  // a byte range counts bytes of the encoded body: the client's own Accept-Encoding must choose it,
  // and a range is never rewritten, so the rewriter's encodings do not matter there
  if (!range) headers.set('accept-encoding', ACCEPTED_ENCODINGS);
  if (cookie) {
    const rest = withoutOwnCookies(cookie);
    if (rest) headers.set('cookie', rest);
    else headers.delete('cookie');
  }
  headers.set('x-forwarded-host', url.host);
  headers.set('x-forwarded-proto', url.protocol.replace(':', ''));
  if (client) headers.set('x-forwarded-for', client);
  return headers;
}

/** The request to the origin; `url` is `req.url`, parsed (the page path has it already). */
export function buildOriginRequest(req: Request, origin: URL, url: URL = new URL(req.url)): Request {
  const target = originUrl(origin, url);
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  return new Request(target.href, {
    method: req.method,
    headers: originHeaders(req, target, url),
    body: hasBody ? req.body : null,
    redirect: 'manual',
  });
}

/**
 * Whether a response is one the worker may rewrite: a 2xx HTML body to a GET. A byte range (a
 * `Range` request, a `206`) is a slice of the origin's bytes: rewriting it would corrupt the slice,
 * so it passes through untouched (no script, no cookie).
 */
export function isRewritable(req: Request, res: Response): boolean {
  if (req.method !== 'GET' || req.headers.has('range')) return false;
  if (res.status < 200 || res.status >= 300 || res.status === 204 || res.status === 206) return false;
  if (!res.body) return false;
  const type = res.headers.get('content-type') ?? '';
  return /^\s*text\/html\b/i.test(type);
}

/**
 * Fields by which a CDN or reverse proxy decides to store a response, over or beside
 * `Cache-Control`: the targeted fields (RFC 9213 `CDN-Cache-Control`, Cloudflare's own), the Edge
 * Architecture `Surrogate-Control` (Fastly, Varnish setups), Akamai's `Edge-Control` and nginx's
 * `X-Accel-Expires` (each overrides `Cache-Control` for that cache), and `Expires`, which an
 * HTTP/1.0 cache obeys without reading `Cache-Control` at all. Purge labels (`Surrogate-Key`,
 * `Cache-Tag`) stay: they make nothing storable, and a response no cache stores is never purged.
 */
const SHARED_CACHE_FIELDS = [
  'cdn-cache-control',
  'cloudflare-cdn-cache-control',
  'surrogate-control',
  'edge-control',
  'x-accel-expires',
  'expires',
];

/** `Cache-Control` with `private` in place of every directive that lets a shared cache store it. */
export function privateCacheControl(value: string | null): string {
  const kept = (value ?? '')
    .split(',')
    .map((d) => d.trim())
    // `private="set-cookie"` (with field names) lets a shared cache store the rest: dropped too
    .filter((d) => d && !/^(public|private|s-maxage|proxy-revalidate)\b/i.test(d));
  return ['private', ...kept].join(', ');
}

/** Makes a response storable by the visitor's browser as the origin allowed, and by no shared cache. */
export function privatize(h: Headers): void {
  h.set('cache-control', privateCacheControl(h.get('cache-control')));
  for (const f of SHARED_CACHE_FIELDS) h.delete(f);
}

export interface Caching {
  /** a campaign (or a preview) changed the page: its bytes are no longer the origin's page */
  personalized: boolean;
  /** the response is one visitor's: personalized, or it sets a cookie (HIO's or the origin's) */
  oneVisitor: boolean;
  /** a preview: stored by no cache at all */
  noStore: boolean;
}

/**
 * The caching headers of a rewritten page. Who may store it follows whose it is: one visitor's page
 * is stored by no shared cache, whatever directive that cache obeys. A known visitor shown no
 * campaign gets the origin's page plus the script tag, the same for everyone: it keeps the origin's
 * caching, and storing it can leak nothing. Validators follow the bytes: an unpersonalized page keeps
 * them, weakened (the bytes differ from the origin's by the script tag), while a personalized page
 * has none, since the origin's `ETag` and `Last-Modified` name the origin's page, and a revalidation
 * it answered `304` would keep an old personalization. Every rewritten page varies on the cookie:
 * with another cookie a campaign may show (a cache that ignores `Vary` can at worst show a visitor no
 * campaign, never another visitor's).
 */
export function applyCaching(h: Headers, c: Caching): void {
  if (c.personalized) {
    h.delete('etag');
    h.delete('last-modified');
  } else {
    const etag = h.get('etag');
    if (etag && !etag.startsWith('W/')) h.set('etag', `W/${etag}`);
  }
  if (c.oneVisitor || c.noStore) privatize(h);
  if (c.noStore) h.set('cache-control', 'no-store');
  varyOnCookie(h);
}

/** Adds `Cookie` to `Vary` (merged with what is there; `Vary: *` already varies on everything). */
export function varyOnCookie(h: Headers): void {
  const vary = h.get('vary');
  if (!vary) {
    h.set('vary', 'Cookie');
    return;
  }
  const names = vary.split(',').map((v) => v.trim().toLowerCase());
  if (names.includes('*') || names.includes('cookie')) return;
  h.set('vary', `${vary}, Cookie`);
}
