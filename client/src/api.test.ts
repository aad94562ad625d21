import { describe, expect, it, vi } from 'vitest';
import { installApi } from './api';
import type { Hio } from './types';

/** The snippet a site puts before the script: `function(){(hio.q=hio.q||[]).push(arguments)}`. */
function stub(): Hio {
  const hio: Hio = function (this: unknown) {
    hio.q = hio.q || [];
    // biome-ignore lint/complexity/noArguments: the real snippet queues `arguments`
    (hio.q as IArguments[]).push(arguments);
  } as Hio;
  return hio;
}

describe('installApi', () => {
  it('replays the calls queued by the stub, in order, and replaces it', () => {
    const w: { hio?: Hio } = { hio: stub() };
    w.hio!('track', 'signup', { value: 5 });
    w.hio!('track', 'newsletter');
    const track = vi.fn();
    installApi(w, track, () => {});
    expect(track.mock.calls).toEqual([
      ['signup', 5],
      ['newsletter', undefined],
    ]);
    expect(w.hio!.q).toBeUndefined();
    expect(w.hio!.l).toBe(1);
    w.hio!('track', 'purchase', { value: 49.9 });
    expect(track).toHaveBeenLastCalledWith('purchase', 49.9);
  });

  it('works without a stub, ignores unknown commands, and never throws', () => {
    const w: { hio?: Hio } = {};
    const track = vi.fn(() => {
      throw new Error('boom');
    });
    installApi(w, track, () => {});
    w.hio!('identify', 'x');
    w.hio!('track', 42);
    w.hio!('track', 'ok', null);
    // a goal that is not a string is the tracker's to refuse (the script's goalName throws on it, and
    // the guard swallows that: see convert in index.ts and the goal test in value.test / small.test)
    expect(track.mock.calls).toEqual([
      [42, undefined],
      ['ok', undefined],
    ]);
  });
});

describe("hio('decide')", () => {
  it('passes the slots and the callback on, queued or not', () => {
    const w: { hio?: Hio } = { hio: stub() };
    const cb = () => {};
    w.hio!('decide', ['#recs'], cb);
    const decide = vi.fn();
    installApi(w, () => {}, decide);
    w.hio!('decide', '#side');
    expect(decide.mock.calls).toEqual([
      [['#recs'], cb],
      ['#side', undefined],
    ]);
  });
});
