/**
 * @module guard
 * The script must never throw into the page: every entry point (listeners, timers, `hio()`) runs
 * through `guard`, which swallows errors.
 */

export const guard =
  <A extends unknown[]>(fn: (...args: A) => void) =>
  (...args: A): void => {
    try {
      fn(...args);
    } catch {
      // measurement is best effort; the page comes first
    }
  };
