// The demo origin: "Fernhill", a small multi-page shop that HIO sits in front of in `npm start` and in the
// end-to-end tests. Dependency-free Node http so it runs anywhere. It deliberately exercises what a proxy must
// get right: ETags and 304s, cacheable assets, Set-Cookie on redirects (POST /cart, POST /thanks), several
// Set-Cookie headers on one response, a 404 page, and a page streamed in chunks with pauses (/slow).
//
// This file is the router and the server. The shop lives beside it: catalog.mjs (the products), cart.mjs (the
// cart and orders, kept in cookies), layout.mjs and views.mjs (the pages), format.mjs (escaping and prices),
// styles.mjs and images.mjs (the assets), http.mjs (ETag responses, redirects, request bodies and cookies).

import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import {
  cartCookie,
  cartTotals,
  clearFlashCookie,
  flashCookie,
  lastOrderCookie,
  placeOrder,
  readCart,
  updateCart,
} from './cart.mjs';
import { BRAND, CATEGORIES, PRODUCTS } from './catalog.mjs';
import { HTML_TYPE, methodNotAllowed, parseCookies, readBody, redirect, send, sendHtml } from './http.mjs';
import { FAVICON_SVG, LOGO_SVG, productSvg } from './images.mjs';
import { CSS } from './styles.mjs';
import {
  cartPage,
  categoryPage,
  checkoutPage,
  homePage,
  notFoundPage,
  productPage,
  slowChunks,
  thanksPage,
} from './views.mjs';

const ROBOTS = 'User-agent: *\nDisallow: /cart\nDisallow: /checkout\n';
const ASSET_CACHE = 'public, max-age=86400';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function handle(req, res, state) {
  const url = new URL(req.url ?? '/', 'http://shop.local');
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : '/';
  const cookies = parseCookies(req.headers.cookie);
  const items = readCart(cookies);
  const ctx = { path, cartCount: cartTotals(items).count };
  const isRead = req.method === 'GET' || req.method === 'HEAD';

  // assets
  if (path === '/assets/shop.css' || path === '/assets/logo.svg' || path === '/assets/favicon.svg') {
    if (!isRead) return methodNotAllowed(res, 'GET, HEAD');
    const [type, body] =
      path === '/assets/shop.css'
        ? ['text/css; charset=utf-8', CSS]
        : ['image/svg+xml', path === '/assets/logo.svg' ? LOGO_SVG : FAVICON_SVG];
    return send(req, res, 200, body, { 'Content-Type': type, 'Cache-Control': ASSET_CACHE });
  }
  const asset = /^\/assets\/products\/([a-z0-9-]+)\.svg$/.exec(path);
  if (asset && PRODUCTS.has(asset[1])) {
    if (!isRead) return methodNotAllowed(res, 'GET, HEAD');
    return send(req, res, 200, productSvg(PRODUCTS.get(asset[1])), {
      'Content-Type': 'image/svg+xml',
      'Cache-Control': ASSET_CACHE,
    });
  }
  if (path === '/robots.txt') {
    return send(req, res, 200, ROBOTS, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': ASSET_CACHE,
    });
  }

  // the cart: POST adds/removes and redirects (303) back to /cart with Set-Cookie
  if (path === '/cart' && req.method === 'POST') {
    const flash = updateCart(items, new URLSearchParams(await readBody(req)));
    if (flash === null) return redirect(res, '/cart', [flashCookie('That product no longer exists.')]);
    return redirect(res, '/cart', [cartCookie(items), flashCookie(flash)]);
  }
  if (path === '/cart') {
    if (!isRead) return methodNotAllowed(res, 'GET, HEAD, POST');
    const setCookies = cookies.flash ? [clearFlashCookie] : [];
    return sendHtml(req, res, 200, cartPage(ctx, items, cookies.flash), setCookies);
  }

  // placing an order: POST /thanks clears the cart and redirects to the confirmation
  if (path === '/thanks' && req.method === 'POST') {
    const { order, total } = placeOrder(items, new URLSearchParams(await readBody(req)));
    const q = new URLSearchParams({ order, total: total.toFixed(2) });
    return redirect(res, `/thanks?${q}`, [cartCookie([]), lastOrderCookie(order)]);
  }

  if (!isRead) {
    if (path === '/thanks') return methodNotAllowed(res, 'GET, HEAD, POST');
    return methodNotAllowed(res, 'GET, HEAD');
  }

  if (path === '/') return sendHtml(req, res, 200, homePage(ctx));
  const cat = /^\/c\/([a-z]+)$/.exec(path);
  if (cat && CATEGORIES[cat[1]]) return sendHtml(req, res, 200, categoryPage(ctx, cat[1]));
  const prod = /^\/p\/([a-z0-9-]+)$/.exec(path);
  if (prod && PRODUCTS.has(prod[1])) return sendHtml(req, res, 200, productPage(ctx, PRODUCTS.get(prod[1])));
  if (path === '/checkout') return sendHtml(req, res, 200, checkoutPage(ctx, items));
  if (path === '/thanks') {
    return sendHtml(
      req,
      res,
      200,
      thanksPage(ctx, url.searchParams.get('order'), url.searchParams.get('total')),
    );
  }
  if (path === '/slow') {
    // streamed with pauses: the head and #hero arrive first, then one lookbook story every `delay` ms
    const delay = Math.max(
      0,
      Math.min(5000, Number.parseInt(url.searchParams.get('delay') ?? '400', 10) || 0),
    );
    const chunks = slowChunks(ctx);
    res.writeHead(200, {
      'Content-Type': HTML_TYPE,
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    if (req.method === 'HEAD') return res.end();
    for (let i = 0; i < chunks.length; i++) {
      if (i > 0) await sleep(delay);
      if (res.destroyed || state.closing) break;
      res.write(chunks[i]);
    }
    res.end();
    return;
  }
  return sendHtml(req, res, 404, notFoundPage(ctx));
}

/**
 * Starts the shop. Resolves once it listens; `port: 0` picks a free port (read it from `url`).
 * @param {{ port?: number, host?: string, log?: boolean }} [options]
 * @returns {Promise<{ url: string, port: number, close: () => Promise<void> }>}
 */
export function startShop({ port = 8788, host = '127.0.0.1', log = false } = {}) {
  const state = { closing: false };
  const server = createServer((req, res) => {
    const started = Date.now();
    if (log)
      res.on('finish', () =>
        console.log(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`),
      );
    handle(req, res, state).catch((err) => {
      if (res.headersSent) return res.destroy();
      res.writeHead(err.status ?? 500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(err.status ? `${err.message}\n` : 'Internal Server Error\n');
      if (!err.status) console.error(err);
    });
  });
  server.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const actual = server.address().port;
      const h = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${h}:${actual}`,
        port: actual,
        close: () =>
          new Promise((done) => {
            state.closing = true;
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number.parseInt(process.env.PORT ?? '8788', 10);
  const host = process.env.HOST ?? '127.0.0.1';
  const shop = await startShop({ port, host, log: true });
  console.log(`${BRAND} demo shop on ${shop.url}`);
  const stop = () => shop.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
