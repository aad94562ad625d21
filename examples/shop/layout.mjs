// The frame every page shares (head with the hio:category and, on product pages, hio:item and og: meta tags, header
// with the cart count, footer) and the fragments several pages reuse: a product image and a product card.

import { BRAND } from './catalog.mjs';
import { esc, money } from './format.mjs';

const NAV = [
  ['/', 'Home'],
  ['/c/shoes', 'Shoes'],
  ['/c/bags', 'Bags'],
  ['/c/jackets', 'Jackets'],
  ['/slow', 'Lookbook'],
];

/** A product page's Open Graph tags (what HIO reads to collect an item its catalogue lacks). */
function productTags(p) {
  return [
    ['og:type', 'product'],
    ['og:title', p.name],
    ['og:url', `/p/${p.slug}`],
    ['og:image', `/assets/products/${p.slug}.svg`],
    ['product:price:amount', p.price.toFixed(2)],
    ['product:price:currency', 'USD'],
    ['product:availability', 'in stock'],
  ]
    .map(([k, v]) => `<meta property="${k}" content="${esc(v)}">\n`)
    .join('');
}

function head({ title, description, category, item, product }) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · ${BRAND}</title>
<meta name="description" content="${esc(description ?? `${BRAND}: boots, bags and jackets built to last.`)}">
${category ? `<meta name="hio:category" content="${esc(category)}">\n` : ''}${item ? `<meta name="hio:item" content="${esc(item)}">\n` : ''}${product ? productTags(product) : ''}<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
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

export function page({ path, title, description, category, item, product, cartCount, body }) {
  return `${head({ title, description, category, item, product })}${header(path, cartCount)}<main>
<div class="wrap">
${body}
</div>
</main>
${FOOTER}`;
}

export const img = (p, w = 400, h = 300) =>
  `<img src="/assets/products/${p.slug}.svg" alt="${esc(p.name)}" width="${w}" height="${h}" loading="lazy">`;

export function card(p, badge, position) {
  // a list's cards carry the marks HIO's recommendations carry, so clicks on the shop's own lists are
  // counted per item and position too, and the two can be compared
  const marks = position ? ` data-hio-item="${esc(p.slug)}" data-hio-pos="${position}"` : '';
  return `<a class="card" href="/p/${p.slug}"${marks}>
    ${img(p)}
    <div class="card-body">${badge ? `<span class="badge">${esc(badge)}</span>` : ''}
      <strong>${esc(p.name)}</strong>
      <span class="muted">${esc(p.blurb)}</span>
      <span class="price">${money(p.price)}</span>
    </div>
  </a>`;
}
