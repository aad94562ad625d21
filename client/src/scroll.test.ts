import { describe, expect, it } from 'vitest';
import { createScrollDepth, depthOf } from './scroll';

describe('depthOf', () => {
  it('is the share of the page above the bottom of the viewport', () => {
    expect(depthOf(0, 500, 2000)).toBe(25);
    expect(depthOf(1000, 500, 2000)).toBe(75);
    expect(depthOf(1500, 500, 2000)).toBe(100);
  });

  it('rounds, so a fractional scroll position at the bottom is 100', () => {
    expect(depthOf(1499.6, 500, 2000)).toBe(100);
  });

  it('is 100 for a page that fits in the viewport', () => {
    expect(depthOf(0, 800, 600)).toBe(100);
    expect(depthOf(0, 800, 0)).toBe(100);
  });
});

describe('createScrollDepth', () => {
  it('reports each threshold once, in order, including the ones jumped over', () => {
    const seen: number[] = [];
    const update = createScrollDepth((d) => seen.push(d));
    update(10);
    expect(seen).toEqual([]);
    update(30);
    update(26);
    expect(seen).toEqual([25]);
    update(92);
    expect(seen).toEqual([25, 50, 75, 90]);
    update(40);
    update(100);
    update(100);
    expect(seen).toEqual([25, 50, 75, 90, 100]);
  });
});
