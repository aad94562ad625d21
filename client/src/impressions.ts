/**
 * @module impressions
 * A slot's impression counts once at least half of it has been on screen for one continuous second
 * while the page is visible (an IntersectionObserver at 0.5 arms a timer, leaving disarms it). Slots
 * can be added later (a single-page app renders them after load), and a route change starts over:
 * each slot's impression counts once per page.
 */

/**
 * Calls `report` once per slot and page. Returns the function to call with the page's visibility and,
 * when slots appear, the slots now on the page (those already watched are skipped); `fresh` starts a
 * new page, on which every slot counts again. Without slots it re-arms what is waiting, since hidden
 * time does not count.
 */
export function watchImpressions(
  report: (slot: Element) => void,
  ms = 1000,
): (visible: boolean, slots?: Element[], fresh?: 1) => void {
  const timers = new Map<Element, number>();
  let waiting = new Set<Element>();
  let seen = new WeakSet<Element>();
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
  // observing again delivers the slot's current intersection, which re-arms its timer
  const arm = (el: Element, visible: boolean) => {
    clearTimeout(timers.get(el));
    io.unobserve(el);
    if (visible) io.observe(el);
  };
  return (visible, slots, fresh) => {
    if (fresh) {
      for (const el of waiting) arm(el, false);
      waiting = new Set();
      seen = new WeakSet();
    }
    if (!slots) for (const el of waiting) arm(el, visible);
    else
      for (const el of slots)
        if (!seen.has(el)) {
          seen.add(el);
          waiting.add(el);
          arm(el, visible);
        }
  };
}
