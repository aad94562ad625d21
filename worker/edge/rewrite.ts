/**
 * @module rewrite
 * The streaming rewrite of an HTML page: the script tag at the end of <head>, and each decided
 * variant in its slot with the `data-hio-campaign` / `data-hio-variant` markers. HTMLRewriter works
 * on the stream chunk by chunk; the page is never held in memory.
 */
import { RAW_CONTENT_ELEMENTS, type RewritePlan, type SlotWrite } from '../engine/index.ts';

export const SCRIPT_TAG = '<script src="/__hio/client.js" defer></script>';

/**
 * A CSP nonce is base64 (or base64url) by the CSP grammar; anything else (a quote, a space, `>`) is
 * refused, so a value taken from the origin's header or page can never break out of the attribute.
 */
const NONCE_RE = /^[A-Za-z0-9+/_-]{1,256}={0,2}$/;

export function validNonce(value: string | null | undefined): string | null {
  return value && NONCE_RE.test(value) ? value : null;
}

/**
 * The nonce a policy (or a comma-separated list of them, as `Headers.get` joins several) allows
 * `<script src>` elements with: from `script-src-elem`, else `script-src`, else `default-src`, the
 * directive a browser applies to them.
 */
export function policyNonce(policies: string | null): string | null {
  for (const policy of (policies ?? '').split(',')) {
    const directives = new Map<string, string[]>();
    for (const d of policy.split(';')) {
      const [name, ...values] = d.trim().split(/\s+/);
      if (name && !directives.has(name.toLowerCase())) directives.set(name.toLowerCase(), values);
    }
    const sources =
      directives.get('script-src-elem') ??
      directives.get('script-src') ??
      directives.get('default-src') ??
      [];
    for (const source of sources) {
      const nonce = validNonce(/^'nonce-(.*)'$/i.exec(source)?.[1]);
      if (nonce) return nonce;
    }
  }
  return null;
}

/**
 * The nonce of the response's policy. An enforced policy's comes first; a report-only policy's is
 * used when there is no other, so that a site trying a policy out gets no report for HIO's script.
 */
export function cspNonce(headers: Headers): string | null {
  return (
    policyNonce(headers.get('content-security-policy')) ??
    policyNonce(headers.get('content-security-policy-report-only'))
  );
}

/** The script element with a `nonce` attribute (the nonce already checked by `validNonce`). */
export function withNonce(tag: string, nonce: string | null): string {
  return nonce ? tag.replace('></script>', ` nonce="${nonce}"></script>`) : tag;
}

function markers(w: SlotWrite): string {
  return `data-hio-campaign="${w.campaign}" data-hio-variant="${w.variant}"`;
}

function mark(el: Element, w: SlotWrite): void {
  el.setAttribute('data-hio-campaign', w.campaign);
  el.setAttribute('data-hio-variant', w.variant);
}

function applyWrite(el: Element, w: SlotWrite): void {
  const html = { html: true };
  // Inside <script>, <style>, <textarea>, ... content is raw text, where HTML escaping protects nothing:
  // a slot that selects such an element is only marked, never written into.
  if (
    (w.action === 'replace' || w.action === 'prepend' || w.action === 'append') &&
    RAW_CONTENT_ELEMENTS.has(el.tagName.toLowerCase())
  ) {
    mark(el, w);
    return;
  }
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
  /**
   * The nonce of the response's CSP header (`cspNonce`), given to the script element. Without one, a
   * nonce found in the page before the element is injected is used: a `<meta http-equiv>` policy's,
   * or that of a `<script nonce>` (whose nonce the page's policy must allow).
   */
  nonce?: string | null;
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
  let pageNonce: string | null = null;
  const tag = () => withNonce(opts.scriptTag ?? '', opts.nonce ?? pageNonce);
  if (!injected) {
    // One handler for the elements that decide where and with what nonce the script goes (one
    // selector list: each `on` costs the rewriter per page). A `<meta http-equiv>` policy or a
    // `<script nonce>` comes before the end of <head>; pages without <head> get the script first in
    // <body>, or at the end of the document.
    const nonceFromPage = !opts.nonce;
    rw.on(nonceFromPage ? 'head, body, meta[http-equiv], script[nonce]' : 'head, body', {
      element(el) {
        if (injected) return;
        switch (el.tagName) {
          case 'head':
            el.onEndTag((end) => inject(() => end.before(tag(), { html: true })));
            return;
          case 'body':
            inject(() => el.prepend(tag(), { html: true }));
            return;
          case 'meta':
            if (pageNonce) return;
            if (el.getAttribute('http-equiv')?.trim().toLowerCase() !== 'content-security-policy') return;
            pageNonce = policyNonce(el.getAttribute('content'));
            return;
          default:
            if (nonceFromPage && !pageNonce) pageNonce = validNonce(el.getAttribute('nonce'));
        }
      },
    });
  }
  rw.onDocument({
    end(end) {
      inject(() => end.append(tag(), { html: true }));
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
