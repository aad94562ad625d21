/**
 * @module personalize
 * Assembles one decision for one request: profile (with this pageview applied in memory), attributes,
 * the engine's decision, the slot writes to stream, and, once the page has streamed, what to store:
 * assignments and first exposures of the campaigns whose slots were really on the page.
 * Shared by the page path and `/__hio/me`, so what `/me` explains is exactly what a page does.
 *
 * Visits and pageviews are counted by the beacon (the browser script reports every pageview), not
 * here: a page request of a returning visitor with settled assignments writes nothing at all.
 */

import { ALL_CAMPAIGN, type ExposureRow, HOLDOUT_VARIANT, TREATED_VARIANT } from '../db/analytics.ts';
import { buildAttributes, categoryFromRules, type RequestFacts } from '../engine/attributes.ts';
import { type DecideResult, decide, encodeAssignment } from '../engine/decide.ts';
import type { CompiledDocument } from '../engine/document.ts';
import { applyOps, type FlatProfile, type Op, type ProfileView, readProfile } from '../engine/profile.ts';
import { renderTemplate } from '../engine/template.ts';
import type { RewritePlan, SlotWrite } from './rewrite.ts';

export interface PersonalizeInput {
  doc: CompiledDocument;
  visitorId: string;
  stored: FlatProfile;
  req: Request;
  now: number;
  /** this request is a page view (false for /me and previews): record what it shows */
  pageview: boolean;
  force?: { campaign: string; variant: string };
  banditWeights?: Record<string, number[]>;
}

export interface Personalization extends RewritePlan {
  view: ProfileView;
  attributes: Record<string, unknown>;
  result: DecideResult;
  /**
   * What to store once the page has streamed, given the campaigns whose slots were on it: profile
   * operations (new assignments, frequency counts, session marks) and first exposures.
   */
  afterRender(matched: ReadonlySet<string>): { ops: Op[]; exposures: ExposureRow[] };
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

/** Stable campaigns shown in the current visit (`s.<campaign>` holds the visit number it was shown in). */
function shownThisSession(p: FlatProfile): Set<string> {
  const out = new Set<string>();
  for (const [k, v] of Object.entries(p))
    if (k.startsWith('s.') && Number(v) === Number(p.v)) out.add(k.slice(2));
  return out;
}

export function personalize(input: PersonalizeInput): Personalization {
  const { doc, now } = input;
  // attributes describe the visitor as of this request: apply its pageview to a copy (the beacon
  // stores it for real when the browser script reports the page)
  const current = { ...input.stored };
  if (input.pageview) {
    applyOps(current, [
      {
        ops: [
          { o: 'session', now, idle: doc.settings.sessionTimeoutMs },
          { o: 'inc', f: 'pv', n: 1 },
          { o: 'inc', f: 'spv', n: 1 },
        ],
      },
    ]);
  }
  const view = readProfile(current, now, {
    sessionTimeoutMs: doc.settings.sessionTimeoutMs,
    interestHalfLifeMs: doc.settings.interestHalfLifeMs,
    topInterestMin: 1,
  });
  const attributes = buildAttributes(view, requestFacts(input.req, doc, now), doc);
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
    reasons: !input.pageview,
  });
  const writes: SlotWrite[] = [];
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
  }
  // a held-out visitor is exposed to a campaign when its slot is on the page, as a shown one would be
  const probes = result.heldOut.flatMap((c) =>
    c.slots.map((s) => ({ selector: s.selector, campaign: c.id })),
  );

  function afterRender(matched: ReadonlySet<string>): { ops: Op[]; exposures: ExposureRow[] } {
    const ops: Op[] = [];
    const exposures: ExposureRow[] = [];
    if (!input.pageview) return { ops, exposures };
    if (input.stored.fs === undefined) {
      const variantId = result.holdout ? HOLDOUT_VARIANT : TREATED_VARIANT;
      exposures.push({ campaignId: ALL_CAMPAIGN, seed: 'all', variantId });
    }
    for (const c of result.heldOut) {
      const held = encodeAssignment(HOLDOUT_VARIANT, c.seed);
      if (!matched.has(c.id) || assignments[c.id] === held) continue;
      ops.push({ o: 'set', f: `a.${c.id}`, v: held });
      exposures.push({ campaignId: c.id, seed: c.seed, variantId: HOLDOUT_VARIANT });
    }
    for (const d of result.decisions) {
      if (d.preview || !matched.has(d.campaign.id)) continue;
      const c = d.campaign;
      if (d.newAssignment) {
        ops.push({ o: 'set', f: `a.${c.id}`, v: encodeAssignment(d.variant.id, c.seed) });
        exposures.push({ campaignId: c.id, seed: c.seed, variantId: d.variant.id });
      }
      if (c.stable && Number(input.stored[`s.${c.id}`]) !== Number(current.v)) {
        ops.push({ o: 'set', f: `s.${c.id}`, v: Number(current.v) });
      }
      if (c.perDayCap !== undefined) ops.push({ o: 'daily', f: `x.${c.id}`, day: utcDay(now) });
    }
    return { ops, exposures };
  }

  return { view, attributes, result, writes, probes, afterRender };
}
