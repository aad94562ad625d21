/**
 * @module outbox
 * At-least-once delivery of events: `post` stores the new events with the unconfirmed ones (store), then
 * sends, in batches, every stored event that this page has not already got in flight; a batch is
 * forgotten once the collector has answered for it for good, and is sent again by a later `post` (or
 * page) otherwise. What earlier pages (or other tabs) could not confirm goes first.
 */
import { split } from './batch';
import { keep } from './store';
import { send } from './transport';
import type { Sent } from './types';

/** ids in this page's batches awaiting an answer: not sent twice from here */
const sending = new Set<string>();

/** `leaving` is truthy when the page is being hidden or closed. */
export function post(events: Sent[], leaving?: unknown): void {
  // each id once: not one already in flight, and not one kept twice (a batch with an id twice is refused whole)
  for (const b of split(keep(events).filter((e) => !sending.has(e.id) && !!sending.add(e.id)))) {
    send(b, leaving, (ok) => {
      for (const e of b) sending.delete(e.id);
      if (ok) keep([], b);
    });
  }
}
