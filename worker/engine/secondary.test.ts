/**
 * Secondary metrics in the engine: where each event of a batch falls in the visitor's sessions (the
 * same arithmetic as the profile's session op), the metric rows planBeacon emits from it, and the
 * per-variant results with their intervals (literals from scipy 1.17.1, the call quoted beside them).
 */
import { describe, expect, it } from 'vitest';
import { mulberry32 } from './bandit.ts';
import { type CompiledDocument, parseDocument } from './document.ts';
import { foldEvents, type HioEvent, parseBatch, sessionsOf } from './events.ts';
import { type MetricRow, planBeacon } from './plan.ts';
import { encodeAssignment, F, type FlatProfile, HOLDOUT_VARIANT } from './profile-fields.ts';
import { applyOps } from './profile-ops.ts';
import {
  engagedSquareIncrement,
  SESSION_ENGAGED_CAP_MS,
  SESSION_PAGES_CAP,
  secondaryResult,
} from './secondary.ts';

const T0 = Date.parse('2026-11-20T12:00:00Z');
const MIN = 60_000;

function compile(doc: unknown): CompiledDocument {
  const r = parseDocument(doc);
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.doc;
}

const DOC = compile({
  version: 1,
  campaigns: [
    { id: 'hero', slot: { selector: '#hero', action: 'replace' }, variants: [{ id: 'a' }, { id: 'b' }] },
    { id: 'side', slot: { selector: '#side', action: 'replace' }, variants: [{ id: 'x' }] },
    { id: 'never', slot: { selector: '#never', action: 'replace' }, variants: [{ id: 'n' }] },
  ],
});
const TIMEOUT = DOC.settings.sessionTimeoutMs;

function batch(events: unknown[]): HioEvent[] {
  const r = parseBatch({ v: 1, events });
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.batch.events;
}

let ids = 0;
const pv = () => ({ t: 'pageview', id: `pv-${++ids}`, path: '/p' });
const engaged = (ms: number) => ({ t: 'engaged', id: `en-${++ids}`, ms });

/** The profile after a batch, as the store applies the plan's op groups. */
function applied(stored: FlatProfile, events: HioEvent[], now: number): FlatProfile {
  const p = { ...stored };
  applyOps(p, planBeacon({ doc: DOC, visitorId: 'vis', stored, events, now }).profile?.groups ?? []);
  return p;
}

/** The rows of one campaign, without the campaign's ids (they are the same on every row). */
const rowsOf = (rows: MetricRow[] | undefined, campaign: string) =>
  (rows ?? [])
    .filter((r) => r.campaignId === campaign)
    .map(({ eventId, metric, amount, visit, sessionStart, variantId }) => ({
      eventId,
      variantId,
      metric,
      amount,
      visit,
      sessionStart,
    }));

describe('sessionsOf', () => {
  it('agrees with the profile the fold leaves: visit, its start, the page and the engaged time', () => {
    const rand = mulberry32(7);
    let profile: FlatProfile = {};
    let now = T0;
    for (let b = 0; b < 400; b++) {
      // gaps around the session timeout, batches of pageviews, engaged time and scrolls
      now += Math.floor(rand() * 2 * TIMEOUT);
      const events = batch(
        Array.from({ length: 1 + Math.floor(rand() * 4) }, () => {
          const r = rand();
          return r < 0.4
            ? pv()
            : r < 0.8
              ? engaged(Math.floor(rand() * 90_000))
              : { t: 'scroll', id: `sc-${++ids}`, depth: 50 };
        }),
      );
      const sessions = sessionsOf(events, { now, profile, sessionTimeoutMs: TIMEOUT });
      // replay the fold event by event: after each event the profile says what sessionsOf said
      let p = { ...profile };
      const groups = foldEvents(events, {
        now,
        profile,
        sessionTimeoutMs: TIMEOUT,
        interestHalfLifeMs: DOC.settings.interestHalfLifeMs,
      });
      events.forEach((e, i) => {
        const s = sessions[i];
        const before = { ...p };
        applyOps(p, [groups[i] ?? { ops: [] }]);
        if (!s) throw new Error('one entry per event');
        if (e.t === 'pageview') {
          expect(s.visit).toBe(p[F.visits]);
          expect(s.startedAt).toBe(p[F.sessionStart]);
          expect(s.page).toBe(p[F.sessionPageviews]);
        }
        if (e.t === 'engaged' && s.visit > 0) {
          expect(s.visit).toBe(p[F.sessionId]);
          expect(s.engagedBefore + e.ms).toBe(p[F.sessionEngagedMs]);
          expect(s.startedAt).toBe(before[F.sessionStart] ?? now);
        }
      });
      p = applied(profile, events, now);
      profile = p;
    }
    expect(profile[F.visits]).toBeGreaterThan(50);
  });
});

