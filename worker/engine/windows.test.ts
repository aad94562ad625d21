import { describe, expect, it } from 'vitest';
import { buildAttributes, type RequestFacts } from './attributes.ts';
import { evalCondition } from './condition.ts';
import { type CompiledDocument, parseDocument } from './document.ts';
import { foldEvents, type HioEvent } from './events.ts';
import { readProfile } from './profile.ts';
import type { FlatProfile } from './profile-fields.ts';
import { applyOps } from './profile-ops.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 3, 20, 9);
let n = 0;

/** One visit on `now`: `pages` pageviews with `engagedS` seconds engaged on each. */
function visit(p: FlatProfile, now: number, pages: number, engagedS: number): void {
  const events: HioEvent[] = [];
  for (let i = 0; i < pages; i++) {
    events.push({ t: 'pageview', id: `e${n++}x`, path: '/' });
    events.push({ t: 'engaged', id: `e${n++}x`, ms: engagedS * 1000 });
  }
  const ctx = { now, profile: p, sessionTimeoutMs: 30 * 60_000, interestHalfLifeMs: 7 * DAY };
  applyOps(p, foldEvents(events, ctx), new Set());
}

describe('windowed counts (visits7d, pageviews7d, engagedTime7d and 30d)', () => {
  it('counts visits, pageviews and engaged seconds per UTC day, over the last 7 and 30 days', () => {
    const p: FlatProfile = {};
    visit(p, T0 - 20 * DAY, 3, 60); // inside 30 days only
    visit(p, T0 - 3 * DAY, 2, 300);
    visit(p, T0 - 1 * DAY, 1, 400);
    visit(p, T0, 2, 150);
    visit(p, T0 + 2 * 3600_000, 1, 0); // a second visit today (after the idle timeout)
    const w = readProfile(p, T0 + 3 * 3600_000).windows;
    expect(w.d7).toEqual({ visits: 4, pageviews: 6, engagedMs: (600 + 400 + 300) * 1000 });
    expect(w.d30).toEqual({ visits: 5, pageviews: 9, engagedMs: (600 + 400 + 300 + 180) * 1000 });
    // a visit counts once, however many batches report its pageviews
    visit(p, T0 + 2 * 3600_000 + 60_000, 1, 0);
    expect(readProfile(p, T0 + 3 * 3600_000).windows.d7.visits).toBe(4);
    expect(readProfile(p, T0 + 3 * 3600_000).windows.d7.pageviews).toBe(7);
  });

  it('are attributes a document can target: more than 3 visits in 7 days, over 20 minutes engaged', () => {
    const p: FlatProfile = {};
    for (let d = 4; d >= 0; d--) visit(p, T0 - d * DAY, 2, 150);
    const parsed = parseDocument({ version: 1, campaigns: [] });
    if (!parsed.ok) throw new Error(parsed.problems.join('; '));
    const doc: CompiledDocument = parsed.doc;
    const facts: RequestFacts = {
      url: new URL('https://shop.example/'),
      userAgent: 'Mozilla/5.0',
      referer: null,
      country: null,
      timezone: null,
      now: T0,
      category: null,
    };
    const a = buildAttributes(readProfile(p, T0), facts, doc);
    expect(a).toMatchObject({
      visits7d: 5,
      pageviews7d: 10,
      engagedTime7d: 1500,
      visits30d: 5,
      pageviews30d: 10,
      engagedTime30d: 1500,
    });
    expect(evalCondition(a, { visits7d: { $gt: 3 }, engagedTime7d: { $gt: 1200 } }, {})).toBe(true);
    // a week later the 7-day window is empty, the 30-day one is not
    const later = buildAttributes(readProfile(p, T0 + 7 * DAY), { ...facts, now: T0 + 7 * DAY }, doc);
    expect(later).toMatchObject({ visits7d: 0, engagedTime7d: 0, visits30d: 5 });
  });

  it('keeps the 30 latest days of buckets', () => {
    const p: FlatProfile = {};
    for (let d = 0; d < 40; d++) visit(p, T0 + d * DAY, 1, 10);
    expect(Object.keys(p).filter((k) => k.startsWith('dv.'))).toHaveLength(30);
    expect(Object.keys(p).filter((k) => k.startsWith('de.'))).toHaveLength(30);
    expect(readProfile(p, T0 + 39 * DAY).windows.d30.visits).toBe(30);
  });
});
