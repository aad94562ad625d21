// The demo origin: "Fernhill", a small multi-page shop that HIO sits in front of in `npm start` and in the
// end-to-end tests. Dependency-free Node http so it runs anywhere. It deliberately exercises what a proxy must
// get right: ETags and 304s, cacheable assets, Set-Cookie on redirects (POST /cart, POST /thanks), several
// Set-Cookie headers on one response, a 404 page, and a page streamed in chunks with pauses (/slow).

import { createHash, randomInt } from 'node:crypto';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

const BRAND = 'Fernhill';

// ---------------------------------------------------------------------------------------------------------
// Catalogue

const CATEGORIES = {
  shoes: {
    name: 'Shoes',
    tagline: 'Made to be resoled, not replaced.',
    intro:
      'Goodyear-welted boots, trail runners with grippy Vibram soles and sneakers for every day. Every pair is built on our own last and comes with free resoling for two years.',
    story: [
      [
        'Built on our own last',
        'A roomier toe box and a locked-in heel: designed with a podiatrist in Porto.',
      ],
      ['Resoled for free', 'Send them back within two years and we fit a fresh sole, on us.'],
      ['Leather that ages well', 'Vegetable-tanned hides from a gold-rated tannery, no chrome.'],
    ],
  },
  bags: {
    name: 'Bags',
    tagline: 'Carry more, worry less.',
    intro:
      'Backpacks, totes and weekenders in waxed canvas and recycled nylon, with hardware that is tested to 50,000 openings and a lifetime warranty on every seam.',
    story: [
      ['Waxed canvas', 'Shrugs off rain and patinas beautifully. Re-wax it once a year.'],
      ['Lifetime seams', 'If a seam ever fails, we repair it. Forever, no receipt needed.'],
      ['Laptop-ready', 'Padded sleeves fit 13 to 16 inch laptops in every backpack.'],
    ],
  },
  jackets: {
    name: 'Jackets',
    tagline: 'Weather, handled.',
    intro:
      'Three-layer rain shells, responsibly sourced down and canvas work coats. Seam-sealed, repairable and cut to layer over a sweater without looking like a tent.',
    story: [
      ['Seam-sealed', 'Every shell is taped at every seam and tested in our rain room.'],
      ['Responsible down', 'RDS-certified 700-fill down, traceable to the farm.'],
      ['Repair program', 'Torn a sleeve? We patch it for free in the first three years.'],
    ],
  },
};

// [slug, name, price, colour, blurb]
const PRODUCT_ROWS = {
  shoes: [
    [
      'ridgeline-trail-runner',
      'Ridgeline Trail Runner',
      129,
      '#c8553d',
      'A light, cushioned runner with a 5 mm lugged sole.',
    ],
    [
      'harbor-leather-boot',
      'Harbor Leather Boot',
      189,
      '#7a4a2a',
      'Goodyear-welted full-grain boot that breaks in, not down.',
    ],
    [
      'everyday-canvas-sneaker',
      'Everyday Canvas Sneaker',
      69,
      '#e9e4d8',
      'Organic cotton canvas on a natural rubber cupsole.',
    ],
    [
      'soho-suede-loafer',
      'Soho Suede Loafer',
      139,
      '#b08d57',
      'Unlined suede that feels broken in on day one.',
    ],
    ['court-classic', 'Court Classic', 99, '#f4f1ea', 'A clean leather court shoe with a padded collar.'],
    [
      'summit-hiking-boot',
      'Summit Hiking Boot',
      209,
      '#5b6b4a',
      'Waterproof membrane, ankle support, all-day comfort.',
    ],
    ['driftwood-slip-on', 'Driftwood Slip-On', 79, '#8aa1b1', 'Easy on, easy off, and machine washable.'],
    [
      'camden-chelsea-boot',
      'Camden Chelsea Boot',
      175,
      '#3b2f2a',
      'Elastic gussets and a stacked leather heel.',
    ],
  ],
  bags: [
    [
      'voyager-weekender',
      'Voyager Weekender',
      219,
      '#5a6b3c',
      'Fits three days of clothes and fits in the overhead bin.',
    ],
    ['market-canvas-tote', 'Market Canvas Tote', 59, '#d8c9a7', 'Heavy 18 oz canvas with leather handles.'],
    [
      'commuter-backpack',
      'Commuter Backpack',
      149,
      '#2f3e4e',
      'A padded laptop sleeve, a quick-grab pocket and 22 litres.',
    ],
    ['mini-crossbody', 'Mini Crossbody', 89, '#a3473a', 'Phone, keys, cards. Nothing more.'],
    ['waxed-messenger', 'Waxed Messenger', 159, '#6b5636', 'A classic flap messenger in waxed canvas.'],
    ['gym-duffel', 'Gym Duffel', 99, '#44546a', 'Separate shoe pocket and a wipe-clean lining.'],
    ['felt-laptop-sleeve', 'Felt Laptop Sleeve', 49, '#9a9a94', 'Wool felt with a magnetic closure.'],
    ['trail-belt-bag', 'Trail Belt Bag', 45, '#d07a2d', 'Wear it on the hip or across the chest.'],
  ],
  jackets: [
    [
      'storm-rain-shell',
      'Storm Rain Shell',
      179,
      '#2f6f8f',
      'Three-layer waterproof shell, 20,000 mm rated.',
    ],
    ['alpine-down-parka', 'Alpine Down Parka', 289, '#1f3b34', '700-fill responsible down, good to -20 °C.'],
    [
      'selvedge-denim-jacket',
      'Selvedge Denim Jacket',
      159,
      '#3d5a80',
      '13.5 oz Japanese selvedge, rinsed once.',
    ],
    ['flight-bomber', 'Flight Bomber', 169, '#4f5d2f', 'A water-repellent bomber with a quilted lining.'],
    ['ridge-fleece', 'Ridge Fleece', 99, '#c9b79c', 'Recycled high-pile fleece that is warm for its weight.'],
    ['canvas-chore-coat', 'Canvas Chore Coat', 149, '#a0672f', 'Four patch pockets and a corduroy collar.'],
    [
      'packable-puffer-vest',
      'Packable Puffer Vest',
      119,
      '#7a2e3a',
      'Packs into its own pocket. Layer it under anything.',
    ],
    ['city-trench', 'City Trench', 249, '#b9a27f', 'A cotton gabardine trench with a storm flap.'],
  ],
};

