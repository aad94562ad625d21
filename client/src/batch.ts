/**
 * @module batch
 * Splits events into request bodies the collector accepts: at most 100 events and 16 KB each.
 */
import { MAX_BATCH_BYTES, MAX_EVENTS } from '../../worker/engine/beacon-protocol.ts';
import type { Sent } from './types';

/** Bytes of `{"v":1,"events":[` plus `]}` around the events. */
const FRAME = 19;

export const body = (events: Sent[]): string => JSON.stringify({ v: 1, events });

export function split(events: Sent[], maxEvents = MAX_EVENTS, maxBytes = MAX_BATCH_BYTES): Sent[][] {
  const out: Sent[][] = [];
  let cur: Sent[] = [];
  let size = 0;
  for (const e of events) {
    // UTF-8 size of the event plus its comma
    const n = new Blob([JSON.stringify(e)]).size + 1;
    // an event that can never fit is dropped: the collector would refuse the whole batch
    if (n > maxBytes - FRAME) continue;
    if (cur.length >= maxEvents || size + n > maxBytes - FRAME) {
      out.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(e);
    size += n;
  }
  if (cur.length) out.push(cur);
  return out;
}
