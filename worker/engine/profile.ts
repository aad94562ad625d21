/**
 * @module profile
 * The visitor profile as stored (a flat record of short field names) and as read (a typed view).
 *
 * Updates are expressed as small operations (`Op`) instead of whole profiles. A store applies them
 * to what it holds: the KV store with `applyOps` below after a read, the Upstash store atomically
 * on the server in a Lua script with the same semantics. That is what keeps concurrent page requests
 * and beacons of one visitor from overwriting each other's updates.
 *
 * Field names (kept short: a typical profile is a few hundred bytes):
 *   page-owned   a.<campaign> assignment, x.<campaign> exposures "day:count",
 *                s.<campaign> visit number a stable campaign was last shown in
 *   beacon-owned fs first seen, ls last seen, v visits (sessions), ss session start, pv pageviews,
 *                spv session pageviews (the browser script reports every pageview),
 *                i.<category> interest score, i@<category> its time, lc last category,
 *                sid visit number of the session fields, st session engaged ms, sm session max scroll,
 *                et total engaged ms, dr deep reads (pages scrolled past 75 %), c.<goal> conversions,
 *                cv.<goal> conversion value, ck slot clicks
 */

export type FlatProfile = Record<string, string | number>;

export type Op =
  /** add n to a numeric field */
  | { o: 'inc'; f: string; n: number }
  /** set a field */
  | { o: 'set'; f: string; v: string | number }
  /** set a field only when it is absent (sticky assignments, first seen) */
  | { o: 'setnx'; f: string; v: string | number }
  /** keep the larger of the field and n */
  | { o: 'max'; f: string; n: number }
  /** exponentially decaying score: f = f * 2^-(now - f@)/half + n, f@ = now */
  | { o: 'decay'; f: string; n: number; now: number; half: number }
  /** start a new session when the last one went idle, and touch last seen */
  | { o: 'session'; now: number; idle: number }
  /** a visit-scoped counter: reset st/sm when `sid` (the visit number) differs from the stored one, then inc or max */
  | { o: 'sess'; sid: number; f: 'st' | 'sm'; n: number; m: 'inc' | 'max' }
  /** count exposures per UTC day: x.<campaign> = "day:count" */
  | { o: 'daily'; f: string; day: number }
  | { o: 'del'; f: string };

/** Operations that belong to one event: the whole group is skipped when its id was already applied. */
export interface OpGroup {
  id?: string;
  ops: Op[];
}

export const MAX_INTERESTS = 16;

function num(p: FlatProfile, f: string): number {
  const v = p[f];
  return typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) || 0 : 0;
}

/**
 * Parses a stored profile. Anything that is not a flat object of strings and numbers (a corrupt or
 * foreign value) reads as an empty profile, which the next write replaces: a bad record never takes
 * a page down and heals itself.
 */
export function parseFlatProfile(raw: string | null | undefined): FlatProfile | null {
  if (raw === null || raw === undefined) return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return {};
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  const out: FlatProfile = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) out[k] = v;
  }
  return out;
}