const SIZES = {
  shoes: ['38', '39', '40', '41', '42', '43', '44', '45'],
  bags: ['One size'],
  jackets: ['XS', 'S', 'M', 'L', 'XL'],
};

/** @type {Map<string, {slug: string, name: string, price: number, color: string, blurb: string, category: string}>} */
const PRODUCTS = new Map();
for (const [category, rows] of Object.entries(PRODUCT_ROWS)) {
  for (const [slug, name, price, color, blurb] of rows) {
    PRODUCTS.set(slug, { slug, name, price, color, blurb, category });
  }
}

const FEATURED = ['alpine-down-parka', 'ridgeline-trail-runner', 'commuter-backpack', 'harbor-leather-boot'];

// ---------------------------------------------------------------------------------------------------------
// Helpers

const esc = (s) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );
const money = (n) => `$${n.toFixed(2)}`;
const etagOf = (body) => `"${createHash('sha1').update(body).digest('base64url')}"`;

function parseCookies(header) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    if (!k || k in out) continue;
    try {
      out[k] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      out[k] = part.slice(i + 1).trim();
    }
  }
  return out;
}

/** The cart cookie: `slug:size:qty` items joined by commas, URI-encoded. */
function readCart(cookies) {
  const items = [];
  for (const entry of (cookies.cart ?? '').split(',')) {
    const [slug, size, qty] = entry.split(':');
    const product = PRODUCTS.get(slug ?? '');
    const n = Number.parseInt(qty ?? '', 10);
    if (!product || !Number.isFinite(n) || n < 1) continue;
    items.push({ product, size: size || SIZES[product.category][0], qty: Math.min(n, 99) });
  }
  return items;
}

function cartCookie(items) {
  const value = items.map((it) => `${it.product.slug}:${it.size}:${it.qty}`).join(',');
  return value
    ? `cart=${encodeURIComponent(value)}; Path=/; Max-Age=2592000; SameSite=Lax`
    : 'cart=; Path=/; Max-Age=0; SameSite=Lax';
}

const flashCookie = (message) => `flash=${encodeURIComponent(message)}; Path=/; Max-Age=60; SameSite=Lax`;

const cartTotals = (items) => {
  const subtotal = items.reduce((s, it) => s + it.product.price * it.qty, 0);
  const shipping = subtotal === 0 || subtotal >= 75 ? 0 : 7.5;
  return { subtotal, shipping, total: subtotal + shipping, count: items.reduce((s, it) => s + it.qty, 0) };
};

