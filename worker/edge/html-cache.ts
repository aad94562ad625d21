/**
 * @module html-cache
 * The origin's HTML, kept in the Cache API when the origin says it is the same for everyone, and
 * personalized per visitor on the way out. A page the origin marks `public` with a `max-age` (or gives an
 * `s-maxage`), with no `Set-Cookie` and no `Vary` beyond `Accept-Encoding` (which the worker sets itself
 * for every origin request), is fetched once per max-age and location, not once per visitor. What the
 * visitor receives is still decided per visitor: personalized pages stay private (proxy.ts `applyCaching`).
 *
 * The key is the origin's URL, as the origin's own cache would key it. A request that carries
 * credentials (`Authorization`), asks for a byte range, or is conditional (`If-None-Match`,
 * `If-Modified-Since`, ...) goes to the origin as it always did: the cached copy would be the wrong answer
 * to it. `Cache-Control: no-cache` on the request (a reload) refetches and refreshes the copy. A targeted
 * `CDN-Cache-Control` / `Cloudflare-CDN-Cache-Control` decides over `Cache-Control` (RFC 9213). The Cache
 * API expires the copy by its `s-maxage` or `max-age`; the copy served carries an `Age`, so a browser never
 * keeps it longer than the origin allowed. A failing cache is a miss (fail open).
 *
 * A page the origin answered `200` without letting shared caches keep it is, for the next
 * {@link PASS_TTL_MS} in this isolate, fetched without looking in the cache first: that lookup could only
 * miss, since no copy of it is ever stored (Varnish's "hit-for-pass"). The first shareable answer for it
 * (to a reload, or after the pass has run out) stores it and ends the pass at once.
 */
import type { Deps } from '../types.ts';
import { originUrl } from './proxy.ts';

/** When the copy was stored (ms), on the stored response only: it becomes `Age` on the way out. */
const STORED_AT = 'hio-stored-at';

const CONDITIONALS = ['if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range'];

/** Cache-Control directives, lower-cased, with their values (`true` for a bare directive). */
export function directives(value: string | null): Map<string, string | true> {
  const out = new Map<string, string | true>();
  for (const part of (value ?? '').split(',')) {
    const [name, ...rest] = part.split('=');
    const n = name?.trim().toLowerCase();
    if (!n) continue;
    const v = rest.join('=').trim().replace(/^"|"$/g, '');
    out.set(n, rest.length ? v : true);
  }
  return out;
}

const seconds = (v: string | true | undefined): number | null => {
  if (typeof v !== 'string' || !/^\d{1,10}$/.test(v)) return null;
  return Number(v);
};

/** Whether this request may be answered from (and fill) the shared copy. */
export function cacheableRequest(req: Request): boolean {
  if (req.method !== 'GET') return false;
  if (req.headers.has('range') || req.headers.has('authorization')) return false;
  return !CONDITIONALS.some((h) => req.headers.has(h));
}

/**
 * Seconds the origin allows a shared cache to keep this response, or 0 when it may not keep it at all:
 * a 200 HTML page, `public` with `max-age` or an `s-maxage` (the targeted CDN fields decide first), not
 * `no-store`/`private`/`no-cache`, no `Set-Cookie`, and no `Vary` other than `Accept-Encoding`.
 */
export function sharedFreshness(res: Response): number {
  if (res.status !== 200 || !res.body) return 0;
  if (!/^\s*text\/html\b/i.test(res.headers.get('content-type') ?? '')) return 0;
  if (res.headers.has('set-cookie')) return 0;
  const vary = res.headers.get('vary');
  if (
    vary
      ?.split(',')
      .map((v) => v.trim().toLowerCase())
      .some((v) => v && v !== 'accept-encoding')
  )
    return 0;
  const cc = directives(res.headers.get('cache-control'));
  if (cc.has('no-store') || cc.has('private') || cc.has('no-cache')) return 0;
  const targeted = res.headers.get('cloudflare-cdn-cache-control') ?? res.headers.get('cdn-cache-control');
  if (targeted !== null) {
    const t = directives(targeted);
    if (t.has('no-store') || t.has('private') || t.has('no-cache')) return 0;
    const ttl = seconds(t.get('s-maxage')) ?? seconds(t.get('max-age'));
    if (ttl !== null) return ttl;
  }
  const shared = seconds(cc.get('s-maxage'));
  if (shared !== null) return shared;
  return cc.has('public') ? (seconds(cc.get('max-age')) ?? 0) : 0;
}

