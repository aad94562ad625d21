import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { keep } from './store';
import type { Sent } from './types';

const m = new Map<string, string>();
const memory = {
  getItem: (k: string) => m.get(k) ?? null,
  setItem: (k: string, v: string) => void m.set(k, v),
  removeItem: (k: string) => void m.delete(k),
};
const ev = (i: number): Sent => ({ t: 'scroll', depth: 25, id: `id${i}`, ts: i });
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => ev(from + i));

beforeEach(() => {
  m.clear();
  vi.stubGlobal('localStorage', memory);
});
afterEach(() => vi.unstubAllGlobals());

describe('keep', () => {
  it('stores events under hio_q and returns the stored ones first, then the new', () => {
    expect(keep([ev(1), ev(2)])).toEqual([ev(1), ev(2)]);
    expect(keep([ev(3)])).toEqual([ev(1), ev(2), ev(3)]);
    expect(JSON.parse(m.get('hio_q')!)).toEqual([ev(1), ev(2), ev(3)]);
    expect(keep([])).toEqual([ev(1), ev(2), ev(3)]);
  });

  it('forgets confirmed events by id, whatever else the stored copy holds, and removes the key when empty', () => {
    keep(range(1, 4));
    // the confirmed batch is a copy read earlier: matched by id, not identity
    expect(keep([ev(9)], [{ ...ev(2) }, ev(3)])).toEqual([ev(1), ev(4), ev(9)]);
    keep([], [ev(1), ev(4), ev(9)]);
    expect(m.has('hio_q')).toBe(false);
    expect(keep([])).toEqual([]);
  });

  it('keeps only the newest 200 events', () => {
    keep(range(0, 150));
    const kept = keep(range(150, 150));
    expect(kept).toHaveLength(200);
    expect(kept[0]).toEqual(ev(100));
    expect(kept[199]).toEqual(ev(299));
    expect(JSON.parse(m.get('hio_q')!)).toEqual(kept);
  });

  it('overwrites garbage in storage instead of keeping it forever', () => {
    for (const garbage of ['{not json', '{"a":1}', 'null', '"x"']) {
      m.set('hio_q', garbage);
      expect(keep([ev(1)])).toEqual([ev(1)]);
      expect(JSON.parse(m.get('hio_q')!)).toEqual([ev(1)]);
    }
  });

  it('without storage, or when storage refuses a write, still returns what is to be sent', () => {
    vi.stubGlobal('localStorage', undefined);
    expect(keep([ev(1)])).toEqual([ev(1)]);
    vi.stubGlobal('localStorage', {
      ...memory,
      setItem: () => {
        throw new DOMException('full', 'QuotaExceededError');
      },
    });
    m.set('hio_q', JSON.stringify([ev(0)]));
    expect(keep([ev(1)])).toEqual([ev(0), ev(1)]);
    expect(() => keep([], [ev(0)])).not.toThrow();
  });

  it('with access denied (sandboxed frame), does not throw', () => {
    Object.defineProperty(globalThis, 'localStorage', {
      configurable: true,
      get() {
        throw new DOMException('denied', 'SecurityError');
      },
    });
    try {
      expect(keep([ev(1)])).toEqual([ev(1)]);
      expect(() => keep([], [ev(1)])).not.toThrow();
    } finally {
      Reflect.deleteProperty(globalThis, 'localStorage');
    }
  });
});
