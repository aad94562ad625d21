/**
 * @module index
 * The browser script served at `/__hio/client.js`: wiring only. It records the page's interactions as
 * events, queues them and sends them in batches when the page is hidden or closed and when 20 are
 * waiting; each event stays in storage until the collector has answered for it, and a page sends what
 * earlier pages could not confirm as soon as it loads. In a single-page app each route change
 * (`history.pushState`/`replaceState` to a new path, `popstate`) is a pageview of its own, and slots
 * rendered later are watched as they appear. It sets no cookie, loads nothing, defines nothing but
 * `window.hio` and never throws.
 */
import { MAX_ENGAGED_MS as MAX_ENGAGED } from '../../worker/engine/beacon-protocol.ts';
import { installApi } from './api';
import { decide } from './decide';
import { createEngagement } from './engaged';
import { formName } from './form';
import { guard } from './guard';
import { newId } from './id';
import { watchImpressions } from './impressions';
import { post } from './outbox';
import { pageview } from './page';
import { createScrollDepth, depthOf } from './scroll';
import { slotData, slotOf } from './slot';
import { keep } from './store';
import type { Hio, HioEvent, Sent } from './types';
import { goalName, toValue } from './value';

function main(w: Window & { hio?: Hio }, d: Document): void {
  if (w.hio?.l) return; // the script is on the page twice
  const visible = () => !d.hidden;
  const engagement = createEngagement(Date.now, visible());
  const stamp = (e: HioEvent): Sent => ({ ...e, id: newId(), ts: Date.now() });
  let queue: Sent[] = [];

  // `leaving` is truthy (an event, or 1) when the page is being hidden or closed
  const flush = (leaving?: unknown) => {
    const ms = Math.min(engagement.take(), MAX_ENGAGED);
    if (ms) queue.push(stamp({ t: 'engaged', ms }));
    post(queue, leaving);
    queue = [];
  };
  const push = (e: HioEvent) => {
    // 20 events fill a batch: send it at once
    if (queue.push(stamp(e)) >= 20) flush();
  };
  const on = (target: EventTarget, types: string, fn: (e: Event) => void) => {
    for (const type of types.split(' '))
      target.addEventListener(type, guard(fn), { capture: true, passive: true });
  };

  let path = w.location.pathname;
  // a route change of a single-page app has no referrer of its own (the previous route is this site)
  const view = (spa?: 1) => push({ ...pageview(d, path), ...(spa && { ref: undefined }) });
  view();
  const convert = (goal: string, value: unknown, slot?: object) => {
    const name = goalName(goal);
    if (name) push({ t: 'conversion', goal: name, value: toValue(value), ...slot });
  };
  installApi(w, convert, decide);

  const newDepth = () => createScrollDepth((depth) => push({ t: 'scroll', depth }));
  let depth = newDepth();
  const scrolled = () =>
    depth(depthOf(w.scrollY, w.innerHeight, (d.scrollingElement || d.documentElement).scrollHeight));
  scrolled();

  const slots = () => [...d.querySelectorAll('[data-hio-campaign]')];
  const impressions = watchImpressions((slot) => push({ t: 'impression', ...slotData(slot) }));
  impressions(visible(), slots());
  // slots rendered after load (a single-page app, hio('decide')) are watched as they appear
  new MutationObserver(guard(() => impressions(visible(), slots()))).observe(d, {
    childList: true,
    subtree: true,
    // an attribute filter observes attributes (DOM: `attributes` defaults to true with it)
    attributeFilter: ['data-hio-campaign'],
  });

  // single-page apps: a new path is a new page (what the old one left behind goes first)
  const route = guard(() => {
    if (w.location.pathname === path) return;
    flush();
    path = w.location.pathname;
    depth = newDepth();
    view(1);
    scrolled();
    impressions(visible(), slots(), 1);
  });
  const h = w.history;
  for (const k of ['pushState', 'replaceState'] as const) {
    const orig = h[k];
    h[k] = function (this: History, ...args: Parameters<History['pushState']>) {
      orig.apply(this, args);
      route();
    };
  }
  on(w, 'popstate', route);

  on(d, 'mousemove keydown pointerdown touchstart scroll', (e) => {
    engagement.input();
    if (e.type === 'scroll') scrolled();
  });
  on(d, 'click', (e) => {
    const el = e.target as Element;
    const slot = slotOf(el);
    // a click on a marked item of the slot's list (a recommendation) says which item, at which position
    const item = el.closest('[data-hio-item]');
    if (slot)
      push({
        t: 'click',
        ...slot,
        ...(item && {
          item: item.getAttribute('data-hio-item'),
          pos: +(item.getAttribute('data-hio-pos') as string),
        }),
      });
    const goal = el.closest('[data-hio-goal]');
    if (goal) convert(goal.getAttribute('data-hio-goal') || '', goal.getAttribute('data-hio-value'), slot);
  });
  const started = new WeakSet<Element>();
  on(d, 'input', (e) => {
    const form = (e.target as Element).closest('form');
    if (form && !started.has(form)) {
      started.add(form);
      push({ t: 'form_start', form: formName(form) });
    }
  });
  on(d, 'submit', (e) => push({ t: 'form_submit', form: formName(e.target as Element) }));
  on(d, 'visibilitychange', () => {
    const v = visible();
    engagement.visible(v);
    impressions(v);
    if (!v) flush(1);
  });
  on(w, 'pagehide', flush);
  // back/forward cache: the page is shown again without a request
  on(w, 'pageshow', (e) => (e as PageTransitionEvent).persisted && view());

  // events earlier pages could not confirm go now
  if (keep([]).length) flush();
}

guard(main)(window, document);
