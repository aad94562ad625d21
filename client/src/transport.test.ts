import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ENDPOINT, send, settled } from './transport';
import type { Sent } from './types';

const events: Sent[] = [{ t: 'scroll', depth: 50, id: 'abcd1', ts: 5 }];
const body = JSON.stringify({ v: 1, events });
/** Lets the answer chains (microtasks) run: no timer, so nothing here waits on the clock. */
const flushPromises = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

/** A fetch whose answers the test releases one by one. */
function pendingFetch() {
  const answers: ((r: Response | Error) => void)[] = [];
  const fetch = vi.fn(
    () =>
      new Promise<Response>((resolve, reject) =>
        answers.push((r) => (r instanceof Error ? reject(r) : resolve(r))),
      ),
  );
  return { fetch, answer: (i: number, r: Response | Error) => answers[i]?.(r) };
}

let sendBeacon: ReturnType<typeof vi.fn>;
beforeEach(() => {
  sendBeacon = vi.fn(() => true);
  vi.stubGlobal('navigator', { sendBeacon });
});
afterEach(() => vi.unstubAllGlobals());

describe('settled', () => {
  it('is true for 2xx and for the refusals no resend can change, false for what may pass later', () => {
    for (const s of [200, 202, 204, 400, 413, 415]) expect(settled(s), String(s)).toBe(true);
    for (const s of [301, 401, 403, 404, 408, 429, 500, 502, 503, 504])
      expect(settled(s), String(s)).toBe(false);
  });
});

describe('send', () => {
  it('posts the JSON body as a string (text/plain) with a keepalive fetch, and says when it is settled', async () => {
    const fetch = vi.fn(async () => new Response(null, { status: 204 }));
    vi.stubGlobal('fetch', fetch);
    const done = vi.fn();
    send(events, 1, done);
    expect(fetch).toHaveBeenCalledWith(ENDPOINT, { method: 'POST', body, keepalive: true });
    await flushPromises();
    expect(done).toHaveBeenCalledWith(true);
    expect(sendBeacon).not.toHaveBeenCalled();
  });

  it('reports a 503, a 429 and a network error as not settled, a 400 as settled', async () => {
    const done = vi.fn();
    for (const answer of [
      () => new Response('{"error":"down"}', { status: 503 }),
      () => new Response(null, { status: 429 }),
      () => Promise.reject(new TypeError('network')),
      () => new Response('{"error":"bad"}', { status: 400 }),
    ]) {
      vi.stubGlobal('fetch', async () => answer());
      send(events, 0, done);
      await flushPromises();
    }
    expect(done.mock.calls).toEqual([[false], [false], [false], [true]]);
  });

  it('keeps at most 4 batches (64 KiB) in keepalive flight: past that, a plain fetch, or sendBeacon when leaving', async () => {
    const { fetch, answer } = pendingFetch();
    vi.stubGlobal('fetch', fetch);
    const done = vi.fn();
    for (let i = 0; i < 5; i++) send(events, 0, done);
    expect(fetch.mock.calls.map((c) => (c as unknown[])[1])).toEqual([
      ...Array(4).fill({ method: 'POST', body, keepalive: true }),
      { method: 'POST', body, keepalive: false },
    ]);
    // leaving with the budget spent: the beacon, and no answer will come
    send(events, 1, done);
    expect(sendBeacon).toHaveBeenCalledWith(ENDPOINT, body);
    expect(fetch).toHaveBeenCalledTimes(5);
    // an answer frees its share of the budget, whatever it was
    answer(0, new Response(null, { status: 503 }));
    answer(4, new Response(null, { status: 204 }));
    await flushPromises();
    expect(done.mock.calls).toEqual([[false], [true]]);
    send(events, 1, done);
    expect(fetch).toHaveBeenCalledTimes(6);
    expect(fetch.mock.calls[5]).toEqual([ENDPOINT, { method: 'POST', body, keepalive: true }]);
    for (const i of [1, 2, 3, 5]) answer(i, new TypeError('network'));
    await flushPromises();
    expect(done).toHaveBeenCalledTimes(6);
  });

  it('without keepalive in the browser: sendBeacon when leaving, a plain fetch otherwise', async () => {
    vi.stubGlobal('Request', class {});
    const fetch = vi.fn(async () => new Response(null, { status: 204 }));
    vi.stubGlobal('fetch', fetch);
    const done = vi.fn();
    send(events, new Event('pagehide'), done);
    expect(sendBeacon).toHaveBeenCalledWith(ENDPOINT, body);
    expect(fetch).not.toHaveBeenCalled();
    send(events, undefined, done);
    expect(fetch).toHaveBeenCalledWith(ENDPOINT, { method: 'POST', body, keepalive: false });
    await flushPromises();
    expect(done.mock.calls).toEqual([[true]]);
    // a beacon the browser refuses (quota): a plain fetch after all
    sendBeacon.mockReturnValue(false);
    send(events, 1, done);
    expect(fetch).toHaveBeenCalledTimes(2);
  });
});
