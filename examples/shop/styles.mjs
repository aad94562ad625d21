// The shop's one stylesheet, served as /assets/shop.css. It also styles the banners HIO injects (.hio-*), so
// the variants in campaigns.json stay short markup.

export const CSS = `/* Fernhill demo shop. Banner classes (.hio-*) style the content HIO injects into #hero and #offer. */
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
.tip, .hio-tip { margin: -24px 0 40px; padding: 10px 16px; border-radius: var(--radius); background: #eef5ee; color: var(--ink); }
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
