/**
 * The test origin: runs in Node (vitest's config process) as Miniflare's outboundService, so every
 * fetch the worker makes to http://origin.test arrives here. Each path is one behaviour to check.
 */
import { gzipSync } from 'node:zlib';
import { PAGE } from './fixtures.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function html(body: string, init: ResponseInit = {}): Response {
  const headers = new Headers(init.headers);
  if (!headers.has('content-type')) headers.set('content-type', 'text/html; charset=utf-8');
  return new Response(body, { ...init, headers });
}

/** Requests the origin answered per URL (path and query), for the HTML cache's tests. */
const hits = new Map<string, number>();

/**
 * Pages a test puts for the catalogue collector (`PUT /__pages?path=/pi/...&status=N` with the HTML as
 * the body; `DELETE /__pages` forgets them all), served at that path and query under `/pi/`; any
 * other `/pi/` path is a 404. Each request is counted in `hits`, with the User-Agent it came with.
 */
const pages = new Map<string, { status: number; body: string; type: string }>();
const userAgents = new Map<string, string>();

export async function origin(req: Request): Promise<Response> {
  const url = new URL(req.url);
  if (url.hostname !== 'origin.test') {
    return new Response(`test origin: unexpected host ${url.host}`, { status: 599 });
  }
  if (url.pathname === '/__hits') {
    return Response.json({ hits: hits.get(url.searchParams.get('url') ?? '') ?? 0 });
  }
  if (url.pathname === '/__pages') {
    if (req.method === 'DELETE') {
      pages.clear();
      return new Response(null, { status: 204 });
    }
    const path = url.searchParams.get('path') ?? '';
    if (req.method === 'GET')
      return Response.json({ hits: hits.get(path) ?? 0, userAgent: userAgents.get(path) ?? null });
    pages.set(path, {
      status: Number(url.searchParams.get('status') ?? 200),
      body: await req.text(),
      type: url.searchParams.get('type') ?? 'text/html; charset=utf-8',
    });
    return new Response(null, { status: 204 });
  }
  if (url.pathname.startsWith('/pi/')) {
    const key = url.pathname + url.search;
    hits.set(key, (hits.get(key) ?? 0) + 1);
    userAgents.set(key, req.headers.get('user-agent') ?? '');
    const p = pages.get(key);
    if (!p)
      return html('<html><head><title>Not found</title></head><body>not found</body></html>', {
        status: 404,
      });
    if (p.status >= 300 && p.status < 400)
      return new Response(null, { status: p.status, headers: { location: '/pi/elsewhere' } });
    return new Response(p.body, { status: p.status, headers: { 'content-type': p.type } });
  }
  if (url.pathname.startsWith('/shared/')) {
    // a page with the caching the query asks for: ?cc=<Cache-Control>&vary=<Vary>&cookie=1&cdn=<CDN-Cache-Control>
    const key = url.pathname + url.search;
    hits.set(key, (hits.get(key) ?? 0) + 1);
    await sleep(5);
    const h = new Headers({
      'cache-control': url.searchParams.get('cc') ?? 'public, max-age=60',
      etag: '"s1"',
    });
    const vary = url.searchParams.get('vary');
    if (vary) h.set('vary', vary);
    const cdn = url.searchParams.get('cdn');
    if (cdn) h.set('cdn-cache-control', cdn);
    if (url.searchParams.has('cookie')) h.append('set-cookie', 'cart=abc; Path=/');
    h.set('x-origin-hit', String(hits.get(key)));
    return html(PAGE.replace('Original hero', `Original hero ${url.pathname}`), { headers: h });
  }
  // a product page: the shop's page with a list that recommendation variants fill
  if (url.pathname.startsWith('/item/'))
    return html(PAGE.replace('<div id="offer"></div>', '<ul id="recs"><li>Origin picks</li></ul>'));
  switch (url.pathname) {
    case '/':
    case '/page':
    case '/c/shoes':
      return html(PAGE, { headers: { etag: '"v1"', 'cache-control': 'public, max-age=60' } });
    case '/cdn': {
      // a real origin's latency: the visitor's state read (tens of µs here) settles first, as it does in
      // production, so the page's headers are the decided ones, not the conservative streamed ones
      await sleep(30);
      // every way an origin tells a CDN to store a page (and, with ?cookie, a cookie of its own)
      const h = new Headers({
        'cache-control': 'public, max-age=60, s-maxage=600',
        'cdn-cache-control': 'max-age=600',
        'cloudflare-cdn-cache-control': 'max-age=600',
        'surrogate-control': 'max-age=600',
        'edge-control': 'cache-maxage=600s',
        'x-accel-expires': '600',
        'surrogate-key': 'page shop',
        expires: new Date(Date.now() + 3_600_000).toUTCString(),
        'last-modified': 'Wed, 21 Oct 2015 07:28:00 GMT',
        etag: '"v1"',
        vary: 'Accept-Encoding',
      });
      if (url.searchParams.has('cookie')) h.append('set-cookie', 'session=origin-secret; Path=/');
      return html(PAGE, { headers: h });
    }
    case '/range': {
      // a byte range of the page, as an origin that honours Range sends it (206 with or without Range)
      const bytes = new TextEncoder().encode(PAGE);
      const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.get('range') ?? 'bytes=0-99');
      const from = Number(m?.[1] ?? 0);
      const to = Math.min(Number(m?.[2] ?? 99), bytes.length - 1);
      return new Response(bytes.slice(from, to + 1), {
        status: 206,
        headers: {
          'content-type': 'text/html; charset=utf-8',
          'content-range': `bytes ${from}-${to}/${bytes.length}`,
          'accept-ranges': 'bytes',
          etag: '"v1"',
          'cache-control': 'public, max-age=60',
          'x-seen-accept-encoding': req.headers.get('accept-encoding') ?? '(none)',
        },
      });
    }
    case '/csp': {
      // a page whose policy (header, meta or an existing script) carries a nonce, as ?where= says
      const nonce = url.searchParams.get('nonce') ?? 'r4nd0mN0nce+/=';
      const where = url.searchParams.get('where') ?? 'header';
      const policy = `default-src 'self'; script-src 'self' 'nonce-${nonce}' 'strict-dynamic'`;
      const headers = new Headers();
      if (where === 'header') headers.set('content-security-policy', policy);
      if (where === 'report-only') headers.set('content-security-policy-report-only', policy);
      const meta =
        where === 'meta'
          ? `<meta http-equiv="Content-Security-Policy" content="${policy.replaceAll('"', '&quot;')}">`
          : '';
      const script = where === 'script' ? `<script nonce='${nonce}'>window.x = 1</script>` : '';
      const late = where === 'late' ? `<script nonce="${nonce}">window.y = 1</script>` : '';
      return html(
        `<!doctype html><html><head><title>csp</title>${meta}${script}</head><body>${late}<p>hi</p></body></html>`,
        { headers },
      );
    }
    case '/inline-data':
      return html(
        '<html><head><script id="data">window.cfg = {"a": 1}</script><style id="st">p{color:red}</style></head><body><p>x</p></body></html>',
      );
    case '/nohead':
      return html('<p>no head here</p>');
    case '/latin1':
      return new Response(
        new Uint8Array(Buffer.from('<html><head></head><body><p>caf\xe9</p></body></html>', 'latin1')),
        {
          headers: { 'content-type': 'text/html; charset=iso-8859-1' },
        },
      );
    case '/gzip':
      return new Response(new Uint8Array(gzipSync(Buffer.from(PAGE))), {
        headers: { 'content-type': 'text/html; charset=utf-8', 'content-encoding': 'gzip' },
      });
    case '/plain':
      return new Response('plain text, not html', {
        headers: { 'content-type': 'text/plain', etag: '"p1"' },
      });
    case '/image.png':
      return new Response(new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10, 0, 255, 1, 2]), {
        headers: { 'content-type': 'image/png', 'content-length': '12', etag: '"img"' },
      });
    case '/redirect': {
      const h = new Headers({ location: '/page' });
      h.append('set-cookie', 'a=1; Path=/');
      h.append('set-cookie', 'b=2; Path=/; HttpOnly');
      return new Response(null, { status: 302, headers: h });
    }
    case '/cookies': {
      const h = new Headers({ 'content-type': 'text/html; charset=utf-8' });
      h.append('set-cookie', 'x=1; Path=/');
      h.append('set-cookie', 'y=2; Path=/');
      return new Response(PAGE, { headers: h });
    }
    case '/no-content':
      return new Response(null, { status: 204, headers: { 'x-origin': 'yes' } });
    case '/not-modified':
      return new Response(null, { status: 304, headers: { etag: '"v1"' } });
    case '/error':
      return html('<html><head></head><body>origin broke</body></html>', {
        status: 503,
        headers: { 'retry-after': '7' },
      });
    case '/echo': {
      const body = req.method === 'GET' || req.method === 'HEAD' ? '' : await req.text();
      return Response.json({
        method: req.method,
        url: req.url,
        headers: Object.fromEntries(req.headers),
        body,
      });
    }
    case '/chunked': {
      const enc = new TextEncoder();
      const parts = [
        '<!doctype html><html><head><title>slow</title></head><body><section id="hero">first</section>',
        '<p>second</p>',
        '<p>third</p></body></html>',
      ];
      const stream = new ReadableStream<Uint8Array>({
        async start(controller) {
          for (const [i, p] of parts.entries()) {
            if (i > 0) await sleep(400);
            controller.enqueue(enc.encode(p));
          }
          controller.close();
        },
      });
      return new Response(stream, { headers: { 'content-type': 'text/html; charset=utf-8' } });
    }
    case '/slow':
      await sleep(Number(url.searchParams.get('ms') ?? 300));
      return html(PAGE);
    case '/down':
      throw new Error('connection refused');
    default:
      return html('<html><head></head><body>not found</body></html>', { status: 404 });
  }
}
