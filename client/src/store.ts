/**
 * @module store
 * At-least-once delivery: every event is written to `localStorage` (key `hio_q`, newest 200 kept) before
 * it is sent, and removed only once the collector has answered for it (see `settled` in transport). What a
 * page could not confirm (the store was down, the network failed, the page closed before the answer came)
 * is sent again by the next flush or the next page; the worker counts an event id once, so a resend is
 * harmless. Storage may be missing or refuse writes (private mode, quota, sandboxed frames): then events
 * are still sent from memory, once. Two tabs writing at the same instant can lose one write (storage has
 * no transactions); that window is a few microseconds.
 */
import type { Sent } from './types';

const KEY = 'hio_q';
/** events kept at most: the newest */
const MAX = 200;

/**
 * Updates the unconfirmed events: removes `done` (by id), appends `events`, keeps the newest 200, and
 * returns them all, oldest first. Without storage, returns just `events`.
 */
export function keep(events: Sent[], done: Sent[] = []): Sent[] {
  let all = events;
  try {
    const s = localStorage;
    let v: unknown;
    try {
      // nothing stored: JSON.parse(null) is null
      v = JSON.parse(s.getItem(KEY) as string);
    } catch {
      // garbage reads as nothing, so it is overwritten rather than kept forever
    }
    const ids = new Set(done.map((e) => e.id));
    all = (Array.isArray(v) ? (v as Sent[]) : [])
      .filter((e) => !ids.has(e.id))
      .concat(events)
      .slice(-MAX);
    all.length ? s.setItem(KEY, JSON.stringify(all)) : s.removeItem(KEY);
  } catch {
    // no storage: the events go out once, from memory
  }
  return all;
}
