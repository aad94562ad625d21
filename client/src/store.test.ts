import { describe, expect, it } from 'vitest';
import { keep, takeStored } from './store';
import type { Sent } from './types';

const memory = () => {
  const m = new Map<string, string>();
  const s = {
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => void m.set(k, v),
    removeItem: (k: string) => void m.delete(k),
  };
  return { m, store: () => s };
};
const ev = (i: number): Sent => ({ t: 'scroll', depth: 25, id: `id${i}`, ts: i });

describe('keep / takeStored', () => {
  it('keeps events under hio_q until taken, then forgets them', () => {
    const { m, store } = memory();
    keep([ev(1), ev(2)], store);
    keep([ev(3)], store);
    expect(JSON.parse(m.get('hio_q')!)).toHaveLength(3);
    expect(takeStored(store)).toEqual([ev(1), ev(2), ev(3)]);
    expect(m.has('hio_q')).toBe(false);
    expect(takeStored(store)).toEqual([]);
  });

  it('keeps only the newest events past the bound', () => {
    const { store } = memory();
    keep(
      Array.from({ length: 150 }, (_, i) => ev(i)),
      store,
    );
    keep(
      Array.from({ length: 150 }, (_, i) => ev(150 + i)),
      store,
    );
    const kept = takeStored(store);
    expect(kept).toHaveLength(200);
    expect(kept[0]).toEqual(ev(100));
    expect(kept[199]).toEqual(ev(299));
  });

  it('survives garbage in storage and storage that throws', () => {
    const { m, store } = memory();
    m.set('hio_q', '{not json');
    expect(takeStored(store)).toEqual([]);
    m.set('hio_q', '{"a":1}');
    expect(takeStored(store)).toEqual([]);
    const denied = () => {
      throw new Error('SecurityError');
    };
    expect(takeStored(denied)).toEqual([]);
    expect(() => keep([ev(1)], denied)).not.toThrow();
  });
});
