/**
 * @module value
 * A conversion value, from `hio('track', goal, { value })` or a `data-hio-value` attribute: a number
 * (or numeric string) in [0, 1e9], the range the collector accepts; anything else means "no value".
 */

import { MAX_NAME_CHARS, MAX_VALUE } from '../../worker/engine/beacon-protocol.ts';

/**
 * A goal name in the collector's form (`add to cart` -> `add-to-cart`), so one odd name on a page cannot
 * get a whole batch refused; empty when nothing usable is left.
 */
export const goalName = (s: string): string =>
  s
    .trim()
    .replace(/[^\w.:-]+/g, '-')
    .slice(0, MAX_NAME_CHARS);

export function toValue(v: unknown): number | undefined {
  const n = typeof v === 'string' && v ? +v : v;
  return typeof n === 'number' && n >= 0 && n <= MAX_VALUE ? n : undefined;
}
