/**
 * @module impressions
 * A slot's impression counts once at least half of it has been on screen for one continuous second
 * while the page is visible (an IntersectionObserver at 0.5 arms a timer, leaving disarms it).
 */

/**
 * Calls `report` once per slot. Returns the function to call with the page's visibility: once to
 * start (nothing is watched before), then on each change, since hidden time does not count.
 */
export function watchImpressions(
  slots: Element[],
  report: (slot: Element) => void,
  ms = 1000,
): (visible: boolean) => void {
  const timers = new Map<Element, number>();
  const waiting = new Set(slots);
  const io = new IntersectionObserver(
    (entries) => {
      for (const e of entries) {
        const el = e.target;
        clearTimeout(timers.get(el));
        if (e.isIntersecting && e.intersectionRatio >= 0.5)
          timers.set(
            el,
            setTimeout(() => {
              waiting.delete(el);
              io.unobserve(el);
              report(el);
            }, ms),
          );
      }
    },
    { threshold: 0.5 },
  );
  return (visible: boolean) =>
    waiting.forEach((el) => {
      clearTimeout(timers.get(el));
      // observing again delivers the slot's current intersection, which re-arms its timer
      io.unobserve(el);
      if (visible) io.observe(el);
    });
}
