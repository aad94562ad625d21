/**
 * @module transport
 * Sends one batch as a `text/plain` body (no CORS preflight) with `fetch`, `keepalive` so it survives the
 * page being closed, and reports whether the collector has answered for it (`settled`). The batch stays
 * in storage until then (see store).
 *
 * `keepalive` bodies in flight share a 64 KiB budget per page (the Fetch standard), and some browsers have
 * no `keepalive`. A batch is at most 16 KiB, so up to 4 go with `keepalive` at a time. When the page is
 * being left and a batch cannot go with `keepalive`, it goes by `sendBeacon`, which gives no answer: the
 * batch stays stored and the next page sends it again. While the page stays, such a batch goes by a plain
 * `fetch`, which does answer. Cookies go along: `credentials: 'same-origin'` is fetch's default.
 */
import { COLLECT_PATH as ENDPOINT } from '../../worker/engine/beacon-protocol.ts';
import { body } from './batch';
import type { Sent } from './types';

export { ENDPOINT };

/** 64 KiB of `keepalive` budget / 16 KiB per batch */
const KEEPALIVE_BATCHES = 4;
let inflight = 0;

/**
 * Whether the collector has answered for a batch for good: taken (2xx), or refused in a way no resend
 * can change (400 invalid batch or no visitor cookie, 413 too large, 415 wrong type). Everything else
 * (403, 404, 429, 5xx, a network error) may pass later, so the batch is kept.
 */
export const settled = (status: number): boolean => /^(2..|400|41[35])$/.test(status + '');

/**
 * Sends `events`; `done(true)` once the collector has answered for them for good, `done(false)` when
 * they must be sent again; never called after a `sendBeacon` (no answer). `leaving` is truthy when the
 * page is being hidden or closed.
 */
export function send(events: Sent[], leaving: unknown, done: (settled: boolean) => void): void {
  const b = body(events);
  const keepalive = 'keepalive' in Request.prototype && inflight < KEEPALIVE_BATCHES;
  if (leaving && !keepalive && navigator.sendBeacon(ENDPOINT, b)) return;
  inflight += +keepalive;
  fetch(ENDPOINT, { method: 'POST', body: b, keepalive })
    .then(
      (r) => settled(r.status),
      () => false,
    )
    .then((ok) => {
      inflight -= +keepalive;
      done(ok);
    });
}
