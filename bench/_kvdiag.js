export default {
  async fetch(req, env, ctx) {
    const url = new URL(req.url);
    const mode = url.searchParams.get('mode') ?? 'floor';
    const originP = fetch(new URL(url.pathname, env.ORIGIN_URL));
    let t = performance.now();
    if (mode !== 'floor') await env.HIO_KV.get(['p:x', 'b:x'], 'json');
    const kvMs = performance.now() - t;
    const res = await originP;
    const rw = new HTMLRewriter();
    rw.on('head', { element(el) { el.onEndTag((e) => e.before('<script src="/__hio/client.js" defer></script>', { html: true })); } });
    const out = rw.transform(res);
    if (mode === 'put') ctx.waitUntil(env.HIO_KV.put('p:x', JSON.stringify({ a: 1, pv: Math.random(), s: 'x'.repeat(300) }), { expirationTtl: 86400 }));
    const h = new Response(out.body, out);
    h.headers.set('server-timing', `kv;dur=${kvMs}`);
    return h;
  },
};
