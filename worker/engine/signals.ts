/**
 * @module signals
 * Micro-signals for the next request, derived from what the browser script reports: each is a boolean
 * visitor attribute with the values that made it true or false, in words (for `/__hio/me`).
 * Thresholds come from the document's `settings.signals` (defaults in {@link DEFAULT_SIGNAL_SETTINGS}).
 * docs/signals.md documents them.
 */
import { F, type FlatProfile, num } from './profile-fields.ts';

export interface SignalSettings {
  /** hesitated: at least this many engaged seconds on a page without a click on it */
  hesitatedSeconds: number;
  /** deepReader: scrolled to at least this % of a page ... */
  deepReaderScroll: number;
  /** ... and at least this many engaged seconds on it */
  deepReaderSeconds: number;
  /** returningSoon: this visit began within this many hours of the previous visit's end */
  returningSoonHours: number;
  /** bounced: the previous visit had one pageview and at most this many engaged seconds */
  bouncedSeconds: number;
  /** cartAbandoned: a conversion of `cartGoal` with no `purchaseGoal` in that visit or since */
  cartGoal: string;
  purchaseGoal: string;
}

export const DEFAULT_SIGNAL_SETTINGS: SignalSettings = {
  hesitatedSeconds: 15,
  deepReaderScroll: 75,
  deepReaderSeconds: 30,
  returningSoonHours: 24,
  bouncedSeconds: 10,
  cartGoal: 'add_to_cart',
  purchaseGoal: 'purchase',
};

export interface Signal {
  value: boolean;
  why: string;
}

export type SignalName = 'hesitated' | 'deepReader' | 'returningSoon' | 'bounced' | 'cartAbandoned';

const secs = (ms: number) => Math.round(ms / 100) / 10;

/**
 * The signals of a stored profile (as of `now`). The page signals read the last page the browser
 * script reported (the page before the one being requested).
 */
export function computeSignals(
  p: FlatProfile,
  now: number,
  s: SignalSettings = DEFAULT_SIGNAL_SETTINGS,
): Record<SignalName, Signal> {
  const path = typeof p[F.pagePath] === 'string' && p[F.pagePath] ? String(p[F.pagePath]) : null;
  const where = path ? ` on ${path}` : ' on the last page';
  const engagedMs = num(p, F.pageEngagedMs);
  const clicks = num(p, F.pageClicks);
  const scroll = num(p, F.pageMaxScroll);
  const hesitated: Signal =
    path === null && p[F.pageEngagedMs] === undefined
      ? { value: false, why: 'no page reported yet' }
      : {
          value: engagedMs >= s.hesitatedSeconds * 1000 && clicks === 0,
          why: `engaged ${secs(engagedMs)} s${where} ${clicks === 0 ? 'without a click' : `with ${clicks} click${clicks === 1 ? '' : 's'}`}; threshold ${s.hesitatedSeconds} s without a click`,
        };
  const deepReader: Signal =
    path === null && p[F.pageEngagedMs] === undefined
      ? { value: false, why: 'no page reported yet' }
      : {
          value: scroll >= s.deepReaderScroll && engagedMs >= s.deepReaderSeconds * 1000,
          why: `scrolled ${scroll} % and engaged ${secs(engagedMs)} s${where}; thresholds ${s.deepReaderScroll} % and ${s.deepReaderSeconds} s`,
        };
  const prev = p[F.previousLastSeen] === undefined ? null : num(p, F.previousLastSeen);
  const start = p[F.sessionStart] === undefined ? null : num(p, F.sessionStart);
  let returningSoon: Signal;
  if (prev === null || start === null || start <= prev) {
    returningSoon = { value: false, why: 'no previous visit' };
  } else {
    const hours = Math.round(((start - prev) / 3_600_000) * 10) / 10;
    returningSoon = {
      value: start - prev <= s.returningSoonHours * 3_600_000,
      why: `this visit began ${hours} h after the previous one ended; threshold ${s.returningSoonHours} h`,
    };
  }
  const bounced: Signal =
    p[F.previousPageviews] === undefined
      ? { value: false, why: 'no previous visit' }
      : {
          value: num(p, F.previousPageviews) <= 1 && num(p, F.previousEngagedMs) <= s.bouncedSeconds * 1000,
          why: `the previous visit had ${num(p, F.previousPageviews)} pageview${num(p, F.previousPageviews) === 1 ? '' : 's'} and ${secs(num(p, F.previousEngagedMs))} s engaged; bounced is 1 pageview and at most ${s.bouncedSeconds} s`,
        };
  const cart = p[F.cartVisit] === undefined ? null : num(p, F.cartVisit);
  const bought = p[F.purchaseVisit] === undefined ? null : num(p, F.purchaseVisit);
  const cartAbandoned: Signal =
    cart === null
      ? { value: false, why: `no ${s.cartGoal} conversion` }
      : bought !== null && bought >= cart
        ? { value: false, why: `${s.cartGoal} in visit ${cart}, ${s.purchaseGoal} in visit ${bought}` }
        : {
            value: true,
            why: `${s.cartGoal} in visit ${cart} and no ${s.purchaseGoal} in that visit or since`,
          };
  void now;
  return { hesitated, deepReader, returningSoon, bounced, cartAbandoned };
}
