/**
 * @module rewrite
 * The streaming rewrite of an HTML page: the script tag at the end of <head>, and each decided
 * variant in its slot with the `data-hio-campaign` / `data-hio-variant` markers. HTMLRewriter works
 * on the stream chunk by chunk; the page is never held in memory.
 */
import type { SlotAction } from '../engine/document.ts';

export interface SlotWrite {
  selector: string;
  action: SlotAction;
  /** attribute name for setAttribute */
  name?: string;
  campaign: string;
  variant: string;
  /** rendered content; undefined for a control (origin content kept, slot still marked) */
  content: string | undefined;
}

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

export interface RewriteOptions {
  writes: readonly SlotWrite[];
  /** the script element to inject; null injects nothing */
  scriptTag: string | null;
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
  rw.on('head', {
    element(el) {
      if (injected) return;
      el.onEndTag((end) => inject(() => end.before(tag, { html: true })));
    },
  });
  // pages without <head>: put it first in <body>, or at the end of the document
  rw.on('body', { element: (el) => inject(() => el.prepend(tag, { html: true })) });
  rw.onDocument({ end: (end) => inject(() => end.append(tag, { html: true })) });

  const bySelector = new Map<string, SlotWrite[]>();
  for (const w of opts.writes) {
    const list = bySelector.get(w.selector) ?? [];
    list.push(w);
    bySelector.set(w.selector, list);
  }
  for (const [selector, writes] of bySelector) {
    rw.on(selector, {
      element(el) {
        for (const w of writes) {
          try {
            applyWrite(el, w);
          } catch (err) {
            opts.onError(err);
          }
        }
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
