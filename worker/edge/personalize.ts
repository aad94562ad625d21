/**
 * @module personalize
 * Assembles one decision for one request: profile (with this pageview applied in memory), attributes,
 * the engine's decision, the slot writes to stream, and the profile operations to store afterwards.
 * Shared by the page path and `/__hio/me`, so what `/me` explains is exactly what a page does.
 */

import { ALL_CAMPAIGN, type ExposureRow, HOLDOUT_VARIANT, TREATED_VARIANT } from '../db/analytics.ts';
import { buildAttributes, categoryFromRules, type RequestFacts } from '../engine/attributes.ts';
import { type DecideResult, decide, encodeAssignment } from '../engine/decide.ts';
import type { CompiledDocument } from '../engine/document.ts';
import { applyOps, type FlatProfile, type Op, type ProfileView, readProfile } from '../engine/profile.ts';
import { renderTemplate } from '../engine/template.ts';
import type { SlotWrite } from './rewrite.ts';

export interface PersonalizeInput {
  doc: CompiledDocument;
  visitorId: string;
  stored: FlatProfile;
  req: Request;
  now: number;
  /** count this request as a pageview (false for /me and previews) */
  pageview: boolean;
  force?: { campaign: string; variant: string };
  banditWeights?: Record<string, number[]>;
}

export interface Personalization {
  view: ProfileView;
  attributes: Record<string, unknown>;
  result: DecideResult;
  writes: SlotWrite[];
  /** profile operations to store after the response */
  pageOps: Op[];
  /** first exposures to record in analytics (campaign, seed, variant or holdout) */
  exposures: ExposureRow[];
}

export function requestFacts(req: Request, doc: CompiledDocument, now: number): RequestFacts {
  const url = new URL(req.url);
  const cf = (req as Request & { cf?: { country?: string; timezone?: string } }).cf;
  return {
    url,
    userAgent: req.headers.get('user-agent') ?? '',
    referer: req.headers.get('referer'),
    country: cf?.country ?? req.headers.get('cf-ipcountry'),
    timezone: cf?.timezone ?? null,
    now,
    category: categoryFromRules(doc, url.pathname),
  };
}

function utcDay(now: number): number {
  return Math.floor(now / 86_400_000);
}

/** Exposures today per campaign, from the `x.<campaign>` = "day:count" fields. */
export function exposuresToday(p: FlatProfile, now: number): Record<string, number> {
  const today = utcDay(now);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(p)) {
    if (!k.startsWith('x.') || typeof v !== 'string') continue;
    const [day, count] = v.split(':').map(Number);
    if (day === today) out[k.slice(2)] = count ?? 0;
  }
  return out;
}

/** Stable campaigns shown in the current session (`s.<campaign>` holds the session start it was shown in). */
function shownThisSession(p: FlatProfile): Set<string> {
  const out = new Set<string>();
  for (const [k, v] of Object.entries(p))
    if (k.startsWith('s.') && Number(v) === Number(p.ss)) out.add(k.slice(2));
  return out;
}

export function personalize(input: PersonalizeInput): Personalization {
  const { doc, now } = input;
  const pageOps: Op[] = [];
  if (input.pageview) {
    pageOps.push(
      { o: 'session', now, idle: doc.settings.sessionTimeoutMs },
      { o: 'inc', f: 'pv', n: 1 },
      { o: 'inc', f: 'spv', n: 1 },
    );
  }
  // attributes describe the visitor as of this request: apply its pageview to a copy
  const current = { ...input.stored };
  applyOps(current, [{ ops: pageOps }]);
  const view = readProfile(current, now, {
    sessionTimeoutMs: doc.settings.sessionTimeoutMs,
    interestHalfLifeMs: doc.settings.interestHalfLifeMs,
    topInterestMin: 1,
  });
  const facts = requestFacts(input.req, doc, now);
  const attributes = buildAttributes(view, facts, doc);
  const assignments: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.stored))
    if (k.startsWith('a.')) assignments[k.slice(2)] = String(v);
  const result = decide({
    doc,
    visitorId: input.visitorId,
    attributes,
    assignments,
    exposuresToday: exposuresToday(input.stored, now),
    shownThisSession: shownThisSession(current),
    now,
    force: input.force,
    banditWeights: input.banditWeights,
  });
  const writes: SlotWrite[] = [];
  const exposures: ExposureRow[] = [];
  if (input.pageview && input.stored.fs === undefined) {
    exposures.push({
      campaignId: ALL_CAMPAIGN,
      seed: 'all',
      variantId: result.holdout ? HOLDOUT_VARIANT : TREATED_VARIANT,
    });
  }
  if (input.pageview) {
    for (const c of result.heldOut) {
      const held = encodeAssignment(HOLDOUT_VARIANT, c.seed);
      if (assignments[c.id] === held) continue;
      pageOps.push({ o: 'set', f: `a.${c.id}`, v: held });
      exposures.push({ campaignId: c.id, seed: c.seed, variantId: HOLDOUT_VARIANT });
    }
  }
  for (const d of result.decisions) {
    d.campaign.slots.forEach((slot, i) => {
      const t = d.variant.contents[i];
      writes.push({
        selector: slot.selector,
        action: slot.action,
        name: slot.name,
        campaign: d.campaign.id,
        variant: d.variant.id,
        content: t === undefined ? undefined : renderTemplate(t, attributes),
      });
    });
    if (!d.preview && input.pageview) {
      if (d.newAssignment) {
        pageOps.push({
          o: 'set',
          f: `a.${d.campaign.id}`,
          v: encodeAssignment(d.variant.id, d.campaign.seed),
        });
        exposures.push({ campaignId: d.campaign.id, seed: d.campaign.seed, variantId: d.variant.id });
      }
      if (d.campaign.stable) pageOps.push({ o: 'set', f: `s.${d.campaign.id}`, v: current.ss ?? now });
      if (d.campaign.perDayCap !== undefined)
        pageOps.push({ o: 'daily', f: `x.${d.campaign.id}`, day: utcDay(now) });
    }
  }
  return { view, attributes, result, writes, pageOps, exposures };
}
