/**
 * @module transport
 * Sends one batch as a `text/plain` body (no CORS preflight): `navigator.sendBeacon`, which survives
 * the page being closed, else `fetch` with `keepalive`. What is known not to have arrived (the beacon
 * was refused, the collector answered 5xx, the network failed) goes to `onFail` to be kept for later.
 */
import { COLLECT_PATH as ENDPOINT } from '../../worker/engine/beacon-protocol.ts';
import { body } from './batch';
import type { Sent } from './types';

export { ENDPOINT };

export function send(
  events: Sent[],
  onFail: (events: Sent[]) => void,
  nav: Pick<Navigator, 'sendBeacon'> = navigator,
  doFetch: typeof fetch = fetch,
): void {
  const fail = () => onFail(events);
  try {
    const b = body(events);
    if (nav.sendBeacon) {
      if (!nav.sendBeacon(ENDPOINT, b)) fail();
    } else {
      doFetch(ENDPOINT, { method: 'POST', body: b, keepalive: true, credentials: 'same-origin' }).then(
        (r) => r.status > 499 && fail(),
        fail,
      );
    }
  } catch {
    fail();
  }
}
