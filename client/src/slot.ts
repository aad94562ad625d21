/**
 * @module slot
 * Which personalized slot (and which goal) an element belongs to, from the marks the worker puts on
 * the slot element: `data-hio-campaign`, `data-hio-variant`, and the site's own `data-hio-goal`.
 */
import type { Slot } from './types';

type El = Pick<Element, 'closest' | 'getAttribute'>;

export const slotData = (slot: El): Slot => ({
  campaign: slot.getAttribute('data-hio-campaign') || '',
  variant: slot.getAttribute('data-hio-variant') || '',
});

/** The slot around `el`, if any. */
export function slotOf(el: El): Slot | undefined {
  const s = el.closest('[data-hio-campaign]');
  return s ? slotData(s) : undefined;
}
