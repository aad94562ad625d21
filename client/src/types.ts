/**
 * @module types
 * The events the browser script sends to `/__hio/collect`: the wire format is defined once, in
 * worker/engine/beacon-protocol.ts, and shared with the collector. Types only: nothing here reaches the bundle.
 */
import type {
  ItemRef,
  PageviewEvent,
  SentEvent,
  SlotRef,
  WireEvent,
} from '../../worker/engine/beacon-protocol.ts';

/** A personalized slot, as the worker marks it (`data-hio-campaign` / `data-hio-variant`). */
export type Slot = SlotRef;
export type Pageview = PageviewEvent;
export type HioEvent = WireEvent;
/** An event as sent: `id` lets the worker drop it when a retried batch arrives twice. */
export type Sent = SentEvent & { ts: number };
export type { ItemRef, SentEvent };

/** The page's `window.hio`: the queue stub before the script loads, the real function after. */
export type Hio = ((...args: unknown[]) => void) & { q?: Iterable<unknown>[]; l?: 1 };
