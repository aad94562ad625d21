import { describe, expect, it } from 'vitest';
import { parseDocument } from './document.ts';
import { foldEvents, type HioEvent } from './events.ts';
import type { FlatProfile } from './profile-fields.ts';
import { applyOp, applyOps } from './profile-ops.ts';
import { computeSignals, DEFAULT_SIGNAL_SETTINGS } from './signals.ts';

const T0 = Date.UTC(2026, 3, 20, 9);
const ctx = (profile: FlatProfile, now = T0) => ({
  now,
  profile,
  sessionTimeoutMs: 30 * 60_000,
  interestHalfLifeMs: 7 * 86_400_000,
});

function fold(p: FlatProfile, events: HioEvent[], now = T0): FlatProfile {
  applyOps(p, foldEvents(events, ctx(p, now)), new Set());
  return p;
}

describe('micro-signals', () => {
  it('hesitated: 18 s engaged on a page without a click, threshold 15 s; a click or a new page clears it', () => {
    const p = fold({}, [
      { t: 'pageview', id: 'e0001', path: '/product/x?ref=1' },
      { t: 'engaged', id: 'e0002', ms: 18_000 },
    ]);
    const s = computeSignals(p, T0);
    expect(s.hesitated.value).toBe(true);
    expect(s.hesitated.why).toBe(
      'engaged 18 s on /product/x without a click; threshold 15 s without a click',
    );
    fold(p, [{ t: 'click', id: 'e0003', campaign: 'c', variant: 'v' }]);
    expect(computeSignals(p, T0).hesitated).toMatchObject({ value: false });
    expect(computeSignals(p, T0).hesitated.why).toContain('with 1 click');
    fold(p, [{ t: 'pageview', id: 'e0004', path: '/b' }]);
    expect(computeSignals(p, T0).hesitated.value).toBe(false);
    fold(p, [{ t: 'engaged', id: 'e0005', ms: 14_000 }]);
    expect(computeSignals(p, T0).hesitated.value).toBe(false);
    expect(computeSignals(p, T0, { ...DEFAULT_SIGNAL_SETTINGS, hesitatedSeconds: 10 }).hesitated.value).toBe(
      true,
    );
    // a goal conversion is a click on the page too
    fold(p, [{ t: 'conversion', id: 'e0006', goal: 'add_to_cart' }]);
    expect(computeSignals(p, T0, { ...DEFAULT_SIGNAL_SETTINGS, hesitatedSeconds: 10 }).hesitated.value).toBe(
      false,
    );
  });

  it('deepReader: scrolled 75 % and 30 s engaged on one page', () => {
    const p = fold({}, [
      { t: 'pageview', id: 'e0001', path: '/guide' },
      { t: 'scroll', id: 'e0002', depth: 75 },
      { t: 'engaged', id: 'e0003', ms: 20_000 },
    ]);
    expect(computeSignals(p, T0).deepReader.value).toBe(false);
    fold(p, [{ t: 'engaged', id: 'e0004', ms: 10_000 }]);
    expect(computeSignals(p, T0).deepReader).toEqual({
      value: true,
      why: 'scrolled 75 % and engaged 30 s on /guide; thresholds 75 % and 30 s',
    });
  });

  it('returningSoon: this visit began within 24 h of the previous one', () => {
    const p: FlatProfile = {};
    applyOp(p, { o: 'session', now: T0, idle: 30 * 60_000 });
    expect(computeSignals(p, T0).returningSoon).toEqual({ value: false, why: 'no previous visit' });
    const t1 = T0 + 5 * 3_600_000;
    applyOp(p, { o: 'session', now: t1, idle: 30 * 60_000 });
    expect(p.pl).toBe(T0);
    expect(computeSignals(p, t1).returningSoon.value).toBe(true);
    expect(computeSignals(p, t1).returningSoon.why).toBe(
      'this visit began 5 h after the previous one ended; threshold 24 h',
    );
    const t2 = t1 + 30 * 3_600_000;
    applyOp(p, { o: 'session', now: t2, idle: 30 * 60_000 });
    expect(computeSignals(p, t2).returningSoon.value).toBe(false);
  });

  it('bounced: the previous visit had one pageview and at most 10 s engaged', () => {
    const p = fold({}, [
      { t: 'pageview', id: 'e0001', path: '/' },
      { t: 'engaged', id: 'e0002', ms: 4_000 },
    ]);
    expect(computeSignals(p, T0).bounced).toEqual({ value: false, why: 'no previous visit' });
    const t1 = T0 + 3_600_000;
    fold(p, [{ t: 'pageview', id: 'e0003', path: '/' }], t1);
    expect(computeSignals(p, t1).bounced).toEqual({
      value: true,
      why: 'the previous visit had 1 pageview and 4 s engaged; bounced is 1 pageview and at most 10 s',
    });
    fold(p, [{ t: 'pageview', id: 'e0004', path: '/b' }], t1 + 1000);
    const t2 = t1 + 3_600_000;
    fold(p, [{ t: 'pageview', id: 'e0005', path: '/' }], t2);
    expect(computeSignals(p, t2).bounced.value).toBe(false);
  });

  it('cartAbandoned: add_to_cart with no purchase in that visit or since', () => {
    const c = { cartGoal: 'add_to_cart', purchaseGoal: 'purchase' };
    const run = (p: FlatProfile, events: HioEvent[], now: number) => {
      applyOps(p, foldEvents(events, { ...ctx(p, now), ...c }), new Set());
      return computeSignals(p, now).cartAbandoned;
    };
    const p: FlatProfile = {};
    expect(run(p, [{ t: 'pageview', id: 'e0001', path: '/p' }], T0)).toEqual({
      value: false,
      why: 'no add_to_cart conversion',
    });
    expect(run(p, [{ t: 'conversion', id: 'e0002', goal: 'add_to_cart' }], T0)).toEqual({
      value: true,
      why: 'add_to_cart in visit 1 and no purchase in that visit or since',
    });
    const t1 = T0 + 86_400_000;
    expect(run(p, [{ t: 'pageview', id: 'e0003', path: '/' }], t1).value).toBe(true);
    expect(run(p, [{ t: 'conversion', id: 'e0004', goal: 'purchase' }], t1)).toEqual({
      value: false,
      why: 'add_to_cart in visit 1, purchase in visit 2',
    });
    // the goals are stored even when no campaign names them
    const doc = parseDocument({ version: 1, campaigns: [] });
    expect(doc.ok && [...doc.doc.settings.goals].sort()).toEqual(['add_to_cart', 'purchase']);
  });

  it('thresholds live in settings.signals; unknown fields are refused', () => {
    const ok = parseDocument({ version: 1, settings: { signals: { hesitatedSeconds: 20 } }, campaigns: [] });
    expect(ok.ok && ok.doc.settings.signals).toEqual({ ...defaults(), hesitatedSeconds: 20 });
    const bad = parseDocument({ version: 1, settings: { signals: { hesitatedSecs: 20 } }, campaigns: [] });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problems[0]).toContain('settings.signals.hesitatedSecs: unknown field');
  });
});

// the defaults as docs/signals.md and CONTRACT.md state them, written out so a changed default is noticed
const defaults = () => ({
  hesitatedSeconds: 15,
  deepReaderScroll: 75,
  deepReaderSeconds: 30,
  returningSoonHours: 24,
  bouncedSeconds: 10,
  cartGoal: 'add_to_cart',
  purchaseGoal: 'purchase',
});
