/** The HTML page the test origin serves at /, /page and /c/shoes. */
export const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop</title><meta name="hio:category" content="shoes"></head>
<body><header id="top">Shop</header>
<section id="hero"><h1>Original hero</h1></section>
<div id="offer"></div>
<p class="cta">Buy <a href="/p/1">now</a></p>
<footer>© shop — ünïcödé</footer>
</body></html>
`;
