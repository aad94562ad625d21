/**
 * @module shared-cache
 * A small shared HTTP cache (a CDN or reverse proxy in front of the worker) for tests, storing what
 * RFC 9111's shared-cache rules allow and nothing less, so that a test through it shows what a real
 * CDN could serve to the wrong visitor:
 * - a targeted field (`Surrogate-Control`, then `CDN-Cache-Control`, then
 *   `Cloudflare-CDN-Cache-Control`) replaces `Cache-Control` entirely (RFC 9213 §2.1), its `no-store`,
 *   `private` and `max-age` included;
 * - otherwise `no-store`, `no-cache` and `private` prevent storing (`private="set-cookie"` stores the
 *   response without those fields), and freshness is `s-maxage`, `max-age`, `Expires`, or heuristic
 *   (10 % of the time since `Last-Modified`, for `public` or a status cacheable by default);
 * - `Set-Cookie` does not prevent storing (RFC 9111 §7.3 leaves it to the origin to say `private`):
 *   a stored cookie is replayed to everyone;
 * - `Vary` keys the stored response on the named request headers (`Vary: *` never matches).
 * The `http1.0` mode reads only `Expires` and `Last-Modified`, as a cache that predates
 * `Cache-Control` does.
 */

export type Upstream = (req: Request) => Promise<Response>;

export interface SharedCacheOptions {
  mode?: 'rfc9111' | 'http1.0';
  /** the clock, in ms (tests freeze it; nothing here waits) */
  now?: () => number;
}

interface Entry {
  vary: string[];
  /** the request's values of the Vary headers, when stored */
  keyed: (string | null)[];
  status: number;
  headers: [string, string][];
  body: ArrayBuffer;
  storedAt: number;
  ttlMs: number;
}

export interface CacheAnswer {
  res: Response;
  hit: boolean;
}

/** Statuses a cache may store without explicit freshness (RFC 9110 §15.1). */
const HEURISTIC_STATUSES = new Set([200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]);

function directives(value: string | null): Map<string, string | true> {
  const out = new Map<string, string | true>();
  for (const part of (value ?? '').split(',')) {
    const d = part.trim();
    if (!d) continue;
    const eq = d.indexOf('=');
    if (eq < 0) out.set(d.toLowerCase(), true);
    else
      out.set(
        d.slice(0, eq).trim().toLowerCase(),
        d
          .slice(eq + 1)
          .trim()
          .replace(/^"|"$/g, ''),
      );
  }
  return out;
}

function seconds(v: string | true | undefined): number | null {
  if (typeof v !== 'string' || !/^\d+$/.test(v)) return null;
  return Number(v) * 1000;
}

function heuristic(res: Response, now: number): number {
  const lm = Date.parse(res.headers.get('last-modified') ?? '');
  return Number.isFinite(lm) && lm < now ? (now - lm) / 10 : 0;
}

function fromExpires(res: Response, now: number): number | null {
  const exp = res.headers.get('expires');
  if (exp === null) return null;
  const t = Date.parse(exp);
  return Number.isFinite(t) ? t - now : 0;
}

/**
 * How long a shared cache may keep the response (ms; 0 or less: not stored), and the header fields
 * it must strip before storing.
 */
export function storage(
  req: Request,
  res: Response,
  mode: 'rfc9111' | 'http1.0',
  now: number,
): { ttlMs: number; strip: string[] } {
  const no = { ttlMs: 0, strip: [] };
  if (req.method !== 'GET' || res.status === 206) return no;
  if (mode === 'http1.0') {
    const ttlMs = fromExpires(res, now) ?? (HEURISTIC_STATUSES.has(res.status) ? heuristic(res, now) : 0);
    return { ttlMs, strip: [] };
  }
  const targeted = ['surrogate-control', 'cdn-cache-control', 'cloudflare-cdn-cache-control']
    .map((f) => res.headers.get(f))
    .find((v) => v !== null);
  if (targeted !== undefined) {
    const t = directives(targeted);
    if (t.has('no-store') || t.has('private') || t.has('no-cache')) return no;
    return { ttlMs: seconds(t.get('s-maxage')) ?? seconds(t.get('max-age')) ?? 0, strip: [] };
  }
  const cc = directives(res.headers.get('cache-control'));
  if (cc.has('no-store') || cc.has('no-cache')) return no;
  const priv = cc.get('private');
  if (priv === true) return no;
  const strip = typeof priv === 'string' ? priv.split(',').map((f) => f.trim().toLowerCase()) : [];
  if (req.headers.has('authorization') && !cc.has('public') && !cc.has('s-maxage')) return no;
  const explicit = seconds(cc.get('s-maxage')) ?? seconds(cc.get('max-age')) ?? fromExpires(res, now);
  if (explicit !== null) return { ttlMs: explicit, strip };
  if (cc.has('public') || HEURISTIC_STATUSES.has(res.status)) return { ttlMs: heuristic(res, now), strip };
  return no;
}

export interface SharedCache {
  fetch(req: Request): Promise<CacheAnswer>;
  /** how many responses are stored */
  size(): number;
}

export function createSharedCache(upstream: Upstream, options: SharedCacheOptions = {}): SharedCache {
  const mode = options.mode ?? 'rfc9111';
  const now = options.now ?? (() => Date.now());
  const store = new Map<string, Entry[]>();

  const lookup = (req: Request): Entry | undefined =>
    (store.get(req.url) ?? []).find(
      (e) =>
        now() < e.storedAt + e.ttlMs &&
        !e.vary.includes('*') &&
        e.vary.every((name, i) => req.headers.get(name) === e.keyed[i]),
    );

  return {
    async fetch(req) {
      const hit = req.method === 'GET' ? lookup(req) : undefined;
      if (hit) {
        const headers = new Headers(hit.headers);
        headers.set('age', String(Math.floor((now() - hit.storedAt) / 1000)));
        return { res: new Response(hit.body, { status: hit.status, headers }), hit: true };
      }
      const res = await upstream(req);
      const { ttlMs, strip } = storage(req, res, mode, now());
      if (ttlMs <= 0) return { res, hit: false };
      const body = await res.arrayBuffer();
      const vary =
        mode === 'http1.0'
          ? []
          : (res.headers.get('vary') ?? '')
              .split(',')
              .map((v) => v.trim().toLowerCase())
              .filter(Boolean);
      const headers = [...res.headers].filter(([name]) => !strip.includes(name));
      const entry: Entry = {
        vary,
        keyed: vary.map((name) => req.headers.get(name)),
        status: res.status,
        headers,
        body,
        storedAt: now(),
        ttlMs,
      };
      const entries = (store.get(req.url) ?? []).filter(
        (e) => !e.vary.every((name, i) => req.headers.get(name) === e.keyed[i]),
      );
      store.set(req.url, [...entries, entry]);
      return { res: new Response(body, { status: res.status, headers: res.headers }), hit: false };
    },
    size: () => [...store.values()].reduce((n, e) => n + e.length, 0),
  };
}
