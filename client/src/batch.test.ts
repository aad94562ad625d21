import { describe, expect, it } from 'vitest';
import { body, split } from './batch';
import type { Sent } from './types';

const ev = (i: number, extra = ''): Sent => ({ t: 'conversion', goal: `g${extra}`, id: `id${i}`, ts: 1 });
const bytes = (s: string) => new Blob([s]).size;

describe('split', () => {
  it('puts at most 100 events in a batch, in order', () => {
    const events = Array.from({ length: 250 }, (_, i) => ev(i));
    const batches = split(events);
    expect(batches.map((b) => b.length)).toEqual([100, 100, 50]);
    expect(batches.flat()).toEqual(events);
  });

  it('keeps every body within 16 KB of UTF-8, counting multi-byte characters', () => {
    const events = Array.from({ length: 60 }, (_, i) => ev(i, 'é'.repeat(500)));
    const batches = split(events);
    expect(batches.length).toBeGreaterThan(1);
    for (const b of batches) expect(bytes(body(b))).toBeLessThanOrEqual(16384);
    expect(batches.flat()).toEqual(events);
    // full batches are close to the limit, not split needlessly small
    expect(bytes(body(batches[0]!))).toBeGreaterThan(16384 - 1100);
  });

  it('drops an event too large for any batch', () => {
    const events = [ev(1), ev(2, 'x'.repeat(17000)), ev(3)];
    expect(split(events)).toEqual([[ev(1), ev(3)]]);
  });

  it('returns no batch for no events', () => {
    expect(split([])).toEqual([]);
  });
});

describe('body', () => {
  it('is the versioned envelope', () => {
    expect(JSON.parse(body([ev(1)]))).toEqual({ v: 1, events: [ev(1)] });
  });
});
