import { describe, expect, it } from 'vitest';
import { foldEvents, parseBatch } from './events.ts';
import { readProfile } from './profile.ts';
import { type FlatProfile, MAX_INTERESTS } from './profile-fields.ts';
import { applyOps } from './profile-ops.ts';
import { escapeHtml, parseTemplate, renderTemplate } from './template.ts';

const DAY = 86_400_000;
const t0 = Date.parse('2026-11-01T10:00:00Z');

describe('profile operations', () => {
  it('counts visits as sessions: a new one after 30 minutes idle', () => {
    const p: FlatProfile = {};
    const view = (now: number) => {
      applyOps(p, [
        {
          ops: [
            { o: 'session', now, idle: 30 * 60_000 },
            { o: 'inc', f: 'pv', n: 1 },
            { o: 'inc', f: 'spv', n: 1 },
          ],
        },
      ]);
      return readProfile(p, now);
    };
    expect(view(t0)).toMatchObject({ visits: 1, pageviews: 1, sessionPageviews: 1, firstSeen: t0 });
    expect(view(t0 + 29 * 60_000)).toMatchObject({ visits: 1, pageviews: 2, sessionPageviews: 2 });
    expect(view(t0 + 29 * 60_000 + 31 * 60_000)).toMatchObject({
      visits: 2,
      pageviews: 3,
      sessionPageviews: 1,
    });
  });

  it('decays interests with the half-life and names the top interest', () => {
    const p: FlatProfile = {};
    const half = 7 * DAY;
    applyOps(p, [{ ops: [{ o: 'decay', f: 'i.shoes', n: 4, now: t0, half }] }]);
    applyOps(p, [{ ops: [{ o: 'decay', f: 'i.bags', n: 3, now: t0 + 7 * DAY, half }] }]);
    const v = readProfile(p, t0 + 7 * DAY, {
      sessionTimeoutMs: 1,
      interestHalfLifeMs: half,
      topInterestMin: 1,
    });
    expect(v.interests.shoes).toBeCloseTo(2, 3);
    expect(v.interests.bags).toBeCloseTo(3, 3);
    expect(v.topInterest).toBe('bags');
  });

  it('skips op groups whose event id was applied before', () => {
    const p: FlatProfile = {};
    const seen = new Set<string>();
    const g = [{ id: 'e1', ops: [{ o: 'inc' as const, f: 'c.buy', n: 1 }] }];
    expect(applyOps(p, g, seen)).toEqual({ applied: 1, duplicates: 0 });
    expect(applyOps(p, g, seen)).toEqual({ applied: 0, duplicates: 1 });
    expect(p['c.buy']).toBe(1);
  });

  it('keeps at most MAX_INTERESTS categories, dropping the weakest', () => {
    const p: FlatProfile = {};
    for (let i = 0; i < MAX_INTERESTS + 5; i++) {
      applyOps(p, [{ ops: [{ o: 'decay', f: `i.cat${i}`, n: i + 1, now: t0, half: DAY }] }]);
    }
    const cats = Object.keys(p).filter((k) => k.startsWith('i.'));
    expect(cats).toHaveLength(MAX_INTERESTS);
    expect(cats).not.toContain('i.cat0');
    expect(JSON.stringify(p).length).toBeLessThan(4096);
  });

  it('scopes session engagement to the current visit', () => {
    const p: FlatProfile = { ss: t0, fs: t0, ls: t0, v: 1 };
    applyOps(p, [{ ops: [{ o: 'sess', sid: 1, f: 'st', n: 40_000, m: 'inc' }] }]);
    expect(readProfile(p, t0).engaged).toBe(true);
    applyOps(p, [{ ops: [{ o: 'session', now: t0 + DAY, idle: 30 * 60_000 }] }]); // a new visit
    expect(readProfile(p, t0 + DAY).engaged).toBe(false);
  });
});

describe('beacon events', () => {
  it('attributes scroll and engaged time to the category of the page they happened on', () => {
    const parsed = parseBatch({
      events: [
        { t: 'pageview', id: 'aaaa1', path: '/c/shoes', category: 'Shoes ' },
        { t: 'scroll', id: 'aaaa2', depth: 75 },
        { t: 'engaged', id: 'aaaa3', ms: 60_000 },
      ],
    });
    if (!parsed.ok) throw new Error(parsed.problems.join());
    const ctx = { now: t0, profile: {}, sessionTimeoutMs: 30 * 60_000, interestHalfLifeMs: DAY };
    const p: FlatProfile = {};
    applyOps(p, foldEvents(parsed.batch.events, ctx));
    expect(p['i.shoes']).toBe(2.5);
    expect(p.lc).toBe('shoes');
    expect(readProfile(p, t0)).toMatchObject({ visits: 1, pageviews: 1, engaged: true });
  });

  it('counts visits from pageviews, and engagement towards the visit it happened in', () => {
    const p: FlatProfile = {};
    const batch = (now: number, events: unknown[]) => {
      const parsed = parseBatch({ events });
      if (!parsed.ok) throw new Error(parsed.problems.join());
      applyOps(
        p,
        foldEvents(parsed.batch.events, {
          now,
          profile: { ...p },
          sessionTimeoutMs: 30 * 60_000,
          interestHalfLifeMs: DAY,
        }),
      );
    };
    batch(t0, [
      { t: 'pageview', id: 'bbbb1' },
      { t: 'engaged', id: 'bbbb2', ms: 40_000 },
    ]);
    batch(t0 + 60_000, [{ t: 'pageview', id: 'bbbb3' }]);
    expect(readProfile(p, t0 + 60_000)).toMatchObject({
      visits: 1,
      pageviews: 2,
      sessionPageviews: 2,
      engaged: true,
    });
    // an hour later: a new visit, whose first events are engagement of that visit
    batch(t0 + 2 * 3_600_000, [
      { t: 'pageview', id: 'bbbb4' },
      { t: 'scroll', id: 'bbbb5', depth: 50 },
    ]);
    const v = readProfile(p, t0 + 2 * 3_600_000);
    expect(v).toMatchObject({ visits: 2, pageviews: 3, sessionPageviews: 1, engaged: false });
    expect(v.engagement.session.maxScroll).toBe(50);
  });
});

describe('templates', () => {
  it('inserts attributes escaped and evaluates nothing else', () => {
    const t = parseTemplate('<b>{{ name }}</b> {{interests.shoes}} {{ missing }}{{ list }}');
    if (!t.ok) throw new Error(t.error);
    expect(
      renderTemplate(t.template, {
        name: '<img src=x onerror=alert(1)>',
        interests: { shoes: 2 },
        list: ['a', '"b"'],
      }),
    ).toBe('<b>&lt;img src=x onerror=alert(1)&gt;</b> 2 a, &quot;b&quot;');
    expect(parseTemplate('{{ a + b }}').ok).toBe(false);
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });
});
