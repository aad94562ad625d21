/**
 * @module rewrite
 * The streaming rewrite of an HTML page: the script tag at the end of <head>, and each decided
 * variant in its slot with the `data-hio-campaign` / `data-hio-variant` markers. HTMLRewriter works
 * on the stream chunk by chunk; the page is never held in memory.
 */
import type { RewritePlan, SlotWrite } from '../engine/index.ts';

export const SCRIPT_TAG = '<script src="/__hio/client.js" defer></script>';

function markers(w: SlotWrite): string {
  return `data-hio-campaign="${w.campaign}" data-hio-variant="${w.variant}"`;
}

function mark(el: Element, w: SlotWrite): void {
  el.setAttribute('data-hio-campaign', w.campaign);
  el.setAttribute('data-hio-variant', w.variant);
}

function applyWrite(el: Element, w: SlotWrite): void {
  const html = { html: true };
  switch (w.action) {
    case 'replace':
      mark(el, w);
      if (w.content !== undefined) el.setInnerContent(w.content, html);
      return;
    case 'prepend':
      mark(el, w);
      if (w.content !== undefined) el.prepend(w.content, html);
      return;
    case 'append':
      mark(el, w);
      if (w.content !== undefined) el.append(w.content, html);
      return;
    case 'before':
    case 'after':
      // inserted content is wrapped so it can be observed; a control has nothing inserted, so the
      // anchor element itself carries the markers
      if (w.content === undefined) mark(el, w);
      else el[w.action](`<div ${markers(w)}>${w.content}</div>`, html);
      return;
    case 'setAttribute':
      mark(el, w);
      if (w.content !== undefined && w.name) el.setAttribute(w.name, w.content);
      return;
  }
}

interface IndexedPlan {
  bySelector: Map<string, { writes: SlotWrite[]; probes: string[] }>;
}

function indexPlan(plan: RewritePlan | null): IndexedPlan {
  const bySelector = new Map<string, { writes: SlotWrite[]; probes: string[] }>();
  const at = (selector: string) => {
    let e = bySelector.get(selector);
    if (!e) {
      e = { writes: [], probes: [] };
      bySelector.set(selector, e);
    }
    return e;
  };
  for (const w of plan?.writes ?? []) at(w.selector).writes.push(w);
  for (const p of plan?.probes ?? []) at(p.selector).probes.push(p.campaign);
  return { bySelector };
}

export interface RewriteOptions {
  /**
   * The plan, or a promise of it when the decision is still being made: then the page streams at once
   * and the first slot element waits for the plan (null: leave every slot as the origin sent it).
   */
  plan: RewritePlan | Promise<RewritePlan | null>;
  /** every selector a plan may use; only read when `plan` is a promise */
  selectors: readonly string[];
  /** the script element to inject; null injects nothing */
  scriptTag: string | null;
  /** a slot of this campaign was found (and written) in the page */
  onMatch: (campaign: string) => void;
  /** the whole document has streamed */
  onEnd: () => void;
  onError: (err: unknown) => void;
}

export function createRewriter(opts: RewriteOptions): HTMLRewriter {
  const rw = new HTMLRewriter();
  let injected = opts.scriptTag === null;
  const inject = (fn: () => void) => {
    if (injected) return;
    injected = true;
    try {
      fn();
    } catch (err) {
      opts.onError(err);
    }
  };
  const tag = opts.scriptTag ?? '';
  if (!injected) {
    rw.on('head', {
      element(el) {
        if (injected) return;
        el.onEndTag((end) => inject(() => end.before(tag, { html: true })));
      },
    });
    // pages without <head>: put it first in <body>, or at the end of the document
    rw.on('body', { element: (el) => inject(() => el.prepend(tag, { html: true })) });
  }
  rw.onDocument({
    end(end) {
      inject(() => end.append(tag, { html: true }));
      opts.onEnd();
    },
  });

  const apply = (el: Element, entry: { writes: SlotWrite[]; probes: string[] } | undefined) => {
    if (!entry) return;
    for (const w of entry.writes) {
      try {
        applyWrite(el, w);
        opts.onMatch(w.campaign);
      } catch (err) {
        opts.onError(err);
      }
    }
    for (const campaign of entry.probes) opts.onMatch(campaign);
  };

  if (!(opts.plan instanceof Promise)) {
    // decided before the first byte: handlers only where something happens, all synchronous
    const { bySelector } = indexPlan(opts.plan);
    for (const [selector, entry] of bySelector) rw.on(selector, { element: (el) => apply(el, entry) });
    return rw;
  }
  let indexed: IndexedPlan | null = null;
  const pending = opts.plan.then(
    (plan) => {
      indexed = indexPlan(plan);
      return indexed;
    },
    (err: unknown) => {
      opts.onError(err);
      indexed = indexPlan(null);
      return indexed;
    },
  );
  for (const selector of opts.selectors) {
    rw.on(selector, {
      element(el) {
        if (indexed) return apply(el, indexed.bySelector.get(selector));
        return pending.then((p) => apply(el, p.bySelector.get(selector)));
      },
    });
  }
  return rw;
}

/** Whether HTMLRewriter accepts a selector (checked when a campaign document is uploaded). */
export function selectorProblem(selector: string): string | null {
  try {
    new HTMLRewriter().on(selector, {});
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