describe('planBeacon: secondary-metric rows', () => {
  const assigned = {
    'a.hero': encodeAssignment('b', 'hero'),
    'a.side': encodeAssignment(HOLDOUT_VARIANT, 'side'),
  };

  it('count a session at its first pageview, a multi-page session at its second, and every page', () => {
    const first = batch([pv(), engaged(12_500)]);
    const w1 = planBeacon({ doc: DOC, visitorId: 'vis', stored: assigned, events: first, now: T0 });
    const [p1, e1] = first.map((e) => e.id);
    expect(rowsOf(w1.measurement.metrics, 'hero')).toEqual([
      { eventId: p1, variantId: 'b', metric: 'sessions', amount: 1, visit: 1, sessionStart: T0 },
      { eventId: p1, variantId: 'b', metric: 'pageviews', amount: 1, visit: 1, sessionStart: T0 },
      { eventId: p1, variantId: 'b', metric: 'pageviews_sq', amount: 1, visit: 1, sessionStart: T0 },
      { eventId: e1, variantId: 'b', metric: 'engaged_ms', amount: 12_500, visit: 1, sessionStart: T0 },
      // round(12.5²) = 156
      { eventId: e1, variantId: 'b', metric: 'engaged_s2', amount: 156, visit: 1, sessionStart: T0 },
    ]);
    // the holdout arm of a campaign is counted too (its baseline); a campaign never assigned is not
    expect(rowsOf(w1.measurement.metrics, 'side').map((r) => r.variantId)).toEqual(
      new Array(5).fill(HOLDOUT_VARIANT),
    );
    expect(rowsOf(w1.measurement.metrics, 'never')).toEqual([]);

    // two minutes later, the second page: same visit, counted in the minute the session started
    const stored2 = applied(assigned, first, T0);
    const second = batch([pv(), engaged(3_000), pv()]);
    const w2 = planBeacon({ doc: DOC, visitorId: 'vis', stored: stored2, events: second, now: T0 + 2 * MIN });
    const [p2, e2, p3] = second.map((e) => e.id);
    expect(rowsOf(w2.measurement.metrics, 'hero')).toEqual([
      { eventId: p2, variantId: 'b', metric: 'multi_page_sessions', amount: 1, visit: 1, sessionStart: T0 },
      { eventId: p2, variantId: 'b', metric: 'pageviews', amount: 1, visit: 1, sessionStart: T0 },
      // page 2 adds 2² - 1² = 3, page 3 adds 3² - 2² = 5: the session's sum is 9 = 3²
      { eventId: p2, variantId: 'b', metric: 'pageviews_sq', amount: 3, visit: 1, sessionStart: T0 },
      { eventId: e2, variantId: 'b', metric: 'engaged_ms', amount: 3_000, visit: 1, sessionStart: T0 },
      // round(15.5²) - round(12.5²) = 240 - 156
      { eventId: e2, variantId: 'b', metric: 'engaged_s2', amount: 84, visit: 1, sessionStart: T0 },
      { eventId: p3, variantId: 'b', metric: 'pageviews', amount: 1, visit: 1, sessionStart: T0 },
      { eventId: p3, variantId: 'b', metric: 'pageviews_sq', amount: 5, visit: 1, sessionStart: T0 },
    ]);

    // after the session timeout, a new session
    const stored3 = applied(stored2, second, T0 + 2 * MIN);
    const later = T0 + 2 * MIN + TIMEOUT + 1;
    const third = batch([pv()]);
    const w3 = planBeacon({ doc: DOC, visitorId: 'vis', stored: stored3, events: third, now: later });
    expect(rowsOf(w3.measurement.metrics, 'hero').map((r) => [r.metric, r.visit, r.sessionStart])).toEqual([
      ['sessions', 2, later],
      ['pageviews', 2, later],
      ['pageviews_sq', 2, later],
    ]);
  });

  it('give the same rows for the same batch and stored profile (a resend is guarded by these ids)', () => {
    const events = batch([pv(), engaged(4_000), pv(), engaged(61_000)]);
    const plan = () =>
      planBeacon({ doc: DOC, visitorId: 'vis', stored: assigned, events, now: T0 }).measurement.metrics;
    expect(plan()).toEqual(plan());
    // two pageviews in one batch: the second is the session's second page
    expect(rowsOf(plan(), 'hero').filter((r) => r.metric === 'multi_page_sessions')).toHaveLength(1);
  });

  it('count what the guardrails leave out of a session (after its first timeout, beyond the caps) as excess', () => {
    const rand = mulberry32(11);
    const seen = { pagesCapped: 0, late: 0, engagedCapped: 0 };
    for (let session = 0; session < 60; session++) {
      // one visitor, one session: batches a few minutes apart (never a timeout), some long, some with
      // many pages; the kept part is what happened within TIMEOUT of the start, capped
      let stored: FlatProfile = { ...assigned };
      const start = T0 + session * 10 * TIMEOUT;
      let now = start;
      const sums: Record<string, number> = {};
      let keptPages = 0;
      let keptMs = 0;
      const batches = 1 + Math.floor(rand() * 16);
      for (let b = 0; b < batches; b++) {
        // every batch opens with a page, so the session goes on (engaged time alone does not keep it)
        const events = batch(
          Array.from({ length: 1 + Math.floor(rand() * 10) }, (_, i) =>
            i === 0 || rand() < 0.5 ? pv() : engaged(Math.floor(rand() * 200_000)),
          ),
        );
        const w = planBeacon({ doc: DOC, visitorId: 'vis', stored, events, now });
        for (const r of rowsOf(w.measurement.metrics, 'hero'))
          sums[r.metric] = (sums[r.metric] ?? 0) + r.amount;
        if (now - start <= TIMEOUT)
          for (const e of events) {
            if (e.t === 'pageview') keptPages++;
            if (e.t === 'engaged') keptMs += e.ms;
          }
        stored = applied(stored, events, now);
        // mostly a minute or two apart, sometimes nearly a timeout
        now += Math.floor((rand() < 0.7 ? 0.1 : 0.9) * rand() * TIMEOUT);
      }
      const kept = (m: string) => (sums[m] ?? 0) - (sums[`${m}_excess`] ?? 0);
      const pages = Math.min(keptPages, SESSION_PAGES_CAP);
      const ms = Math.min(keptMs, SESSION_ENGAGED_CAP_MS);
      expect(sums.sessions).toBe(1);
      expect(kept('pageviews')).toBe(pages);
      expect(kept('pageviews_sq')).toBe(pages * pages);
      expect(kept('engaged_ms')).toBe(ms);
      expect(kept('engaged_s2')).toBe(Math.round((ms / 1000) ** 2));
      if (keptPages > SESSION_PAGES_CAP) seen.pagesCapped++;
      if ((sums.pageviews ?? 0) > keptPages) seen.late++;
      if (keptMs > SESSION_ENGAGED_CAP_MS) seen.engagedCapped++;
    }
    // every way out was taken by some sessions
    expect(Math.min(seen.pagesCapped, seen.late, seen.engagedCapped)).toBeGreaterThan(3);
  });

  it('count nothing for an assignment under an old seed, or engaged time before any pageview', () => {
    const old = { 'a.hero': encodeAssignment('b', 'old-seed') };
    const w = planBeacon({ doc: DOC, visitorId: 'vis', stored: old, events: batch([pv()]), now: T0 });
    expect(w.measurement.metrics).toBeUndefined();
    const none = planBeacon({
      doc: DOC,
      visitorId: 'vis',
      stored: assigned,
      events: batch([engaged(5_000)]),
      now: T0,
    });
    expect(none.measurement.metrics).toBeUndefined();
  });
});

