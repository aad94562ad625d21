/**
 * @module profile
 * The visitor profile as the rest of the engine (and `/__hio/me`) reads it: a typed view of the flat
 * stored record (field names in profile-fields.ts, updates in profile-ops.ts), with interests decayed
 * to the time of reading.
 */
import { F, type FlatProfile, nameOf, num, P, utcDay } from './profile-fields.ts';

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

export interface ProfileSettings {
  /** a new session starts after this much idle time */
  sessionTimeoutMs: number;
  /** half-life of interest scores */
  interestHalfLifeMs: number;
  /** minimum decayed score for a category to count as `topInterest` */
  topInterestMin: number;
}

export const DEFAULT_PROFILE_SETTINGS: ProfileSettings = {
  sessionTimeoutMs: 30 * 60_000,
  interestHalfLifeMs: 7 * 86_400_000,
  topInterestMin: 1,
};

/** The profile as the rest of the engine (and `/__hio/me`) reads it. */
export interface ProfileView {
  firstSeen: number | null;
  lastSeen: number | null;
  visits: number;
  pageviews: number;
  sessionPageviews: number;
  sessionStart: number | null;
  interests: Record<string, number>;
  topInterest: string | null;
  engagement: {
    session: { engagedMs: number; maxScroll: number };
    total: { engagedMs: number; deepReads: number };
    score: number;
  };
  engaged: boolean;
  conversions: Record<string, number>;
  conversionValue: Record<string, number>;
  clicks: number;
  assignments: Record<string, string>;
  /** visits, pageviews and engaged ms in the last 7 and 30 UTC days (today included), from the day buckets */
  windows: { d7: WindowCounts; d30: WindowCounts };
}

export interface WindowCounts {
  visits: number;
  pageviews: number;
  engagedMs: number;
}

/**
 * The 7- and 30-day windows of the day buckets, in one pass over the profile (the sums `windowSum`
 * makes, added in the same order).
 */
function windows(p: FlatProfile, now: number): { d7: WindowCounts; d30: WindowCounts } {
  const today = utcDay(now);
  const from7 = today - 7 + 1;
  const from30 = today - 30 + 1;
  const d7: WindowCounts = { visits: 0, pageviews: 0, engagedMs: 0 };
  const d30: WindowCounts = { visits: 0, pageviews: 0, engagedMs: 0 };
  for (const k of Object.keys(p)) {
    const which = k.startsWith(P.dayVisits)
      ? 'visits'
      : k.startsWith(P.dayPageviews)
        ? 'pageviews'
        : k.startsWith(P.dayEngagedMs)
          ? 'engagedMs'
          : null;
    if (which === null) continue;
    // the three prefixes have the same length
    const day = Number(k.slice(P.dayVisits.length));
    if (day >= from7) d7[which] += num(p, k);
    if (day >= from30) d30[which] += num(p, k);
  }
  return { d7, d30 };
}

/** Reads a flat profile into a typed view, decaying interests to `now`. */
export function readProfile(
  p: FlatProfile,
  now: number,
  s: ProfileSettings = DEFAULT_PROFILE_SETTINGS,
): ProfileView {
  const interests: Record<string, number> = {};
  const conversions: Record<string, number> = {};
  const conversionValue: Record<string, number> = {};
  const assignments: Record<string, string> = {};
  let topInterest: string | null = null;
  let top = 0;
  for (const k of Object.keys(p)) {
    const interest = nameOf(k, P.interest);
    if (interest !== null) {
      const age = Math.max(0, now - num(p, P.interestTime + interest));
      const score = round3(num(p, k) * 2 ** (-age / s.interestHalfLifeMs));
      interests[interest] = score;
      if (score >= s.topInterestMin && score > top) {
        top = score;
        topInterest = interest;
      }
      continue;
    }
    const goal = nameOf(k, P.conversions);
    if (goal !== null) conversions[goal] = num(p, k);
    const valued = nameOf(k, P.conversionValue);
    if (valued !== null) conversionValue[valued] = num(p, k);
    const campaign = nameOf(k, P.assignment);
    if (campaign !== null) assignments[campaign] = String(p[k]);
  }
  // session fields only count while they belong to the current visit
  const current = p[F.sessionId] !== undefined && num(p, F.sessionId) === num(p, F.visits);
  const engagedMs = current ? num(p, F.sessionEngagedMs) : 0;
  const maxScroll = current ? num(p, F.sessionMaxScroll) : 0;
  const score = round3(0.5 * Math.min(1, engagedMs / 60_000) + 0.5 * Math.min(1, maxScroll / 100));
  const time = (f: string) => (p[f] === undefined ? null : num(p, f));
  return {
    firstSeen: time(F.firstSeen),
    lastSeen: time(F.lastSeen),
    visits: num(p, F.visits),
    pageviews: num(p, F.pageviews),
    sessionPageviews: num(p, F.sessionPageviews),
    sessionStart: time(F.sessionStart),
    interests,
    topInterest,
    engagement: {
      session: { engagedMs, maxScroll },
      total: { engagedMs: num(p, F.engagedMs), deepReads: num(p, F.deepReads) },
      score,
    },
    engaged: engagedMs >= 30_000 || maxScroll >= 75,
    conversions,
    conversionValue,
    clicks: num(p, F.clicks),
    assignments,
    windows: windows(p, now),
  };
}