function readBody(req, limit = 64 * 1024) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) {
        reject(Object.assign(new Error('body too large'), { status: 413 }));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Assets

const CSS = `/* Fernhill demo shop. Banner classes (.hio-*) style the content HIO injects into #hero and #offer. */
:root {
  --bg: #faf7f2; --surface: #fff; --ink: #1d2520; --muted: #5f6b64; --line: #e6e0d5;
  --brand: #2f5d46; --brand-ink: #fff; --accent: #d98c2b; --danger: #b4432f;
  --radius: 14px; --shadow: 0 1px 2px rgba(29,37,32,.06), 0 8px 24px rgba(29,37,32,.06);
  --font: ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  --serif: ui-serif, Georgia, "Times New Roman", serif;
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 16px/1.55 var(--font); }
img { max-width: 100%; height: auto; display: block; }
a { color: inherit; }
h1, h2, h3 { font-family: var(--serif); font-weight: 600; line-height: 1.15; margin: 0 0 .5em; letter-spacing: -.01em; }
h1 { font-size: clamp(2rem, 4vw, 3.1rem); }
h2 { font-size: 1.7rem; }
h3 { font-size: 1.1rem; font-family: var(--font); }
p { margin: 0 0 1em; }
.wrap { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
.muted { color: var(--muted); }
.eyebrow { text-transform: uppercase; letter-spacing: .12em; font-size: .75rem; font-weight: 700; color: var(--accent); margin-bottom: .6rem; }

.announce { background: var(--ink); color: #f1ede4; text-align: center; font-size: .85rem; padding: 8px 12px; }
.site-header { background: var(--surface); border-bottom: 1px solid var(--line); position: sticky; top: 0; z-index: 10; }
.site-header .wrap { display: flex; align-items: center; gap: 32px; height: 68px; }
.brand img { height: 30px; width: auto; }
.site-nav { display: flex; gap: 22px; flex: 1; }
.site-nav a, .cart-link { text-decoration: none; font-weight: 600; font-size: .95rem; padding: 6px 0; border-bottom: 2px solid transparent; }
.site-nav a:hover, .site-nav a[aria-current="page"] { border-color: var(--brand); }
.cart-link { display: inline-flex; align-items: center; gap: 8px; }
.cart-count { display: inline-grid; place-items: center; min-width: 22px; height: 22px; padding: 0 6px; border-radius: 11px; background: var(--brand); color: var(--brand-ink); font-size: .75rem; }

main { padding: 28px 0 64px; min-height: 60vh; }
section { margin: 0 0 48px; }
.btn { display: inline-flex; align-items: center; justify-content: center; gap: 8px; padding: 12px 22px; border-radius: 999px; border: 2px solid var(--brand); background: var(--brand); color: var(--brand-ink); font: 600 .95rem/1 var(--font); text-decoration: none; cursor: pointer; transition: transform .08s ease, background .15s ease; }
.btn:hover { background: #244a37; border-color: #244a37; }
.btn:active { transform: translateY(1px); }
.btn-ghost { background: transparent; color: var(--brand); }
.btn-ghost:hover { background: rgba(47,93,70,.08); }
.btn-light { background: #fff; border-color: #fff; color: var(--ink); }
.btn-light:hover { background: #f1ede4; border-color: #f1ede4; }
.btn-lg { padding: 16px 28px; font-size: 1.05rem; width: 100%; }
.btn-link { background: none; border: 0; padding: 0; color: var(--muted); text-decoration: underline; cursor: pointer; font: inherit; font-size: .85rem; }

/* default hero */
.hero { min-height: 396px; display: grid; grid-template-columns: 1.1fr .9fr; align-items: center; gap: 32px; background: linear-gradient(135deg, #e9efe6 0%, #f6efe3 100%); border-radius: 24px; padding: 48px 56px; overflow: hidden; }
.hero p { font-size: 1.1rem; color: var(--muted); max-width: 34em; }
.hero-art img { border-radius: 20px; box-shadow: var(--shadow); width: 100%; }
.actions { display: flex; gap: 12px; flex-wrap: wrap; margin-top: 8px; }

/* category tiles and product cards */
.tiles { display: grid; grid-template-columns: repeat(3, 1fr); gap: 20px; }
.tile { position: relative; display: block; text-decoration: none; border-radius: var(--radius); overflow: hidden; background: var(--surface); box-shadow: var(--shadow); }
.tile img { aspect-ratio: 4 / 3; object-fit: cover; width: 100%; }
.tile span { position: absolute; left: 16px; bottom: 14px; background: #fff; padding: 6px 14px; border-radius: 999px; font-weight: 700; }
.section-head { display: flex; align-items: baseline; justify-content: space-between; gap: 16px; margin-bottom: 16px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 24px; }
.card { background: var(--surface); border-radius: var(--radius); box-shadow: var(--shadow); overflow: hidden; display: flex; flex-direction: column; text-decoration: none; transition: transform .15s ease, box-shadow .15s ease; }
.card:hover { transform: translateY(-2px); box-shadow: 0 2px 4px rgba(29,37,32,.08), 0 14px 32px rgba(29,37,32,.1); }
.card img { aspect-ratio: 4 / 3; width: 100%; object-fit: cover; }
.card-body { padding: 14px 16px 18px; display: grid; gap: 4px; }
.card-body strong { font-size: 1rem; }
.card-body .price { font-weight: 700; color: var(--brand); }
.badge { display: inline-block; font-size: .7rem; font-weight: 700; text-transform: uppercase; letter-spacing: .08em; color: var(--accent); }
.values { display: grid; grid-template-columns: repeat(3, 1fr); gap: 24px; padding: 32px; background: var(--surface); border-radius: var(--radius); box-shadow: var(--shadow); }
.values h3 { margin-bottom: .3em; }
.values p { color: var(--muted); margin: 0; font-size: .95rem; }

.breadcrumb { font-size: .85rem; color: var(--muted); margin-bottom: 16px; }
.breadcrumb a { color: var(--muted); }
.cat-head { display: grid; grid-template-columns: 1fr auto; align-items: end; gap: 24px; padding: 32px 0 24px; border-bottom: 1px solid var(--line); margin-bottom: 28px; }
.cat-head p { max-width: 46em; color: var(--muted); margin: 0; }
.toolbar { display: flex; gap: 8px; flex-wrap: wrap; }
.chip { border: 1px solid var(--line); background: var(--surface); border-radius: 999px; padding: 6px 14px; font-size: .85rem; }
.chip[aria-pressed="true"] { background: var(--ink); color: #fff; border-color: var(--ink); }
.faq details { background: var(--surface); border: 1px solid var(--line); border-radius: 10px; padding: 14px 18px; margin-bottom: 10px; }
.faq summary { font-weight: 600; cursor: pointer; }

/* product page */
.pdp { display: grid; grid-template-columns: 1.1fr .9fr; gap: 48px; align-items: start; }
.pdp-media { background: var(--surface); border-radius: 20px; box-shadow: var(--shadow); overflow: hidden; }
.pdp-info .price { font-size: 1.6rem; font-weight: 700; color: var(--brand); margin-bottom: 8px; }
.rating { color: var(--accent); letter-spacing: 2px; margin-bottom: 14px; }
.rating span { color: var(--muted); letter-spacing: 0; font-size: .9rem; margin-left: 6px; }
.buy { display: grid; gap: 14px; padding: 20px; background: var(--surface); border: 1px solid var(--line); border-radius: var(--radius); margin: 20px 0; }
.field { display: grid; gap: 6px; }
.field label { font-size: .8rem; font-weight: 700; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
input, select { font: inherit; padding: 11px 12px; border: 1px solid #cfc8bb; border-radius: 10px; background: #fff; color: var(--ink); width: 100%; }
input:focus, select:focus { outline: 2px solid var(--brand); outline-offset: 1px; }
.row { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.specs { list-style: none; padding: 0; margin: 0; display: grid; gap: 8px; }
.specs li::before { content: "✓"; color: var(--brand); font-weight: 700; margin-right: 8px; }

/* cart, checkout, thanks */
.panel { background: var(--surface); border-radius: var(--radius); box-shadow: var(--shadow); padding: 24px; }
.cart { display: grid; grid-template-columns: 1fr 340px; gap: 32px; align-items: start; }
.line { display: grid; grid-template-columns: 96px 1fr auto; gap: 16px; align-items: center; padding: 16px 0; border-bottom: 1px solid var(--line); }
.line:last-child { border-bottom: 0; }
.line img { border-radius: 10px; background: #f3efe8; }
.line a { text-decoration: none; font-weight: 600; }
.summary dl { display: grid; grid-template-columns: 1fr auto; gap: 8px 0; margin: 0 0 20px; }
.summary dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; }
.summary .total { font-weight: 700; font-size: 1.15rem; border-top: 1px solid var(--line); padding-top: 10px; }
.flash { background: #e7f1ea; border: 1px solid #b9d5c2; color: #1f4a35; border-radius: 10px; padding: 12px 16px; margin-bottom: 20px; }
.empty { text-align: center; padding: 64px 24px; }
.checkout { display: grid; grid-template-columns: 1fr 360px; gap: 32px; align-items: start; }
.checkout form { display: grid; gap: 16px; }
fieldset { border: 0; padding: 0; margin: 0 0 8px; display: grid; gap: 12px; }
legend { font-family: var(--serif); font-size: 1.3rem; font-weight: 600; margin-bottom: 8px; }
.secure { font-size: .8rem; color: var(--muted); text-align: center; }
.thanks { max-width: 640px; margin: 24px auto; text-align: center; }
.thanks .check { width: 72px; height: 72px; border-radius: 50%; background: var(--brand); color: #fff; display: grid; place-items: center; font-size: 2rem; margin: 0 auto 20px; }
.order-id { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; background: #efe9de; padding: 2px 8px; border-radius: 6px; }
.notfound { text-align: center; padding: 72px 0; }
.notfound .code { font-family: var(--serif); font-size: 6rem; color: var(--line); line-height: 1; }
.lookbook article { display: grid; grid-template-columns: 1fr 1fr; gap: 32px; align-items: center; background: var(--surface); border-radius: var(--radius); box-shadow: var(--shadow); padding: 28px; }
.lookbook article:nth-child(even) img { order: 2; }

.site-footer { border-top: 1px solid var(--line); background: var(--surface); padding: 40px 0; font-size: .9rem; color: var(--muted); }
.site-footer .wrap { display: grid; grid-template-columns: 2fr 1fr 1fr; gap: 24px; }
.site-footer a { display: block; text-decoration: none; margin-bottom: 6px; }
.site-footer a:hover { color: var(--ink); }

/* ---- HIO variants: short injected markup, all styling lives here ---- */
.hio-banner { position: relative; display: grid; gap: 10px; align-content: center; min-height: 396px; padding: 48px 56px; border-radius: 24px; color: #fff; overflow: hidden; background: linear-gradient(120deg, #2f5d46, #4f7f5f); }
.hio-banner::after { content: ""; position: absolute; right: -80px; top: -80px; width: 360px; height: 360px; border-radius: 50%; background: rgba(255,255,255,.08); box-shadow: -120px 180px 0 40px rgba(255,255,255,.05); }
.hio-banner h1, .hio-banner h2 { color: #fff; margin: 0; max-width: 18em; }
.hio-banner p { margin: 0 0 10px; max-width: 34em; font-size: 1.1rem; opacity: .92; }
.hio-banner .eyebrow, .hio-eyebrow { color: #ffd8a1; text-transform: uppercase; letter-spacing: .12em; font-size: .75rem; font-weight: 700; margin: 0; }
.hio-banner a { justify-self: start; position: relative; z-index: 1; }
.hio-banner .btn, .hio-offer .btn { background: #fff; border-color: #fff; color: var(--ink); }
.hio-banner .btn:hover { background: #f1ede4; border-color: #f1ede4; }
.hio-banner--welcome { background: linear-gradient(120deg, #1f3b34 0%, #2f5d46 55%, #6c8f5b 100%); }
.hio-banner--shoes { background: linear-gradient(120deg, #7e2f1f 0%, #c8553d 60%, #e08a5f 100%); }
.hio-banner--bags { background: linear-gradient(120deg, #1c2836 0%, #2f3e4e 55%, #5a7187 100%); }
.hio-banner--jackets { background: linear-gradient(120deg, #173a4c 0%, #2f6f8f 60%, #6fa3b8 100%); }
.hio-banner--interest { background: linear-gradient(120deg, #3b2f2a 0%, #6b5636 60%, #a0804f 100%); }
.hio-banner--thanks { background: linear-gradient(120deg, #3a2a4a 0%, #5d4a7a 55%, #9a7fb5 100%); }
.hio-offer { display: flex; align-items: center; justify-content: space-between; gap: 24px; flex-wrap: wrap; margin: -24px 0 48px; padding: 22px 28px; border-radius: var(--radius); background: #fff4e3; border: 2px dashed var(--accent); }
.hio-offer strong { font-size: 1.15rem; }
.hio-offer p { margin: 4px 0 0; color: var(--muted); }
.hio-offer .btn { background: var(--accent); border-color: var(--accent); color: #fff; }
.hio-code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-weight: 700; background: #fff; border: 1px solid #f0c98f; padding: 2px 8px; border-radius: 6px; color: var(--ink); }

@media (max-width: 860px) {
  .hero, .pdp, .cart, .checkout, .lookbook article, .cat-head { grid-template-columns: 1fr; }
  .hero, .hio-banner { padding: 32px 28px; }
  .tiles, .values, .site-footer .wrap { grid-template-columns: 1fr; }
  .site-header .wrap { gap: 16px; }
  .site-nav { gap: 14px; overflow-x: auto; }
}
`;

const LOGO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="168" height="36" viewBox="0 0 168 36" role="img" aria-label="${BRAND}">
  <title>${BRAND}</title>
  <circle cx="18" cy="18" r="17" fill="#2f5d46"/>
  <path d="M4 25 Q11 15 18 21 T32 20 L32 28 Q26 34 18 34 Q9 34 4 25 Z" fill="#d98c2b"/>
  <path d="M18 7 Q25 11 22 19 Q18 22 15 18 Q13 12 18 7 Z" fill="#e9efe6"/>
  <text x="44" y="25" font-family="Georgia, 'Times New Roman', serif" font-size="22" font-weight="700" fill="#1d2520" letter-spacing="-0.3">${BRAND}</text>
</svg>
`;

const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 36"><circle cx="18" cy="18" r="17" fill="#2f5d46"/><path d="M4 25 Q11 15 18 21 T32 20 L32 28 Q26 34 18 34 Q9 34 4 25 Z" fill="#d98c2b"/></svg>
`;

const SHAPES = {
  shoes: (c) => `
  <ellipse cx="200" cy="236" rx="150" ry="12" fill="rgba(0,0,0,.08)"/>
  <path d="M62 206 Q58 160 104 150 L176 134 Q200 126 210 96 L254 100 Q262 136 300 152 L334 166 Q356 178 352 206 Z" fill="${c}"/>
  <path d="M210 96 L254 100 Q258 120 268 132 L222 130 Q214 118 210 96 Z" fill="rgba(0,0,0,.12)"/>
  <path d="M150 142 L170 166 M172 136 L192 160 M194 126 L212 150" stroke="rgba(255,255,255,.75)" stroke-width="5" stroke-linecap="round"/>
  <rect x="56" y="204" width="300" height="22" rx="11" fill="#f4f1ea" stroke="rgba(0,0,0,.15)" stroke-width="2"/>`,
  bags: (c) => `
  <ellipse cx="200" cy="262" rx="120" ry="10" fill="rgba(0,0,0,.08)"/>
  <path d="M148 120 Q148 62 200 62 Q252 62 252 120" fill="none" stroke="${c}" stroke-width="14" stroke-linecap="round"/>
  <rect x="104" y="112" width="192" height="146" rx="20" fill="${c}"/>
  <rect x="104" y="150" width="192" height="10" fill="rgba(0,0,0,.14)"/>
  <rect x="184" y="146" width="32" height="22" rx="4" fill="#e8d9b5" stroke="rgba(0,0,0,.2)" stroke-width="2"/>
  <rect x="126" y="186" width="148" height="54" rx="10" fill="rgba(255,255,255,.12)"/>`,
  jackets: (c) => `
  <ellipse cx="200" cy="268" rx="110" ry="9" fill="rgba(0,0,0,.08)"/>
  <path d="M168 48 L232 48 L254 64 L302 82 L336 214 L304 222 L288 150 L288 258 L112 258 L112 150 L96 222 L64 214 L98 82 L146 64 Z" fill="${c}"/>
  <path d="M200 70 L200 258" stroke="rgba(0,0,0,.28)" stroke-width="3"/>
  <path d="M168 48 L200 96 L232 48" fill="rgba(0,0,0,.12)" stroke="rgba(0,0,0,.25)" stroke-width="3"/>
  <rect x="130" y="180" width="44" height="30" rx="4" fill="rgba(0,0,0,.12)"/>
  <rect x="226" y="180" width="44" height="30" rx="4" fill="rgba(0,0,0,.12)"/>`,
};

function productSvg(p) {
  const tint = p.category === 'shoes' ? '#f3e9e2' : p.category === 'bags' ? '#e9ece4' : '#e4ebee';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300" viewBox="0 0 400 300" role="img" aria-label="${esc(p.name)}">
  <title>${esc(p.name)}</title>
  <rect width="400" height="300" fill="${tint}"/>
  <circle cx="320" cy="60" r="90" fill="rgba(255,255,255,.45)"/>${SHAPES[p.category](p.color)}
</svg>
`;
}

const ROBOTS = 'User-agent: *\nDisallow: /cart\nDisallow: /checkout\n';

// ---------------------------------------------------------------------------------------------------------
// Page templates

const NAV = [
  ['/', 'Home'],
  ['/c/shoes', 'Shoes'],
  ['/c/bags', 'Bags'],
  ['/c/jackets', 'Jackets'],
  ['/slow', 'Lookbook'],
];

function head({ title, description, category }) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · ${BRAND}</title>
<meta name="description" content="${esc(description ?? `${BRAND}: boots, bags and jackets built to last.`)}">
${category ? `<meta name="hio:category" content="${esc(category)}">\n` : ''}<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/shop.css">
</head>
`;
}

function header(path, cartCount) {
  const links = NAV.map(
    ([href, label]) => `<a href="${href}"${path === href ? ' aria-current="page"' : ''}>${label}</a>`,
  ).join('\n      ');
  return `<body>
<div class="announce">Free shipping on orders over $75 · Free returns for 30 days · Repairs for life</div>
<header class="site-header">
  <div class="wrap">
    <a class="brand" href="/"><img src="/assets/logo.svg" alt="${BRAND}" width="168" height="36"></a>
    <nav class="site-nav" aria-label="Main">
      ${links}
    </nav>
    <a class="cart-link" href="/cart"${path === '/cart' ? ' aria-current="page"' : ''}>Cart <span class="cart-count">${cartCount}</span></a>
  </div>
</header>
`;
}

const FOOTER = `<footer class="site-footer">
  <div class="wrap">
    <div>
      <img src="/assets/logo.svg" alt="${BRAND}" width="140" height="30">
      <p>A demo shop for HIO, the edge personalization worker. Nothing here is for sale.</p>
    </div>
    <div><strong>Shop</strong><br><a href="/c/shoes">Shoes</a><a href="/c/bags">Bags</a><a href="/c/jackets">Jackets</a></div>
    <div><strong>Help</strong><br><a href="/cart">Your cart</a><a href="/checkout">Checkout</a><a href="/__hio/me">What we know about you</a></div>
  </div>
</footer>
</body>
</html>
`;

function page({ path, title, description, category, cartCount, body }) {
  return `${head({ title, description, category })}${header(path, cartCount)}<main>
<div class="wrap">
${body}
</div>
</main>
${FOOTER}`;
}

const img = (p, w = 400, h = 300) =>
  `<img src="/assets/products/${p.slug}.svg" alt="${esc(p.name)}" width="${w}" height="${h}" loading="lazy">`;

function card(p, badge) {
  return `<a class="card" href="/p/${p.slug}">
    ${img(p)}
    <div class="card-body">${badge ? `<span class="badge">${esc(badge)}</span>` : ''}
      <strong>${esc(p.name)}</strong>
      <span class="muted">${esc(p.blurb)}</span>
      <span class="price">${money(p.price)}</span>
    </div>
  </a>`;
}

const DEFAULT_HERO = `<div class="hero">
    <div>
      <p class="eyebrow">The autumn collection</p>
      <h1>Built for the long way round.</h1>
      <p>Boots, bags and jackets made to be worn hard, repaired and worn again. Free shipping over $75.</p>
      <div class="actions"><a class="btn" href="/c/jackets">Shop jackets</a><a class="btn btn-ghost" href="/c/shoes">Shop shoes</a></div>
    </div>
    <div class="hero-art" aria-hidden="true"><img src="/assets/products/alpine-down-parka.svg" alt="" width="400" height="300"></div>
  </div>`;

function homePage(ctx) {
  const tiles = Object.entries(CATEGORIES)
    .map(([key, c]) => {
      const p = PRODUCTS.get(PRODUCT_ROWS[key][0][0]);
      return `<a class="tile" href="/c/${key}">${img(p)}<span>${c.name}</span></a>`;
    })
    .join('\n  ');
  const featured = FEATURED.map((slug, i) => card(PRODUCTS.get(slug), i === 0 ? 'Bestseller' : '')).join(
    '\n  ',
  );
  return page({
    ...ctx,
    title: 'Boots, bags and jackets built to last',
    body: `<section id="hero">
  ${DEFAULT_HERO}
</section>
<div id="offer"></div>
<section aria-labelledby="cats">
  <div class="section-head"><h2 id="cats">Shop by category</h2></div>
  <div class="tiles">
  ${tiles}
  </div>
</section>
<section aria-labelledby="best">
  <div class="section-head"><h2 id="best">Bestsellers</h2><a href="/c/jackets">See all jackets →</a></div>
  <div class="grid">
  ${featured}
  </div>
</section>
<section class="values">
  <div><h3>Repairs for life</h3><p>Seams, zips and soles: if it breaks, we fix it.</p></div>
  <div><h3>Free returns</h3><p>Thirty days to change your mind, on us.</p></div>
  <div><h3>Made responsibly</h3><p>Traceable materials and fair factories, listed on every product.</p></div>
</section>`,
  });
}

function categoryPage(ctx, key) {
  const c = CATEGORIES[key];
  const products = PRODUCT_ROWS[key].map(([slug]) => PRODUCTS.get(slug));
  const cards = products.map((p, i) => card(p, i === 0 ? 'Bestseller' : i === 3 ? 'New' : '')).join('\n  ');
  const others = Object.keys(CATEGORIES)
    .filter((k) => k !== key)
    .flatMap((k) => PRODUCT_ROWS[k].slice(0, 2).map(([slug]) => PRODUCTS.get(slug)));
  const story = c.story.map(([h, p]) => `<div><h3>${esc(h)}</h3><p>${esc(p)}</p></div>`).join('\n  ');
  return page({
    ...ctx,
    title: c.name,
    description: `${c.name} at ${BRAND}. ${c.tagline}`,
    category: key,
    body: `<nav class="breadcrumb" aria-label="Breadcrumb"><a href="/">Home</a> / ${c.name}</nav>
<header class="cat-head">
  <div>
    <p class="eyebrow">${esc(c.tagline)}</p>
    <h1>${c.name}</h1>
    <p>${esc(c.intro)}</p>
  </div>
  <div class="toolbar" aria-label="Sort">
    <span class="chip" aria-pressed="true">Featured</span><span class="chip">Newest</span><span class="chip">Price</span>
  </div>
</header>
<section aria-label="${c.name}">
  <div class="grid">
  ${cards}
  </div>
</section>
<section class="values">
  ${story}
</section>
<section class="faq" aria-labelledby="faq">
  <h2 id="faq">Good to know</h2>
  <details><summary>How do I find my size?</summary><p>Every product page lists measurements. Between sizes? Size up, and exchanges are free.</p></details>
  <details><summary>How long does shipping take?</summary><p>Two to four working days in Europe and North America, tracked and carbon-neutral.</p></details>
  <details><summary>What does "repairs for life" cover?</summary><p>Seams, zips, buckles and straps, for as long as you own it. Soles are resoled free for two years.</p></details>
</section>
<section aria-labelledby="more">
  <div class="section-head"><h2 id="more">You might also like</h2></div>
  <div class="grid">
  ${others.map((p) => card(p)).join('\n  ')}
  </div>
</section>`,
  });
}

function productPage(ctx, p) {
  const c = CATEGORIES[p.category];
  const sizes = SIZES[p.category];
  const sizeField =
    sizes.length > 1
      ? `<div class="field"><label for="size">Size</label><select id="size" name="size">${sizes
          .map((s, i) => `<option${i === Math.floor(sizes.length / 2) ? ' selected' : ''}>${s}</option>`)
          .join('')}</select></div>`
      : `<input type="hidden" name="size" value="${esc(sizes[0])}">`;
  const related = PRODUCT_ROWS[p.category]
    .map(([slug]) => PRODUCTS.get(slug))
    .filter((o) => o.slug !== p.slug)
    .slice(0, 4);
  const reviews = 40 + (p.price % 170);
  return page({
    ...ctx,
    title: p.name,
    description: `${p.name}: ${p.blurb}`,
    category: p.category,
    body: `<nav class="breadcrumb" aria-label="Breadcrumb"><a href="/">Home</a> / <a href="/c/${p.category}">${c.name}</a> / ${esc(p.name)}</nav>
<section class="pdp">
  <div class="pdp-media">${img(p, 800, 600)}</div>
  <div class="pdp-info">
    <p class="eyebrow">${c.name}</p>
    <h1>${esc(p.name)}</h1>
    <div class="rating" aria-label="4.8 out of 5">★★★★★<span>4.8 · ${reviews} reviews</span></div>
    <div class="price">${money(p.price)}</div>
    <p>${esc(p.blurb)} ${esc(c.tagline)}</p>
    <form class="buy" method="post" action="/cart">
      <input type="hidden" name="action" value="add">
      <input type="hidden" name="slug" value="${p.slug}">
      <div class="row">
        ${sizeField}
        <div class="field"><label for="qty">Quantity</label><input id="qty" name="qty" type="number" min="1" max="9" value="1"></div>
      </div>
      <button class="btn btn-lg" type="submit">Add to cart</button>
    </form>
    <ul class="specs">
      <li>Free shipping over $75 and free 30-day returns</li>
      <li>Repairs for life on seams, zips and hardware</li>
      <li>Ships in 1-2 working days</li>
    </ul>
  </div>
</section>
<section aria-labelledby="related">
  <div class="section-head"><h2 id="related">More ${c.name.toLowerCase()}</h2><a href="/c/${p.category}">See all →</a></div>
  <div class="grid">
  ${related.map((o) => card(o)).join('\n  ')}
  </div>
</section>`,
  });
}

function summary(items) {
  const t = cartTotals(items);
  return `<dl>
      <dt>Subtotal (${t.count} ${t.count === 1 ? 'item' : 'items'})</dt><dd>${money(t.subtotal)}</dd>
      <dt>Shipping</dt><dd>${t.shipping === 0 ? 'Free' : money(t.shipping)}</dd>
      <dt class="total">Total</dt><dd class="total">${money(t.total)}</dd>
    </dl>`;
}

function cartPage(ctx, items, flash) {
  const notice = flash ? `<div class="flash" role="status">${esc(flash)}</div>\n` : '';
  if (items.length === 0) {
    return page({
      ...ctx,
      title: 'Your cart',
      body: `${notice}<section class="panel empty">
  <h1>Your cart is empty</h1>
  <p class="muted">Good things take a little browsing.</p>
  <div class="actions" style="justify-content:center"><a class="btn" href="/c/shoes">Shop shoes</a><a class="btn btn-ghost" href="/c/bags">Shop bags</a><a class="btn btn-ghost" href="/c/jackets">Shop jackets</a></div>
</section>`,
    });
  }
  const lines = items
    .map(
      (it) => `<div class="line">
      ${img(it.product, 96, 72)}
      <div>
        <a href="/p/${it.product.slug}">${esc(it.product.name)}</a>
        <div class="muted">${esc(it.size)} · Qty ${it.qty} · ${money(it.product.price)} each</div>
        <form method="post" action="/cart"><input type="hidden" name="action" value="remove"><input type="hidden" name="slug" value="${it.product.slug}"><input type="hidden" name="size" value="${esc(it.size)}"><button class="btn-link" type="submit">Remove</button></form>
      </div>
      <strong>${money(it.product.price * it.qty)}</strong>
    </div>`,
    )
    .join('\n    ');
  return page({
    ...ctx,
    title: 'Your cart',
    body: `${notice}<h1>Your cart</h1>
<section class="cart">
  <div class="panel">
    ${lines}
  </div>
  <aside class="panel summary">
    ${summary(items)}
    <a class="btn btn-lg" href="/checkout">Checkout</a>
    <p class="secure" style="margin-top:12px"><a href="/">Continue shopping</a></p>
  </aside>
</section>`,
  });
}

function checkoutPage(ctx, items) {
  const t = cartTotals(items);
  const lines = items.length
    ? items
        .map(
          (it) =>
            `<div class="line">${img(it.product, 96, 72)}<div>${esc(it.product.name)}<div class="muted">${esc(it.size)} · Qty ${it.qty}</div></div><strong>${money(it.product.price * it.qty)}</strong></div>`,
        )
        .join('\n    ')
    : '<p class="muted">Your cart is empty. <a href="/">Browse the shop</a> first, or place a demo order anyway.</p>';
  return page({
    ...ctx,
    title: 'Checkout',
    body: `<nav class="breadcrumb" aria-label="Breadcrumb"><a href="/cart">Cart</a> / Checkout</nav>
<h1>Checkout</h1>
<section class="checkout">
  <form class="panel" method="post" action="/thanks">
    <fieldset>
      <legend>Contact</legend>
      <div class="field"><label for="email">Email</label><input id="email" name="email" type="email" autocomplete="email" value="ada@example.com" required></div>
    </fieldset>
    <fieldset>
      <legend>Shipping address</legend>
      <div class="field"><label for="name">Full name</label><input id="name" name="name" autocomplete="name" value="Ada Lovelace" required></div>
      <div class="field"><label for="address">Address</label><input id="address" name="address" autocomplete="street-address" value="12 St James's Square" required></div>
      <div class="row">
        <div class="field"><label for="city">City</label><input id="city" name="city" autocomplete="address-level2" value="London" required></div>
        <div class="field"><label for="zip">Postcode</label><input id="zip" name="zip" autocomplete="postal-code" value="SW1Y 4JH" required></div>
      </div>
    </fieldset>
    <fieldset>
      <legend>Payment</legend>
      <div class="field"><label for="card">Card number</label><input id="card" name="card" inputmode="numeric" value="4242 4242 4242 4242" required></div>
      <div class="row">
        <div class="field"><label for="exp">Expiry</label><input id="exp" name="exp" value="12/30" required></div>
        <div class="field"><label for="cvc">CVC</label><input id="cvc" name="cvc" value="123" required></div>
      </div>
    </fieldset>
    <input type="hidden" name="total" value="${t.total.toFixed(2)}">
    <button class="btn btn-lg" type="submit" data-hio-goal="purchase" data-hio-value="${t.total.toFixed(2)}">Place order · ${money(t.total)}</button>
    <p class="secure">Demo checkout: no payment is taken.</p>
  </form>
  <aside class="panel summary">
    <h2>Order summary</h2>
    ${lines}
    ${summary(items)}
  </aside>
</section>`,
  });
}

function thanksPage(ctx, order, total) {
  const ref = /^FH-\d{4,8}$/.test(order ?? '') ? order : null;
  const amount = Number.parseFloat(total ?? '');
  return page({
    ...ctx,
    title: 'Thank you for your order',
    body: `<section class="panel thanks">
  <div class="check" aria-hidden="true">✓</div>
  <h1>Thank you for your order!</h1>
  <p>${ref ? `Your order <span class="order-id">${ref}</span>` : 'Your order'}${Number.isFinite(amount) ? ` of ${money(amount)}` : ''} is confirmed. A confirmation is on its way to your inbox.</p>
  <p class="muted">We pack orders within one working day. You can track yours from the email we just sent.</p>
  <div class="actions" style="justify-content:center"><a class="btn" href="/">Back to the shop</a><a class="btn btn-ghost" href="/__hio/me">See what HIO knows about you</a></div>
</section>`,
  });
}

function notFoundPage(ctx) {
  return page({
    ...ctx,
    title: 'Page not found',
    body: `<section class="notfound">
  <div class="code">404</div>
  <h1>We couldn't find that page</h1>
  <p class="muted">It may have moved, sold out, or never existed.</p>
  <div class="actions" style="justify-content:center"><a class="btn" href="/">Go home</a><a class="btn btn-ghost" href="/c/shoes">Shop shoes</a></div>
</section>`,
  });
}

/** The lookbook, in chunks: head + hero first, then one story per chunk. */
function slowChunks(ctx) {
  const stories = [
    [
      'alpine-down-parka',
      'North of the treeline',
      'Layered for a dawn start: down parka, fleece, and boots that were resoled twice.',
    ],
    [
      'voyager-weekender',
      'Two nights, one bag',
      'Everything for a weekend away, in a weekender that still fits the overhead bin.',
    ],
    ['summit-hiking-boot', 'Off the map', 'Waterproof, supportive, and broken in after a single hike.'],
    ['storm-rain-shell', 'Rain, mostly', 'A three-layer shell for the city and the hills.'],
    ['commuter-backpack', 'The daily loop', 'Laptop, lunch and a spare layer, with room to spare.'],
  ];
  const full = page({
    ...ctx,
    title: 'Lookbook',
    description: 'The autumn lookbook, streamed to you a story at a time.',
    body: '\u0000',
  });
  const [before, after] = full.split('\u0000');
  const first = `${before}<section id="hero">
  ${DEFAULT_HERO}
</section>
<div id="offer"></div>
<section class="lookbook" aria-labelledby="lb"><h2 id="lb">The autumn lookbook</h2>
`;
  const chunks = [first];
  for (const [slug, title, text] of stories) {
    const p = PRODUCTS.get(slug);
    chunks.push(`<article>${img(p)}<div><p class="eyebrow">${esc(p.name)}</p><h3>${esc(title)}</h3><p>${esc(text)}</p><a class="btn btn-ghost" href="/p/${p.slug}">Shop the look</a></div></article>
`);
  }
  chunks.push(`</section>\n${after}`);
  return chunks;
}

// ---------------------------------------------------------------------------------------------------------
// HTTP

const HTML_TYPE = 'text/html; charset=utf-8';
const ASSET_CACHE = 'public, max-age=86400';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function send(req, res, status, body, headers = {}) {
  const buf = Buffer.from(body);
  const etag = etagOf(buf);
  const h = { ETag: etag, ...headers };
  const inm = req.headers['if-none-match'];
  if (status === 200 && inm && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
    const { 'Content-Type': _ct, ...rest } = h;
    res.writeHead(304, rest);
    res.end();
    return;
  }
  res.writeHead(status, { ...h, 'Content-Length': buf.length });
  res.end(req.method === 'HEAD' ? undefined : buf);
}

function sendHtml(req, res, status, html, setCookies = []) {
  const headers = { 'Content-Type': HTML_TYPE, 'Cache-Control': 'no-cache', Vary: 'Cookie' };
  if (setCookies.length) headers['Set-Cookie'] = setCookies;
  send(req, res, status, html, headers);
}

function redirect(res, location, setCookies = []) {
  const headers = { Location: location, 'Content-Length': 0, 'Cache-Control': 'no-store' };
  if (setCookies.length) headers['Set-Cookie'] = setCookies;
  res.writeHead(303, headers);
  res.end();
}

function methodNotAllowed(res, allow) {
  res.writeHead(405, { Allow: allow, 'Content-Type': 'text/plain; charset=utf-8' });
  res.end('Method Not Allowed\n');
}

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
    const form = new URLSearchParams(await readBody(req));
    const product = PRODUCTS.get(form.get('slug') ?? '');
    const action = form.get('action') ?? 'add';
    if (!product) return redirect(res, '/cart', [flashCookie('That product no longer exists.')]);
    const size = SIZES[product.category].includes(form.get('size') ?? '')
      ? form.get('size')
      : SIZES[product.category][0];
    const i = items.findIndex((it) => it.product.slug === product.slug && it.size === size);
    let flash;
    if (action === 'remove') {
      if (i >= 0) items.splice(i, 1);
      flash = `Removed ${product.name} from your cart.`;
    } else {
      const qty = Math.max(1, Math.min(9, Number.parseInt(form.get('qty') ?? '1', 10) || 1));
      if (i >= 0) items[i].qty = Math.min(99, items[i].qty + qty);
      else items.push({ product, size, qty });
      flash = `Added ${product.name}${SIZES[product.category].length > 1 ? ` (${size})` : ''} to your cart.`;
    }
    return redirect(res, '/cart', [cartCookie(items), flashCookie(flash)]);
  }
  if (path === '/cart') {
    if (!isRead) return methodNotAllowed(res, 'GET, HEAD, POST');
    const setCookies = cookies.flash ? ['flash=; Path=/; Max-Age=0; SameSite=Lax'] : [];
    return sendHtml(req, res, 200, cartPage(ctx, items, cookies.flash), setCookies);
  }

  // placing an order: POST /thanks clears the cart and redirects to the confirmation
  if (path === '/thanks' && req.method === 'POST') {
    const form = new URLSearchParams(await readBody(req));
    const order = `FH-${randomInt(10000, 99999)}`;
    const total = cartTotals(items).total || Number.parseFloat(form.get('total') ?? '') || 0;
    const q = new URLSearchParams({ order, total: total.toFixed(2) });
    return redirect(res, `/thanks?${q}`, [
      cartCookie([]),
      `last_order=${order}; Path=/; Max-Age=2592000; SameSite=Lax`,
    ]);
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
