import { describe, expect, it, vi } from 'vitest';
import { ENDPOINT, send } from './transport';
import type { Sent } from './types';

const events: Sent[] = [{ t: 'scroll', depth: 50, id: 'abcd1', ts: 5 }];
const noBeacon = { sendBeacon: undefined } as unknown as Pick<Navigator, 'sendBeacon'>;

describe('send', () => {
  it('uses sendBeacon with the JSON body as a string (sent as text/plain)', () => {
    const sendBeacon = vi.fn(() => true);
    const onFail = vi.fn();
    send(events, onFail, { sendBeacon });
    expect(sendBeacon).toHaveBeenCalledWith(ENDPOINT, JSON.stringify({ v: 1, events }));
    expect(onFail).not.toHaveBeenCalled();
  });

  it('hands the events back when the beacon is refused or throws', () => {
    const onFail = vi.fn();
    send(events, onFail, { sendBeacon: () => false });
    send(events, onFail, {
      sendBeacon: () => {
        throw new TypeError('quota');
      },
    });
    expect(onFail).toHaveBeenCalledTimes(2);
    expect(onFail).toHaveBeenCalledWith(events);
  });

  it('falls back to a keepalive fetch', async () => {
    const answered = Promise.resolve(new Response(null, { status: 204 }));
    const doFetch = vi.fn(() => answered);
    const onFail = vi.fn();
    send(events, onFail, noBeacon, doFetch);
    // send() reacts to the answer first: it subscribed to it before this await did
    await answered;
    expect(doFetch).toHaveBeenCalledWith(ENDPOINT, {
      method: 'POST',
      body: JSON.stringify({ v: 1, events }),
      keepalive: true,
      credentials: 'same-origin',
    });
    expect(onFail).not.toHaveBeenCalled();
  });

  it('keeps the events on a 5xx or a network error, drops them on a 4xx (they would fail again)', async () => {
    const onFail = vi.fn();
    const answers = [
      Promise.resolve(new Response(null, { status: 503 })),
      Promise.reject(new TypeError('network')),
      Promise.resolve(new Response('{"error":"bad"}', { status: 400 })),
    ];
    for (const answer of answers) send(events, onFail, noBeacon, () => answer);
    // send() subscribed to each answer before this does, so its handlers have run when this resolves
    await Promise.allSettled(answers);
    expect(onFail).toHaveBeenCalledTimes(2);
    expect(onFail).toHaveBeenCalledWith(events);
  });
});