/** Applies one operation in place. Pure apart from mutating `p`. */
export function applyOp(p: FlatProfile, op: Op): void {
  switch (op.o) {
    case 'inc':
      p[op.f] = num(p, op.f) + op.n;
      return;
    case 'set':
      p[op.f] = op.v;
      return;
    case 'setnx':
      if (p[op.f] === undefined) p[op.f] = op.v;
      return;
    case 'max':
      if (p[op.f] === undefined || num(p, op.f) < op.n) p[op.f] = op.n;
      return;
    case 'decay': {
      const t = `${op.f.replace(/^i\./, 'i@')}`;
      const age = Math.max(0, op.now - num(p, t));
      const prev = p[op.f] === undefined ? 0 : num(p, op.f) * 2 ** (-age / op.half);
      p[op.f] = round3(prev + op.n);
      p[t] = op.now;
      return;
    }
    case 'session': {
      if (p.fs === undefined) {
        p.fs = op.now;
        p.v = 1;
        p.ss = op.now;
        p.spv = 0;
      } else if (op.now - num(p, 'ls') > op.idle) {
        p.v = num(p, 'v') + 1;
        p.ss = op.now;
        p.spv = 0;
      }
      p.ls = Math.max(num(p, 'ls'), op.now);
      return;
    }
    case 'sess': {
      if (num(p, 'sid') !== op.sid) {
        p.sid = op.sid;
        p.st = 0;
        p.sm = 0;
      }
      p[op.f] = op.m === 'inc' ? num(p, op.f) + op.n : Math.max(num(p, op.f), op.n);
      return;
    }
    case 'daily': {
      const cur = p[op.f];
      const [day, count] = typeof cur === 'string' ? cur.split(':').map(Number) : [0, 0];
      p[op.f] = `${op.day}:${day === op.day ? (count ?? 0) + 1 : 1}`;
      return;
    }
    case 'del':
      delete p[op.f];
      return;
  }
}

/**
 * Applies op groups to a profile, skipping groups whose id is in `seen` (and adding applied ids to it).
 * Returns how many groups were applied and how many were duplicates.
 */
export function applyOps(
  p: FlatProfile,
  groups: readonly OpGroup[],
  seen?: Set<string>,
): { applied: number; duplicates: number } {
  let applied = 0;
  let duplicates = 0;
  for (const g of groups) {
    if (g.id !== undefined && seen) {
      if (seen.has(g.id)) {
        duplicates++;
        continue;
      }
      seen.add(g.id);
    }
    for (const op of g.ops) applyOp(p, op);
    applied++;
  }
  trimInterests(p);
  return { applied, duplicates };
}

/** Keeps the MAX_INTERESTS strongest interests so a profile stays small. */
export function trimInterests(p: FlatProfile): void {
  const keys = Object.keys(p).filter((k) => k.startsWith('i.'));
  if (keys.length <= MAX_INTERESTS) return;
  keys.sort((a, b) => num(p, b) - num(p, a));
  for (const k of keys.slice(MAX_INTERESTS)) {
    delete p[k];
    delete p[`i@${k.slice(2)}`];
  }
}

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
    if (k.startsWith('i.')) {
      const cat = k.slice(2);
      const age = Math.max(0, now - num(p, `i@${cat}`));
      const score = round3(num(p, k) * 2 ** (-age / s.interestHalfLifeMs));
      interests[cat] = score;
      if (score >= s.topInterestMin && score > top) {
        top = score;
        topInterest = cat;
      }
    } else if (k.startsWith('c.')) conversions[k.slice(2)] = num(p, k);
    else if (k.startsWith('cv.')) conversionValue[k.slice(3)] = num(p, k);
    else if (k.startsWith('a.')) assignments[k.slice(2)] = String(p[k]);
  }
  // session fields only count while they belong to the current visit
  const current = p.sid !== undefined && num(p, 'sid') === num(p, 'v');
  const engagedMs = current ? num(p, 'st') : 0;
  const maxScroll = current ? num(p, 'sm') : 0;
  const score = round3(0.5 * Math.min(1, engagedMs / 60_000) + 0.5 * Math.min(1, maxScroll / 100));
  return {
    firstSeen: p.fs === undefined ? null : num(p, 'fs'),
    lastSeen: p.ls === undefined ? null : num(p, 'ls'),
    visits: num(p, 'v'),
    pageviews: num(p, 'pv'),
    sessionPageviews: num(p, 'spv'),
    sessionStart: p.ss === undefined ? null : num(p, 'ss'),
    interests,
    topInterest,
    engagement: {
      session: { engagedMs, maxScroll },
      total: { engagedMs: num(p, 'et'), deepReads: num(p, 'dr') },
      score,
    },
    engaged: engagedMs >= 30_000 || maxScroll >= 75,
    conversions,
    conversionValue,
    clicks: num(p, 'ck'),
    assignments,
  };
}
