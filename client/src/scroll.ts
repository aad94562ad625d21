/**
 * @module scroll
 * Scroll depth: how far down the page the bottom of the viewport has been, reported once per
 * threshold (25, 50, 75, 90, 100 %), in order.
 */

import { type ScrollDepth, SCROLL_DEPTHS as STEPS } from '../../worker/engine/beacon-protocol.ts';

export { STEPS };

/** Percent of the page seen, rounded: a page that fits in the viewport is seen whole. */
export const depthOf = (top: number, viewport: number, height: number): number =>
  height > viewport ? Math.round(((top + viewport) / height) * 100) : 100;

/** Returns a function that takes the current depth and calls `report` for each threshold newly reached. */
export function createScrollDepth(report: (depth: ScrollDepth) => void): (depth: number) => void {
  let next = 0;
  return (depth) => {
    while (next < STEPS.length && depth >= STEPS[next]!) report(STEPS[next++]!);
  };
}
