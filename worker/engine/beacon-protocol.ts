/**
 * @module beacon-protocol
 * The beacon's wire format, defined once for both sides: the browser script (client/) imports these
 * types and limits, and the collector's schema (events.ts) is built from the same constants. A test
 * (beacon-protocol.test.ts) fails when the schema and these types drift apart.
 *
 * Only constants and types live here, so what the browser bundle takes from it is a few numbers.
 */

export const COLLECT_PATH = '/__hio/collect';
export const BEACON_VERSION = 1;
/** Largest body the collector reads. */
export const MAX_BATCH_BYTES = 16 * 1024;
/** Most events in one batch. */
export const MAX_EVENTS = 100;
/** Longest `path` / `ref` of a pageview. */
export const MAX_URL_CHARS = 512;
/** Longest form name. */
export const MAX_FORM_CHARS = 128;
/** Longest campaign, variant or goal name. */
export const MAX_NAME_CHARS = 64;
/** Longest category. */
export const MAX_CATEGORY_CHARS = 40;
/** The largest item position counted as such (a click on a list item further down counts as position 0, unknown). */
export const MAX_ITEM_POSITION = 100;
/** The ceiling of one engaged-time event (ms). */
export const MAX_ENGAGED_MS = 30 * 60_000;
/** The largest conversion value. */
export const MAX_VALUE = 1e9;
export const SCROLL_DEPTHS = [25, 50, 75, 90, 100] as const;

/** A unique event id: a resent id counts once. */
export const EVENT_ID_PATTERN = /^[A-Za-z0-9_-]{4,40}$/;
/** Campaign, variant and goal names. */
export const NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
/** A page category, after trimming and lower-casing. */
export const CATEGORY_PATTERN = /^[a-z0-9_-]{1,40}$/;

export const EVENT_TYPES = [
  'pageview',
  'scroll',
  'engaged',
  'click',
  'impression',
  'conversion',
  'form_start',
  'form_submit',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** A personalized slot, as the worker marks it (`data-hio-campaign` / `data-hio-variant`). */
export type SlotRef = { campaign: string; variant: string };

/**
 * A marked item in a slot's list (`data-hio-item` / `data-hio-pos`): its catalogue id and its position
 * (1 for the first). `pos` is the page's hint: anything but an integer in 1-{@link MAX_ITEM_POSITION}
 * counts as an unknown position.
 */
export type ItemRef = { item?: string | null; pos?: number | null };

export type PageviewEvent = { t: 'pageview'; path?: string; category?: string; ref?: string; item?: string };
export type ScrollDepth = (typeof SCROLL_DEPTHS)[number];

/** An event as the page produces it, before it is stamped with an id. */
export type WireEvent =
  | PageviewEvent
  | { t: 'scroll'; depth: ScrollDepth }
  | { t: 'engaged'; ms: number }
  | ({ t: 'click' } & SlotRef & ItemRef)
  | ({ t: 'impression' } & SlotRef)
  | ({ t: 'conversion'; goal: string; value?: number } & Partial<SlotRef>)
  | { t: 'form_start'; form?: string }
  | { t: 'form_submit'; form?: string };

/** An event as sent: `id` lets the worker drop it when a retried batch arrives twice; `ts` in ms. */
export type SentEvent = WireEvent & { id: string; ts?: number };

export type Batch = { v?: typeof BEACON_VERSION; events: SentEvent[] };
