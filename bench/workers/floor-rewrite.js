/**
 * @module bench/workers/floor-rewrite
 * What the two floor workers share (bench/workers/floor.js, bench/workers/floor-state.js): the origin
 * fetch and the rewrite. The rewrite injects the script tag at the end of `<head>` and the
 * `FLOOR_WRITES` JSON binding, which run.mjs derives from what HIO decided for the benchmark visitor
 * (`/__hio/me`); run.mjs then checks that every floor returns HIO's exact bytes. Each write is
 * `{ selector, action, campaign, variant, content }` with HIO's actions and markers.
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

/** The origin's response for this request. */
export function fetchOrigin(req, env) {
  const url = new URL(req.url);
  return fetch(new URL(url.pathname + url.search, env.ORIGIN_URL), {
    method: req.method,
    headers: req.headers,
    redirect: 'manual',
  });
}

export const isHtml = (res) => /^text\/html/i.test(res.headers.get('content-type') ?? '');

/** The floor's rewrite of an HTML response: the script tag and the `FLOOR_WRITES`, streamed. */
export function floorRewrite(res, env) {
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
}
