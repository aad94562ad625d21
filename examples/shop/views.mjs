// The pages, one function each: home, category, product, cart, checkout, thanks, 404 and the streamed lookbook.
// Each takes the request context (`{ path, cartCount }`) and the data it shows, and returns HTML; the router
// in server.mjs decides which one answers.

import { cartTotals } from './cart.mjs';
import { BRAND, CATEGORIES, FEATURED, PICKS, PRODUCT_ROWS, PRODUCTS, SIZES } from './catalog.mjs';
import { esc, money } from './format.mjs';
import { card, img, page } from './layout.mjs';

const DEFAULT_HERO = `<div class="hero">
    <div>
      <p class="eyebrow">The autumn collection</p>
      <h1>Built for the long way round.</h1>
      <p>Boots, bags and jackets made to be worn hard, repaired and worn again. Free shipping over $75.</p>
      <div class="actions"><a class="btn" href="/c/jackets">Shop jackets</a><a class="btn btn-ghost" href="/c/shoes">Shop shoes</a></div>
    </div>
    <div class="hero-art" aria-hidden="true"><img src="/assets/products/alpine-down-parka.svg" alt="" width="400" height="300"></div>
  </div>`;

export function homePage(ctx) {
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
<div id="app-tip"></div>
<script>
  // This strip is rendered by the shop's own script after load, where HIO's streaming rewrite cannot reach:
  // it asks HIO's decision API instead (hio('decide'), queued until HIO's script has loaded).
  window.hio = window.hio || function () { (hio.q = hio.q || []).push(arguments); };
  document.getElementById('app-tip').innerHTML = '<p id="tip" class="tip">Free repairs for life on everything we sell.</p>';
  hio('decide', ['#tip']);
</script>
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
<section aria-labelledby="picked">
  <div class="section-head"><h2 id="picked">Picked for you</h2></div>
  <div class="grid" id="picked-for-you">
  ${PICKS.map((slug, i) => card(PRODUCTS.get(slug), '', i + 1)).join('\n  ')}
  </div>
</section>
<section class="values">
  <div><h3>Repairs for life</h3><p>Seams, zips and soles: if it breaks, we fix it.</p></div>
  <div><h3>Free returns</h3><p>Thirty days to change your mind, on us.</p></div>
  <div><h3>Made responsibly</h3><p>Traceable materials and fair factories, listed on every product.</p></div>
</section>`,
  });
}

export function categoryPage(ctx, key) {
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

export function productPage(ctx, p) {
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
    item: p.slug,
    product: p,
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
      <button class="btn btn-lg" type="submit" data-hio-goal="add_to_cart">Add to cart</button>
    </form>
    <ul class="specs">
      <li>Free shipping over $75 and free 30-day returns</li>
      <li>Repairs for life on seams, zips and hardware</li>
      <li>Ships in 1-2 working days</li>
    </ul>
  </div>
</section>
<section aria-labelledby="related">
  <div class="section-head"><h2 id="related">You might also like</h2><a href="/c/${p.category}">See all ${c.name.toLowerCase()} →</a></div>
  <div class="grid" id="also-like">
  ${related.map((o, i) => card(o, '', i + 1)).join('\n  ')}
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

export function cartPage(ctx, items, flash) {
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

export function checkoutPage(ctx, items) {
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

export function thanksPage(ctx, order, total) {
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

export function notFoundPage(ctx) {
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
export function slowChunks(ctx) {
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
