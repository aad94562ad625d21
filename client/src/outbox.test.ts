import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Sent } from './types';

type Done = (settled: boolean) => void;
const sent: { events: Sent[]; leaving: unknown; done: Done }[] = [];
vi.mock('./transport', () => ({
  send: (events: Sent[], leaving: unknown, done: Done) => void sent.push({ events, leaving, done }),
}));
const { post } = await import('./outbox');

const m = new Map<string, string>();
const memory = {
  getItem: (k: string) => m.get(k) ?? null,
  setItem: (k: string, v: string) => void m.set(k, v),
  removeItem: (k: string) => void m.delete(k),
};
let n = 0;
const ev = (): Sent => ({ t: 'conversion', goal: 'purchase', id: `e${++n}`, ts: n });
const stored = (): Sent[] => JSON.parse(m.get('hio_q') ?? '[]');
const ids = (events: Sent[]) => events.map((e) => e.id);

beforeEach(() => {
  m.clear();
  sent.length = 0;
  vi.stubGlobal('localStorage', memory);
});
afterEach(() => vi.unstubAllGlobals());

describe('post', () => {
  it('stores a batch before sending it and forgets it only once settled', () => {
    const a = [ev(), ev()];
    post(a, 1);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.events).toEqual(a);
    expect(sent[0]!.leaving).toBe(1);
    expect(stored()).toEqual(a); // in flight: still stored
    sent[0]!.done(true);
    expect(m.has('hio_q')).toBe(false);
  });

  it('does not send an event twice from one page while it is in flight, and sends it again after a failure', () => {
    const a = [ev()];
    post(a);
    const b = [ev()];
    post(b); // `a` is in flight: only `b` goes
    expect(sent.map((s) => ids(s.events))).toEqual([ids(a), ids(b)]);
    sent[0]!.done(false); // the store was down: `a` stays stored, and the next post resends it
    sent[1]!.done(true);
    expect(stored()).toEqual(a);
    const c = [ev()];
    post(c);
    expect(ids(sent[2]!.events)).toEqual(ids([...a, ...c]));
    sent[2]!.done(true);
    expect(stored()).toEqual([]);
  });

  it('a later page (a fresh module) resends what an earlier one never heard back about, stored events first, same ids', async () => {
    const a = [ev(), ev()];
    post(a, 1); // the page closes before the answer: done is never called
    vi.resetModules();
    const later = await import('./outbox');
    const b = [ev()];
    later.post(b);
    expect(sent[1]!.events).toEqual([...a, ...b]);
    sent[1]!.done(true);
    expect(m.has('hio_q')).toBe(false);
  });

  it('settling one batch keeps the events added meanwhile', () => {
    const a = [ev()];
    post(a);
    const b = [ev()];
    post(b);
    sent[0]!.done(true);
    expect(stored()).toEqual(b);
  });

  it('splits what is waiting into batches of at most 100 events, each settled on its own', () => {
    const many = Array.from({ length: 150 }, ev);
    post(many);
    expect(sent.map((s) => s.events.length)).toEqual([100, 50]);
    sent[1]!.done(true);
    expect(stored()).toEqual(many.slice(0, 100));
    sent[0]!.done(false);
    post([]);
    expect(sent[2]!.events).toEqual(many.slice(0, 100));
  });

  it('sends an id once even when storage holds it twice (the collector refuses a batch with an id twice)', () => {
    const a = ev();
    m.set('hio_q', JSON.stringify([a, a]));
    const b = ev();
    post([b]);
    expect(sent.map((x) => ids(x.events))).toEqual([[a.id, b.id]]);
  });

  it('without storage, sends the new events once, from memory', () => {
    vi.stubGlobal('localStorage', undefined);
    const a = [ev()];
    post(a);
    expect(sent[0]!.events).toEqual(a);
    expect(() => sent[0]!.done(true)).not.toThrow();
  });
});
