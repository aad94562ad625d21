/**
 * @module profile-fields
 * The profile's vocabulary, defined once: every stored field name and prefix, how values are encoded
 * (assignments, daily exposure counts, which fields are strings), and the special ids that measurement
 * rows use. The engine, both stores (the Upstash Lua script is generated from these names, see
 * profile-ops.ts) and the analytics rows read them from here, so a field is renamed or added in one place.
 *
 * Field names are short on purpose: a typical profile is a few hundred bytes.
 */
import { hash } from './hash.ts';

/** Which path writes a field: page requests own assignment fields, beacons own interaction fields. */
export type Writer = 'page' | 'beacon';

/** Scalar fields. Page-owned fields are written by page requests, beacon-owned ones by beacons (the KV store keeps one key per writer). */
export const F = {
  // beacon-owned (the browser script reports every pageview, so visits are counted from beacons)
  firstSeen: 'fs',
  lastSeen: 'ls',
  visits: 'v',
  sessionStart: 'ss',
  pageviews: 'pv',
  sessionPageviews: 'spv',
  lastCategory: 'lc',
  /** visit number the session fields `st`/`sm` belong to */
  sessionId: 'sid',
  sessionEngagedMs: 'st',
  sessionMaxScroll: 'sm',
  engagedMs: 'et',
  deepReads: 'dr',
  clicks: 'ck',
  /** last seen of the previous visit (set when a new visit starts; returningSoon) */
  previousLastSeen: 'pl',
  /** pageviews and engaged ms of the previous visit (set when a new visit starts; bounced) */
  previousPageviews: 'ppv',
  previousEngagedMs: 'pst',
  /** visit number of the last add-to-cart conversion, and of the last purchase (cartAbandoned) */
  cartVisit: 'ca',
  purchaseVisit: 'cb',
  /** the current page (the last pageview reported): its path, engaged ms, clicks and max scroll % */
  pagePath: 'pp',
  pageEngagedMs: 'pe',
  pageClicks: 'pc',
  pageMaxScroll: 'ps',
  /** visit number last counted in a `dv.` day bucket (each visit counts once, on the day it started) */
  windowVisit: 'wv',
  /** the catalogue item of the current page (`<meta name="hio:item">`), when it has one */
  pageItem: 'pi',
} as const;

/** Per-name fields: `<prefix><name>`. */
export const P = {
  /** page-owned: campaign -> "variantId|seedTag" */
  assignment: 'a.',
  /** page-owned: campaign -> "utcDay:count" of exposures (frequency caps) */
  exposuresDaily: 'x.',
  /** page-owned: campaign -> visit number a stable campaign was last shown in */
  stableShown: 's.',
  /**
   * page-owned: campaign -> the exposure a decision API call made (JSON, see {@link encodePendingExposure}),
   * counted when the client reports the slot's impression (or a page shows the slot)
   */
  pendingExposure: 'e.',
  /** beacon-owned: category -> decaying interest score */
  interest: 'i.',
  /** beacon-owned: category -> time of the interest score */
  interestTime: 'i@',
  /** beacon-owned: goal -> conversions */
  conversions: 'c.',
  /** beacon-owned: goal -> summed conversion value */
  conversionValue: 'cv.',
  /** beacon-owned: UTC day number -> visits started that day (the last {@link WINDOW_DAYS} days are kept) */
  dayVisits: 'dv.',
  /** beacon-owned: UTC day number -> pageviews that day */
  dayPageviews: 'dp.',
  /** beacon-owned: UTC day number -> engaged ms that day */
  dayEngagedMs: 'de.',
  /** beacon-owned: catalogue item -> when the visitor last viewed it (the last {@link MAX_ITEMS} are kept) */
  itemViewed: 'iv.',
  /** beacon-owned: catalogue item -> visit number in which it was added to the cart */
  itemCarted: 'ic.',
  /** beacon-owned: catalogue item -> when it was bought (carted in a visit that ended in a purchase) */
  itemBought: 'ib.',
  /**
   * beacon-owned: catalogue item -> when the visitor last clicked it in a slot's marked list (a
   * recommendation); the last {@link MAX_ITEMS} are kept, each with its {@link P.itemClickedIn}
   */
  itemClicked: 'rc.',
  /** beacon-owned: catalogue item -> where that click was, "campaign|variant|position" (see {@link encodeItemClick}) */
  itemClickedIn: 'rw.',
} as const;

export type Prefix = (typeof P)[keyof typeof P];

export const field = (prefix: Prefix, name: string): string => prefix + name;

/** The name after a prefix, or null when `f` does not start with it. */
export function nameOf(f: string, prefix: Prefix): string | null {
  return f.startsWith(prefix) ? f.slice(prefix.length) : null;
}

/** The time field of an interest field (`i.shoes` -> `i@shoes`). */
export function interestTimeField(f: string): string {
  const name = nameOf(f, P.interest);
  return name === null ? f : P.interestTime + name;
}

/** Fields whose values are strings by design; every other field is numeric. */
export function isStringField(f: string): boolean {
  return (
    f === F.lastCategory ||
    f === F.pagePath ||
    f === F.pageItem ||
    f.startsWith(P.assignment) ||
    f.startsWith(P.exposuresDaily) ||
    f.startsWith(P.pendingExposure) ||
    f.startsWith(P.itemClickedIn)
  );
}

