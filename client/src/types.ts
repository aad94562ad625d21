/**
 * @module types
 * The events the browser script sends to `/__hio/collect`, as the worker's `worker/engine/events.ts`
 * validates them. Types only: nothing here reaches the bundle.
 */

/** A personalized slot, as the worker marks it (`data-hio-campaign` / `data-hio-variant`). */
export type Slot = { campaign: string; variant: string };

export type Pageview = { t: 'pageview'; path: string; category?: string; ref?: string };

export type HioEvent =
  | Pageview
  | { t: 'scroll'; depth: number }
  | { t: 'engaged'; ms: number }
  | ({ t: 'click' } & Slot)
  | ({ t: 'impression' } & Slot)
  | ({ t: 'conversion'; goal: string; value?: number } & Partial<Slot>)
  | { t: 'form_start'; form?: string }
  | { t: 'form_submit'; form?: string };

/** An event as sent: `id` lets the worker drop it when a retried batch arrives twice. */
export type Sent = HioEvent & { id: string; ts: number };

/** The page's `window.hio`: the queue stub before the script loads, the real function after. */
export type Hio = ((...args: unknown[]) => void) & { q?: ArrayLike<unknown>[]; l?: 1 };
