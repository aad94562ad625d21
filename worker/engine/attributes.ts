/**
 * @module attributes
 * The visitor attributes that targeting conditions and templates read, built from the profile view
 * and facts about the current request. Pure: the edge layer extracts `RequestFacts` from the request.
 */

import { type ClusterRecord, clusterOf } from './clusters.ts';
import { evalCondition } from './condition.ts';
import type { CompiledDocument } from './document.ts';
import type { ProfileView } from './profile.ts';
import { type PropensityRecord, propensityFeatures, scorePropensity } from './propensity.ts';
import { regexSubject } from './safe-regex.ts';
import type { Signal, SignalName } from './signals.ts';

export interface RequestFacts {
  url: URL;
  userAgent: string;
  referer: string | null;
  country: string | null;
  /** IANA time zone of the visitor when the platform knows it */
  timezone: string | null;
  now: number;
  /** page category known before the page is fetched (URL rules of the document) */
  category: string | null;
}

export type Device = 'mobile' | 'tablet' | 'desktop';

export function detectDevice(ua: string): Device {
  if (/iPad|Tablet|PlayBook|Silk|(Android(?!.*Mobile))/i.test(ua)) return 'tablet';
  if (/Mobi|iPhone|iPod|Android|BlackBerry|IEMobile|Opera Mini/i.test(ua)) return 'mobile';
  return 'desktop';
}

// Building an Intl.DateTimeFormat is expensive (it dominated the page path's CPU profile); a site's
// visitors come from a few hundred zones at most, so keep one formatter per zone.
const hourFormats = new Map<string, Intl.DateTimeFormat | null>();

function hourFormat(timezone: string): Intl.DateTimeFormat | null {
  let f = hourFormats.get(timezone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-GB', { hour: 'numeric', hourCycle: 'h23', timeZone: timezone });
    } catch {
      f = null; // unknown zone: UTC
    }
    if (hourFormats.size < 1000) hourFormats.set(timezone, f);
  }
  return f;
}

// the local hour only changes on quarter-hour boundaries (zone offsets are whole quarters of an hour)
const QUARTER_HOUR = 15 * 60_000;
const hours = new Map<string, { hour: number; until: number }>();

function localHour(now: number, timezone: string | null): number {
  const f = timezone ? hourFormat(timezone) : null;
  if (!timezone || !f) return new Date(now).getUTCHours();
  const hit = hours.get(timezone);
  if (hit && now < hit.until && now >= hit.until - QUARTER_HOUR) return hit.hour;
  const n = Number.parseInt(f.format(now), 10);
  const hour = Number.isFinite(n) ? n : new Date(now).getUTCHours();
  if (hours.size < 1000 || hours.has(timezone)) {
    hours.set(timezone, { hour, until: Math.floor(now / QUARTER_HOUR) * QUARTER_HOUR + QUARTER_HOUR });
  }
  return hour;
}

function externalReferrer(referer: string | null, host: string): string | null {
  if (!referer) return null;
  try {
    const r = new URL(referer);
    return r.host === host ? null : r.host;
  } catch {
    return null;
  }
}

/**
 * A transparent provisional propensity score in [0, 1]: a logistic function of engagement, visits
 * and interest depth. Replaced by the trained model where one is configured.
 */
export function heuristicPropensity(p: ProfileView): number {
  const interest = p.topInterest ? (p.interests[p.topInterest] ?? 0) : 0;
  const z = -2.5 + 2 * p.engagement.score + 0.35 * Math.min(p.visits, 5) + 0.25 * Math.min(interest, 4);
  return Math.round(1000 / (1 + Math.exp(-z))) / 1000;
}

export type Attributes = Record<string, unknown> & { segments: string[] };

/**
 * The visitor's attributes. `propensity` comes from the trained model when one is given (scored on
 * these same attributes, before segments are evaluated, so segments can use it), else the heuristic.
 */
export function buildAttributes(
  p: ProfileView,
  r: RequestFacts,
  doc: CompiledDocument,
  model?: PropensityRecord | null,
  clusters?: ClusterRecord | null,
  signals?: Record<SignalName, Signal>,
): Attributes {
  const daysSinceLastVisit =
    p.lastSeen === null ? null : Math.floor(Math.max(0, r.now - p.lastSeen) / 86_400_000);
  // Built with named stores in a fixed order, leaving out what is null (null attributes behave as
  // missing for $exists): the object stays a fast one. (Deleting the nulls, or copying by computed
  // keys, leaves a slow dictionary-mode object for every lookup of the conditions and templates.)
  const attrs: Record<string, unknown> = {
    visits: p.visits,
    pageviews: p.pageviews,
    sessionPageviews: p.sessionPageviews,
    newVisitor: p.visits <= 1,
  };
  if (daysSinceLastVisit !== null) attrs.daysSinceLastVisit = daysSinceLastVisit;
  attrs.engaged = p.engaged;
  attrs.engagement = p.engagement.score;
  attrs.engagedTime = Math.round(p.engagement.session.engagedMs / 1000);
  attrs.scrollDepth = p.engagement.session.maxScroll;
  attrs.visits7d = p.windows.d7.visits;
  attrs.pageviews7d = p.windows.d7.pageviews;
  attrs.engagedTime7d = Math.round(p.windows.d7.engagedMs / 1000);
  attrs.visits30d = p.windows.d30.visits;
  attrs.pageviews30d = p.windows.d30.pageviews;
  attrs.engagedTime30d = Math.round(p.windows.d30.engagedMs / 1000);
  attrs.interests = p.interests;
  if (p.topInterest !== null) attrs.topInterest = p.topInterest;
  attrs.conversions = p.conversions;
  attrs.conversionValue = p.conversionValue;
  attrs.propensity = heuristicPropensity(p);
  attrs.device = detectDevice(r.userAgent);
  if (r.country !== null) attrs.country = r.country;
  attrs.path = r.url.pathname;
  if (r.category !== null) attrs.category = r.category;
  const referrer = externalReferrer(r.referer, r.url.host);
  if (referrer !== null) attrs.referrer = referrer;
  if (r.url.search) {
    const q = r.url.searchParams;
    const source = q.get('utm_source');
    if (source !== null) attrs.utm_source = source;
    const medium = q.get('utm_medium');
    if (medium !== null) attrs.utm_medium = medium;
    const campaign = q.get('utm_campaign');
    if (campaign !== null) attrs.utm_campaign = campaign;
  }
  attrs.hour = localHour(r.now, r.timezone);
  if (signals) {
    // in computeSignals' order; any other signal after them
    attrs.hesitated = signals.hesitated.value;
    attrs.deepReader = signals.deepReader.value;
    attrs.returningSoon = signals.returningSoon.value;
    attrs.bounced = signals.bounced.value;
    attrs.cartAbandoned = signals.cartAbandoned.value;
    for (const [k, sig] of Object.entries(signals)) if (!(k in attrs)) attrs[k] = sig.value;
  }
  if (model) attrs.propensity = scorePropensity(model, attrs);
  if (clusters)
    attrs.cluster = clusterOf(clusters, propensityFeatures(attrs, doc.settings.propensity.goal ?? ''));
  const segments: string[] = [];
  for (const [name, cond] of doc.segments) {
    if (evalCondition(attrs, cond, doc.savedGroups)) segments.push(name);
  }
  attrs.segments = segments;
  return attrs as Attributes;
}

/** The category a document's URL rules give a path, if any. */
export function categoryFromRules(doc: CompiledDocument, path: string): string | null {
  const subject = regexSubject(path);
  for (const rule of doc.settings.categoryRules) if (rule.re.test(subject)) return rule.category;
  return null;
}