/** Most interest categories a profile keeps (the strongest win). */
export const MAX_INTERESTS = 16;
/** Most goals a profile keeps conversions of (the most converted win). */
export const MAX_GOALS = 32;
/** Items a profile keeps of each kind (viewed, carted, bought): the most recent win. */
export const MAX_ITEMS = 20;
/** Days of per-day buckets a profile keeps (visits30d and friends); older days are trimmed. */
export const WINDOW_DAYS = 30;

/** Where a click on a listed item was: its campaign, variant and position (0: unknown). */
export interface ItemClick {
  campaign: string;
  variant: string;
  position: number;
}

/** `campaign|variant|position` (names never hold `|`: NAME_PATTERN). */
export const encodeItemClick = (c: ItemClick): string => `${c.campaign}|${c.variant}|${c.position}`;

export function decodeItemClick(s: unknown): ItemClick | null {
  if (typeof s !== 'string') return null;
  const [campaign, variant, pos] = s.split('|');
  if (!campaign || !variant || pos === undefined) return null;
  return { campaign, variant, position: Number(pos) || 0 };
}

// ---- special ids of measurement rows ----

/** Variant id of a visitor held out of a campaign (or of everything). */
export const HOLDOUT_VARIANT = '__holdout';
/** Variant id of a visitor not held out, in the programme-wide comparison. */
export const TREATED_VARIANT = '__treated';
/** Pseudo-campaign of every visitor's first visit, for the programme-wide (holdout) lift. */
export const ALL_CAMPAIGN = '__all';
/** Seed of the pseudo-campaign. */
export const ALL_SEED = 'all';

// ---- codecs ----

export type FlatProfile = Record<string, string | number>;

/** A numeric field as JavaScript's `Number(v) || 0` reads it (the Lua script does the same). */
export function num(p: FlatProfile, f: string): number {
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
  // the usual record is already a flat object of strings and finite numbers: use it as parsed
  // (a `__proto__` field is an own property of the parsed object but not of a copy: copied)
  let flat = true;
  for (const k of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[k];
    if (k === '__proto__' || !(typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))) {
      flat = false;
      break;
    }
  }
  if (flat) return value as FlatProfile;
  const out: FlatProfile = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) out[k] = v;
  }
  return out;
}

const CANONICAL_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** A hash of strings (as Redis stores fields) as a FlatProfile: numeric fields back to numbers. */
export function parseStringRecord(hash: Record<string, string>): FlatProfile {
  const profile: FlatProfile = {};
  for (const [f, v] of Object.entries(hash)) {
    profile[f] = !isStringField(f) && CANONICAL_NUMBER.test(v) ? Number(v) : v;
  }
  return profile;
}

// a document has a few seeds, each read on every page: their tags are kept (bounded)
const SEED_TAGS_LIMIT = 1_000;
const seedTags = new Map<string, string>();

/** A short tag of a seed, stored with an assignment so a new seed reassigns. */
export function seedTag(seed: string): string {
  let tag = seedTags.get(seed);
  if (tag === undefined) {
    tag = ((hash(seed, '', 2) ?? 0) * 10000).toString(36);
    if (seedTags.size >= SEED_TAGS_LIMIT) seedTags.clear();
    seedTags.set(seed, tag);
  }
  return tag;
}

export function encodeAssignment(variantId: string, seed: string): string {
  return `${variantId}|${seedTag(seed)}`;
}

/** Stored assignments by campaign, as stored ("variantId|seedTag"). */
export function storedAssignments(p: FlatProfile): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(p)) {
    const c = nameOf(k, P.assignment);
    if (c !== null) out[c] = String(p[k]);
  }
  return out;
}

/** The variant a stored assignment names, when it was made under `seed` (else null: reassign). */
export function assignedVariant(stored: string | undefined, seed: string): string | null {
  if (stored === undefined) return null;
  const [variantId, tag] = stored.split('|');
  return variantId && tag === seedTag(seed) ? variantId : null;
}

export function utcDay(now: number): number {
  return Math.floor(now / 86_400_000);
}

/** Exposures today per campaign, from the `x.<campaign>` = "day:count" fields. */
export function exposuresToday(p: FlatProfile, now: number): Record<string, number> {
  const today = utcDay(now);
  const out: Record<string, number> = {};
  for (const k of Object.keys(p)) {
    const c = nameOf(k, P.exposuresDaily);
    const v = p[k];
    if (c === null || typeof v !== 'string') continue;
    const [day, count] = v.split(':').map(Number);
    if (day === today) out[c] = count ?? 0;
  }
  return out;
}

/** Sums of the day buckets of `prefix` over the last `days` UTC days (today included). */
export function windowSum(p: FlatProfile, prefix: Prefix, now: number, days: number): number {
  const from = utcDay(now) - days + 1;
  let sum = 0;
  for (const k of Object.keys(p)) {
    const d = nameOf(k, prefix);
    if (d !== null && Number(d) >= from) sum += num(p, k);
  }
  return sum;
}

/** Stable campaigns shown in the current visit. */
export function shownThisSession(p: FlatProfile): Set<string> {
  const out = new Set<string>();
  const visit = num(p, F.visits);
  for (const k of Object.keys(p)) {
    const c = nameOf(k, P.stableShown);
    if (c !== null && Number(p[k]) === visit) out.add(c);
  }
  return out;
}
