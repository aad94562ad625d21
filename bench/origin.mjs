/**
 * @module bench/origin
 * The benchmark's origin: a plain Node HTTP server serving shop-like HTML pages of about 20 KB, 200 KB
 * and 2 MB at `/p/20k`, `/p/200k` and `/p/2m`, written in 16 KB chunks (chunked transfer, no
 * content-length, honouring back-pressure) the way a server-rendered page is sent.
 *
 * Every page has the same head and the slots the benchmark campaigns write to (`#hero`, `#offer`, two
 * `.cta` links, `#promo`, and `#recs`, the list the recommendation campaign of the HIO+recs target
 * fills; its origin content is a one-link fallback); what grows with the size is the product grid, whose elements match no
 * campaign selector, so the number of rewriter handler calls is the same on every size.
 *
 * Run alone: `node bench/origin.mjs [--port N]` prints `{"url": ...}` once listening. run.mjs starts it
 * as a child process so that serving the origin does not share an event loop with the load generator.
 */
import http from 'node:http';
import { fileURLToPath } from 'node:url';

export const PAGE_SIZES = [
  { name: '20k', label: '20 KB', bytes: 20_000 },
  { name: '200k', label: '200 KB', bytes: 200_000 },
  { name: '2m', label: '2 MB', bytes: 2_000_000 },
];

const CHUNK = 16 * 1024;

const WORDS = [
  'trail',
  'runner',
  'leather',
  'canvas',
  'classic',
  'sneaker',
  'boot',
  'waterproof',
  'lightweight',
  'cushioned',
  'suede',
  'knit',
  'everyday',
  'performance',
  'recycled',
  'high-top',
];

/** A deterministic pseudo-random sequence, so every run serves the same bytes. */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function head() {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shoes — Example Shop</title>
<meta name="description" content="Running shoes, boots and sneakers for every day.">
<meta name="hio:category" content="shoes">
<link rel="canonical" href="https://shop.example/c/shoes">
<link rel="preload" href="/assets/app.css" as="style">
<link rel="stylesheet" href="/assets/app.css">
<style>
  :root { --brand: #0b5; --ink: #222; }
  body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: var(--ink); }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 1rem; }
  .product img { width: 100%; height: auto; }
</style>
<script type="application/ld+json">{"@context":"https://schema.org","@type":"CollectionPage","name":"Shoes"}</script>
</head>
`;
}

function top() {
  return `<body class="page-category">
<header id="top">
  <a class="logo" href="/">Example Shop</a>
  <nav><ul><li><a href="/c/shoes">Shoes</a></li><li><a href="/c/boots">Boots</a></li><li><a href="/c/bags">Bags</a></li></ul></nav>
  <a class="cta" href="/sale">Sale</a>
</header>
<div id="promo"><p>Free returns within 30 days.</p></div>
<section id="hero">
  <h1>Shoes for every day</h1>
  <p>Hand-picked running shoes, boots and sneakers.</p>
  <img src="/img/hero.jpg" alt="A pair of trail runners on a rock" width="1200" height="480">
</section>
<div id="offer"><p>Members get early access to the winter collection.</p></div>
<main>
<h2>All shoes</h2>
<ul class="grid">
`;
}

function card(i, rand) {
  const name = `${WORDS[Math.floor(rand() * WORDS.length)]} ${WORDS[Math.floor(rand() * WORDS.length)]} ${i}`;
  const price = (20 + rand() * 180).toFixed(2);
  const stars = 1 + Math.floor(rand() * 5);
  return `<li class="product" data-sku="SKU-${10000 + i}">
  <a href="/p/${10000 + i}"><img src="/img/p/${10000 + i}.jpg" alt="${name}" width="400" height="400" loading="lazy"></a>
  <h3><a href="/p/${10000 + i}">${name}</a></h3>
  <p class="rating" aria-label="${stars} out of 5">${'★'.repeat(stars)}${'☆'.repeat(5 - stars)}</p>
  <p class="price">€${price}</p>
  <button type="button" class="add" data-hio-goal="add_to_cart">Add to cart</button>
</li>
`;
}

function bottom() {
  return `</ul>
</main>
<section id="recommended"><h2>Picked for you</h2><ul id="recs"><li><a href="/c/shoes">Bestsellers</a></li></ul></section>
<section id="newsletter"><h2>Stay in the loop</h2><a class="cta" href="/newsletter">Sign up</a></section>
<footer><p>© Example Shop — Zürich · Köln · Malmö</p></footer>
</body>
</html>
`;
}

/** A page of about `bytes` bytes (UTF-8): same head and slots, as many product cards as fit. */
export function buildPage(bytes) {
  const rand = rng(bytes);
  const start = head() + top();
  const end = bottom();
  const parts = [start];
  let size = Buffer.byteLength(start) + Buffer.byteLength(end);
  for (let i = 0; size < bytes; i++) {
    const c = card(i, rand);
    parts.push(c);
    size += Buffer.byteLength(c);
  }
  parts.push(end);
  return Buffer.from(parts.join(''));
}

/**
 * Starts the origin on 127.0.0.1. Resolves to `{ url, pages, close }`; `pages` maps a size name to
 * its bytes (the benchmark checks that workers return them unchanged or rewritten as expected).
 */
export async function startOrigin({ port = 0 } = {}) {
  const pages = new Map(PAGE_SIZES.map((s) => [s.name, buildPage(s.bytes)]));
  const server = http.createServer((req, res) => {
    const name = /^\/p\/([a-z0-9]+)$/.exec((req.url ?? '').split('?')[0] ?? '')?.[1];
    const page = name ? pages.get(name) : undefined;
    if (!page) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
    let offset = 0;
    const pump = () => {
      while (offset < page.length) {
        const chunk = page.subarray(offset, offset + CHUNK);
        offset += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
  return {
    url,
    pages,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve(undefined));
      }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--port');
  const origin = await startOrigin({ port: i > 0 ? Number(process.argv[i + 1]) : 0 });
  process.stdout.write(`${JSON.stringify({ url: origin.url })}\n`);
  const stop = () => origin.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // exit with the parent: run.mjs keeps stdin open as a lifeline
  process.stdin.on('end', stop);
  process.stdin.resume();
}
