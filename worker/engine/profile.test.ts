import { describe, expect, it } from 'vitest';
import { foldEvents, parseBatch } from './events.ts';
import { applyOps, type FlatProfile, MAX_INTERESTS, readProfile } from './profile.ts';
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

  it('scopes session engagement to the current session', () => {
    const p: FlatProfile = { ss: t0, fs: t0, ls: t0, v: 1 };
    applyOps(p, [{ ops: [{ o: 'sess', sid: t0, f: 'st', n: 40_000, m: 'inc' }] }]);
    expect(readProfile(p, t0).engaged).toBe(true);
    p.ss = t0 + DAY; // a new session started
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
    const groups = foldEvents(parsed.batch.events, {
      now: t0,
      sessionId: t0,
      lastCategory: null,
      interestHalfLifeMs: DAY,
    });
    const p: FlatProfile = {};
    applyOps(p, groups);
    expect(p['i.shoes']).toBe(2.5);
    expect(p.lc).toBe('shoes');
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