describe('the campaign document', () => {
  const withRule = (rule: Record<string, unknown>) =>
    parseDocument({
      version: 1,
      campaigns: [
        {
          id: 'g',
          slot: { selector: '#g', action: 'replace' },
          variants: [{ id: 'a' }, { id: 'b' }],
          guardrails: [{ window: '30m', min: 200, action: 'pause', ...rule }],
        },
      ],
    });
  it('accepts a bounce guardrail with above, and refuses one with below', () => {
    expect(withRule({ metric: 'bounce', above: 0.7 }).ok).toBe(true);
    const below = withRule({ metric: 'bounce', below: 0.2 });
    expect(below.ok).toBe(false);
    if (!below.ok) expect(below.problems.join()).toMatch(/guardrails\.0: below: a bounce rule/);
  });

  it('accepts pages and engaged time per session both ways, inside their ranges only', () => {
    expect(withRule({ metric: 'pagesPerSession', below: 2 }).ok).toBe(true);
    expect(withRule({ metric: 'pagesPerSession', above: 6 }).ok).toBe(true);
    expect(withRule({ metric: 'engagedTime', below: 30 }).ok).toBe(true);
    expect(withRule({ metric: 'engagedTime', above: 300 }).ok).toBe(true);
    // every session has a page, and the counters stop at 20 pages and 600 s
    const under = withRule({ metric: 'pagesPerSession', above: 0.5 });
    expect(under.ok).toBe(false);
    if (!under.ok)
      expect(under.problems.join()).toMatch(
        /guardrails\.0: above: expected pages per session strictly between 1 and 20/,
      );
    expect(withRule({ metric: 'engagedTime', below: 900 }).ok).toBe(false);
    expect(withRule({ metric: 'engagedTime', below: Number.POSITIVE_INFINITY }).ok).toBe(false);
    expect(withRule({ metric: 'timeOnSite', below: 30 }).ok).toBe(false);
  });
});

