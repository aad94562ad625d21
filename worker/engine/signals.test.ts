import { describe, expect, it } from 'vitest';
import { parseDocument } from './document.ts';
import { foldEvents, type HioEvent } from './events.ts';
import type { FlatProfile } from './profile-fields.ts';
import { applyOp, applyOps } from './profile-ops.ts';
import { computeSignals } from './signals.ts';

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
    expect(computeSignals(p, T0, { ...defaults(), hesitatedSeconds: 10 }).hesitated.value).toBe(true);
    // a goal conversion is a click on the page too
    fold(p, [{ t: 'conversion', id: 'e0006', goal: 'add_to_cart' }]);
    expect(computeSignals(p, T0, { ...defaults(), hesitatedSeconds: 10 }).hesitated.value).toBe(false);
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

  it('thresholds live in settings.signals; unknown fields are refused', () => {
    const ok = parseDocument({ version: 1, settings: { signals: { hesitatedSeconds: 20 } }, campaigns: [] });
    expect(ok.ok && ok.doc.settings.signals).toEqual({ ...defaults(), hesitatedSeconds: 20 });
    const bad = parseDocument({ version: 1, settings: { signals: { hesitatedSecs: 20 } }, campaigns: [] });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problems[0]).toContain('settings.signals.hesitatedSecs: unknown field');
  });
});

const defaults = () => ({
  hesitatedSeconds: 15,
  deepReaderScroll: 75,
  deepReaderSeconds: 30,
  returningSoonHours: 24,
});