/** How long a page the origin would not let shared caches keep is fetched without a cache lookup. */
export const PASS_TTL_MS = 30_000;
const PASS_LIMIT = 1_000;
/** origin URL -> until when (ms) it is fetched without a lookup; bounded, the oldest entries go first */
const passUntil = new Map<string, number>();

function passing(url: string, now: number): boolean {
  const until = passUntil.get(url);
  if (until === undefined) return false;
  if (now < until) return true;
  passUntil.delete(url);
  return false;
}

function pass(url: string, now: number): void {
  passUntil.delete(url);
  if (passUntil.size >= PASS_LIMIT) passUntil.delete(passUntil.keys().next().value as string);
  passUntil.set(url, now + PASS_TTL_MS);
}

/** The key of a page's copy: the origin's URL, fetched plainly. */
export const cacheKey = (originUrl: string) => new Request(originUrl, { method: 'GET' });

export interface OriginPage {
  res: Response;
  /** served from the copy: the origin was not asked */
  hit: boolean;
}

/**
 * The origin's response to `originReq`, from the shared copy when there is one; a response the origin
 * lets shared caches keep is stored on the way (its body teed, so the visitor's page streams meanwhile).
 */
export async function fetchOriginPage(deps: Deps, req: Request, originReq: Request): Promise<OriginPage> {
  const cache = deps.htmlCache;
  if (!cache || !cacheableRequest(req)) return { res: await deps.fetchOrigin(originReq), hit: false };
  const url = originReq.url;
  const refresh = directives(req.headers.get('cache-control')).has('no-cache');
  if (!refresh && !passing(url, deps.now())) {
    const hit = await cache.match(cacheKey(url)).catch((err: unknown) => {
      deps.log('warn', 'the HTML cache failed; asking the origin', err);
      return undefined;
    });
    if (hit) {
      const out = new Response(hit.body, hit);
      const storedAt = Number(out.headers.get(STORED_AT));
      out.headers.delete(STORED_AT);
      out.headers.delete('cf-cache-status');
      if (Number.isFinite(storedAt) && storedAt > 0) {
        const age = Math.max(0, Math.floor((deps.now() - storedAt) / 1000));
        out.headers.set('age', String(age + Number(hit.headers.get('age') ?? 0)));
      }
      return { res: out, hit: true };
    }
  }
  const res = await deps.fetchOrigin(originReq);
  const ttl = sharedFreshness(res);
  if (ttl <= 0 || !res.body) {
    // the origin's own answer that this page is not for shared caches (not an error it may recover from)
    if (res.status === 200) pass(url, deps.now());
    return { res, hit: false };
  }
  passUntil.delete(url);
  const key = cacheKey(url);
  const [mine, theirs] = res.body.tee();
  const stored = new Response(theirs, res);
  stored.headers.set(STORED_AT, String(deps.now()));
  deps.waitUntil(
    cache
      .put(key, stored)
      .catch((err: unknown) => deps.log('warn', 'storing a page in the HTML cache failed', err)),
  );
  return { res: new Response(mine, res), hit: false };
}

/** Removes the copies of these paths (with their queries) at this location: whether each had one. */
export async function purgePages(deps: Deps, paths: readonly string[]): Promise<boolean[]> {
  const cache = deps.htmlCache;
  if (!cache) return paths.map(() => false);
  return Promise.all(
    paths.map((p) => cache.delete(cacheKey(originUrl(deps.config.origin, new URL(p, 'http://x')).href))),
  );
}
