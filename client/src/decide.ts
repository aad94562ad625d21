/**
 * @module decide
 * `hio('decide', slots, callback)`: asks the worker's decision API for slots the page renders itself
 * (a single-page app's content), writes each answer into the element its selector finds, marked
 * `data-hio-campaign` / `data-hio-variant` so its impression is counted (the exposure), and calls
 * `callback(decisions)` (`callback([], error)` when the call failed: keep the default content).
 */
import { guard } from './guard';

/** A decision as `GET /__hio/decide` returns it. */
export interface Decision {
  slot: string;
  campaign: string;
  variant: string;
  action: string;
  name?: string;
  html?: string;
  value?: string;
}

/** Writes one decision into its element and marks it, as the worker writes a streamed page. */
export function render(el: Element | null, x: Decision): void {
  const { action: a, html: h } = x;
  if (x.name && x.value != null) el?.setAttribute(x.name, x.value);
  if (el && h != null) {
    if (a === 'replace') el.innerHTML = h;
    // inserted content is wrapped so it can be observed: the wrapper is what gets marked
    else if (a === 'before' || a === 'after') {
      const box = document.createElement('div');
      box.innerHTML = h;
      el[a](box);
      el = box;
    } else el.insertAdjacentHTML(a === 'prepend' ? 'afterbegin' : 'beforeend', h);
  }
  el?.setAttribute('data-hio-campaign', x.campaign);
  el?.setAttribute('data-hio-variant', x.variant);
}

/** Asks for `slots` (selectors or campaign ids) on this page and renders what comes back. */
export function decide(slots: unknown, cb: unknown): void {
  const d = document;
  // a callback that is missing or throws changes nothing
  const done = guard(cb as (list: Decision[], err?: unknown) => void);
  // a selector with a comma in it is asked for by its campaign's id
  const q = new URLSearchParams({
    path: location.pathname + location.search,
    ref: d.referrer,
    slots: ([] as unknown[]).concat(slots).join(),
  });
  fetch('/__hio/decide?' + q)
    .then((r) => r.json())
    .then((a: { decisions: Decision[] }) => {
      for (const x of a.decisions) render(d.querySelector(x.slot), x);
      done(a.decisions);
    })
    .catch((err) => done([], err));
}