describe('engagedSquareIncrement', () => {
  it('telescopes to round(the session’s engaged seconds²)', () => {
    const parts = [12_500, 3_000, 61_234, 0, 999];
    let before = 0;
    let sum = 0;
    for (const ms of parts) {
      sum += engagedSquareIncrement(before, ms);
      before += ms;
    }
    expect(sum).toBe(Math.round((before / 1000) ** 2));
  });
});

describe('secondaryResult', () => {
  it('bounce rate with Wilson’s interval, pages and engaged time per session with t intervals', () => {
    // six sessions of 1, 1, 2, 3, 1 and 5 pages; engaged seconds 12.5, 0, 40.2, 3, 0, 7.7
    const pages = [1, 1, 2, 3, 1, 5];
    const seconds = [12.5, 0, 40.2, 3, 0, 7.7];
    const r = secondaryResult(
      {
        sessions: 6,
        multi_page_sessions: 3,
        pageviews: 13,
        pageviews_sq: pages.reduce((a, x) => a + x * x, 0),
        engaged_ms: 63_400,
        engaged_s2: seconds.reduce((a, x) => a + Math.round(x * x), 0),
      },
      { impressions: 6, clicks: 2 },
    );
    expect(r.sessions).toBe(6);
    // binomtest(3, 6).proportion_ci(0.95, 'wilson') -> (0.18761631, 0.81238369)
    expect(r.bounceRate?.value).toBe(0.5);
    expect(r.bounceRate?.ci[0]).toBeCloseTo(0.18761631, 7);
    expect(r.bounceRate?.ci[1]).toBeCloseTo(0.81238369, 7);
    // t.interval(0.95, 5, loc=mean, scale=std(ddof=1)/sqrt(6)) -> (0.48538474, 3.84794859)
    expect(r.pagesPerSession?.value).toBeCloseTo(13 / 6, 12);
    expect(r.pagesPerSession?.ci[0]).toBeCloseTo(0.48538474, 7);
    expect(r.pagesPerSession?.ci[1]).toBeCloseTo(3.84794859, 7);
    // in seconds, with Σ seconds² rounded per session as stored (1840 for 1840.58): mean ± t.ppf(0.975,
    // 5) * sqrt((1840 - 6 * mean²) / 5 / 6) -> (-5.48711484, 26.62044817); t.interval on the unrounded
    // values gives (-5.49109324, 26.62442657): the rounding moves the ends by 4 ms. The lower end is
    // clamped at 0 (a mean of non-negative times).
    expect(r.engagedMsPerSession?.value).toBeCloseTo(10_566.667, 2);
    expect(r.engagedMsPerSession?.ci[0]).toBe(0);
    expect(r.engagedMsPerSession?.ci[1]).toBeCloseTo(26_620.448, 2);
    // binomtest(2, 6).proportion_ci(0.95, 'wilson') -> (0.09677141, 0.70000668)
    expect(r.ctr?.ci[0]).toBeCloseTo(0.09677141, 7);
    expect(r.ctr?.ci[1]).toBeCloseTo(0.70000668, 7);
  });

  it('is empty without sessions, and caps second pages at the sessions', () => {
    expect(secondaryResult({}, { impressions: 0, clicks: 0 })).toEqual({
      sessions: 0,
      bounceRate: null,
      pagesPerSession: null,
      engagedMsPerSession: null,
      ctr: null,
    });
    expect(
      secondaryResult({ sessions: 3, multi_page_sessions: 5 }, { impressions: 0, clicks: 0 }).bounceRate
        ?.value,
    ).toBe(0);
  });
});
