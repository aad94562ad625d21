/**
 * @module store
 * Batches that could not be sent wait in `localStorage` (key `hio_q`, newest 200 events kept) and go
 * out again on the next flush or page load. Storage may be missing or refuse writes (private mode,
 * quota, sandboxed frames): then the events are simply lost.
 */
import type { Sent } from './types';

const KEY = 'hio_q';

type Store = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/** Removes and returns the waiting events. */
export function takeStored(store: () => Store = () => localStorage): Sent[] {
  try {
    const s = store();
    const v: unknown = JSON.parse(s.getItem(KEY) || '[]');
    s.removeItem(KEY);
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

/** Adds events to the waiting ones, keeping the newest `max`. */
export function keep(events: Sent[], store: () => Store = () => localStorage, max = 200): void {
  try {
    store().setItem(KEY, JSON.stringify(takeStored(store).concat(events).slice(-max)));
  } catch {
    // no storage: nothing more we can do
  }
}
