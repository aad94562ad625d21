/**
 * @module bench/workers/floor
 * The "rewrite floor" of the contract: streams HTML pages from ORIGIN_URL through HTMLRewriter and
 * injects exactly the bytes HIO injects for the benchmark visitor, at the same selectors, with no
 * state, no decision and no beacon. What any streaming edge personalizer must pay; HIO / floor is
 * what HIO's own logic costs.
 *
 * The writes come from the `FLOOR_WRITES` JSON binding, which run.mjs derives from what HIO decided
 * for the benchmark visitor (`/__hio/me`); run.mjs then checks that both return identical bodies.
 * Each write is `{ selector, action, campaign, variant, content }` with HIO's actions and markers.
 *
 * With a `HIO_KV` binding it is the "floor + KV" diagnostic instead: the same rewrite plus what any
 * stateful personalizer pays for state on this runtime, one bulk read of the visitor's two keys in
 * parallel with the origin fetch, awaited before the rewrite (HIO's page path for a returning visitor
 * whose assignments are settled writes nothing), and nothing else: no cookie signature, no config,
 * no decision.
 */
const SCRIPT_TAG = '<script src="/__hio/client.js" defer></script>';
const HTML = { html: true };

function apply(el, w) {
  if (w.action === 'before' || w.action === 'after') {
    el[w.action](
      `<div data-hio-campaign="${w.campaign}" data-hio-variant="${w.variant}">${w.content}</div>`,
      HTML,
    );
    return;
  }
  el.setAttribute('data-hio-campaign', w.campaign);
  el.setAttribute('data-hio-variant', w.variant);
  if (w.action === 'replace') el.setInnerContent(w.content, HTML);
  else if (w.action === 'prepend') el.prepend(w.content, HTML);
  else if (w.action === 'append') el.append(w.content, HTML);
  else if (w.action === 'setAttribute') el.setAttribute(w.name, w.content);
}

function visitorKey(req) {
  const m = /(?:^|;\s*)hio_vid=([^.;]+)/.exec(req.headers.get('cookie') ?? '');
  return m ? m[1] : null;
}

export default {
  async fetch(req, env) {
    const url = new URL(req.url);
    const origin = fetch(new URL(url.pathname + url.search, env.ORIGIN_URL), {
      method: req.method,
      headers: req.headers,
      redirect: 'manual',
    });
    const id = env.HIO_KV ? visitorKey(req) : null;
    const state = id ? env.HIO_KV.get([`p:${id}`, `b:${id}`], 'json') : null;
    const res = await origin;
    if (!/^text\/html/i.test(res.headers.get('content-type') ?? '')) return res;
    if (state) await state;
    const rw = new HTMLRewriter();
    let injected = false;
    rw.on('head', {
      element(el) {
        el.onEndTag((end) => {
          if (injected) return;
          injected = true;
          end.before(SCRIPT_TAG, HTML);
        });
      },
    });
    for (const w of env.FLOOR_WRITES ?? []) rw.on(w.selector, { element: (el) => apply(el, w) });
    return rw.transform(res);
  },
};
