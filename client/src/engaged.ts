/**
 * @module engaged
 * Engaged time: the page is visible and the visitor was active (any input) within the last 15 s.
 * Kept exactly, without timers: time is added up lazily whenever something happens, from the last
 * mark to now, but never past 15 s after the last input. Arriving on the page or returning to the
 * tab counts as input.
 */

export interface Engagement {
  /** the visitor did something */
  input(): void;
  /** the page became visible or hidden */
  visible(visible: boolean): void;
  /** engaged milliseconds since the last call */
  take(): number;
}

export function createEngagement(now: () => number, visible: boolean, idleMs = 15_000): Engagement {
  let mark = now();
  let last = mark;
  let total = 0;
  const add = (): number => {
    const t = now();
    if (visible) total += Math.max(0, Math.min(t, last + idleMs) - mark);
    mark = t;
    return t;
  };
  return {
    input() {
      last = add();
    },
    visible(v) {
      const t = add();
      visible = v;
      if (v) last = t;
    },
    take() {
      add();
      const ms = Math.round(total);
      total = 0;
      return ms;
    },
  };
}
