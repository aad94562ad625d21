/**
 * @module me
 * `GET /__hio/me`: a visitor's own data and why each campaign was or was not shown to them. JSON by
 * default and for `Accept: application/json` (or `?format=json`); a readable page (privacy-page.ts) for a
 * browser (`Accept: text/html` preferred over JSON).
 * `DELETE /__hio/me`: erases everything stored about the visitor and clears the cookie.
 *
 * What concerns the visitor, and nothing else: everything stored about them (their profile, including
 * assignments to campaigns they were once in), and the campaigns that run now (active, inside their
 * schedule), each with its status, the variant shown and a reason in words. Draft, paused and scheduled
 * campaigns are not named: they are the site's plans, not the visitor's data. Reasons never quote a
 * campaign's configuration (targeting thresholds, coverage, groups): a campaign the visitor was not
 * targeted by says which of the visitor's own attribute values decided it, not what it looks for.
 * A shown recommendation variant also says what its list is based on, from the visitor's own data, and
 * the items it would show now (me-recommend.ts).
 */
import { requestFacts } from '../edge/request-facts.ts';
import { visitorFromRequest } from '../edge/visitor-cookie.ts';
import {
  type CompiledDocument,
  type Explanation,
  evalCondition,
  explainRecommendation,
  type FlatProfile,
  planPage,
  type RecommendContext,
} from '../engine/index.ts';
import type { Deps } from '../types.ts';

type CompiledCampaign = CompiledDocument['campaigns'][number];

import { json } from './json.ts';
import { explainRecommendationWords, type RecommendationExplained, titleIn } from './me-recommend.ts';
import { eraseResponse, privacyState, renderPrivacyPage, wantsHtml } from './privacy-page.ts';

/** One running campaign, as the visitor may see it. */
export interface CampaignWhy {
  campaign: string;
  status: Explanation['status'];
  /** in words, without the campaign's configuration */
  reason: string;
  variant?: string;
  /** the visitor's own position in the campaign's split, in [0, 1) */
  bucket?: number;
  /** not targeted: the visitor's own attribute values that decided it (null: the visitor has none) */
  decidedBy?: Record<string, unknown>;
  /** contextual campaigns: the visitor's context, whose learned shares chose the variant */
  context?: string;
  /** a recommendation variant shown: what its list is based on and the items it would show now */
  recommendation?: RecommendationExplained;
}

/** What the explanation of a recommendation variant needs: the page path's catalogue and model. */
export interface RecommendInputs {
  ctx: RecommendContext | null;
  /** the visitor's stored profile (their viewed, carted and bought items) */
  profile: FlatProfile;
  /** path of the explained page (its item is found by it) */
  path: string;
}

/** Statuses of campaigns that do not run now: not named to visitors. */
const NOT_RUNNING = new Set<Explanation['status']>(['draft', 'paused', 'scheduled', 'preview']);

/** A dotted attribute path (`conversions.purchase`) in the visitor's attributes. */
function lookup(attrs: Record<string, unknown>, key: string): unknown {
  let v: unknown = attrs;
  for (const part of key.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** Attribute names a condition reads (the keys of its clauses, through `$and`/`$or`/`$nor`/`$not`). */
function attributeNames(cond: unknown, out: Set<string>): Set<string> {
  if (Array.isArray(cond)) for (const c of cond) attributeNames(c, out);
  else if (cond && typeof cond === 'object') {
    for (const [k, v] of Object.entries(cond)) {
      if (k.startsWith('$')) attributeNames(v, out);
      else out.add(k);
    }
  }
  return out;
}

/**
 * The attributes of the first clause of `cond` that the visitor fails (through nested `$and`), with
 * the visitor's values: which of their own facts decided that a campaign was not for them.
 */
export function decidingAttributes(
  attrs: Record<string, unknown>,
  cond: Record<string, unknown>,
  groups: Record<string, unknown[]>,
): Record<string, unknown> {
  for (const [key, val] of Object.entries(cond)) {
    if (key === '$and' && Array.isArray(val)) {
      const failed = val.find(
        (sub): sub is Record<string, unknown> =>
          !!sub && typeof sub === 'object' && !evalCondition(attrs, sub as Record<string, unknown>, groups),
      );
      if (failed) return decidingAttributes(attrs, failed, groups);
      continue;
    }
    if (!evalCondition(attrs, { [key]: val }, groups)) {
      const names = key.startsWith('$') ? [...attributeNames(val, new Set())] : [key];
      return Object.fromEntries(names.map((n) => [n, lookup(attrs, n) ?? null]));
    }
  }
  return {};
}

const show = (v: unknown): string => (v === null ? 'none' : JSON.stringify(v));

function reasonOf(
  e: Explanation,
  c: CompiledCampaign | undefined,
  decidedBy: Record<string, unknown>,
  named: ReadonlySet<string>,
): string {
  const control = c?.variants.find((v) => v.id === e.variant)?.control === true;
  switch (e.status) {
    case 'assigned': {
      const calm = e.reason.includes('; kept for this session')
        ? ' Kept for this session: it was shown earlier in it, so the slot does not change until your next session.'
        : e.reason.includes('; slot changed')
          ? ' Slot changed: first decision this session, kept for the rest of it.'
          : '';
      return (
        (control
          ? 'You see the page as the site normally shows it: you are in the comparison group of this campaign.'
          : `You see version "${e.variant}" of this campaign.`) + calm
      );
    }
    case 'holdout':
      return 'You are in the small group that sees no personalization at all, so that its effect can be measured.';
    case 'not-targeted': {
      const facts = Object.entries(decidedBy).map(([k, v]) => `${k} (${show(v)})`);
      return facts.length
        ? `Not shown: it is meant for other visitors. Decided by your ${facts.join(', ')}.`
        : 'Not shown: it is meant for other visitors.';
    }
    case 'outside-coverage':
      return 'Not shown: it is shown to a share of visitors only, and you are not in that share.';
    case 'capped':
      return 'Not shown: you have already seen it as often as it is shown in a day.';
    case 'slot-taken': {
      const owner = /"([^"]+)"/.exec(e.reason)?.[1];
      if (e.reason.startsWith('slot did not change'))
        return owner && named.has(owner)
          ? `Not shown: the slot did not change, "${owner}" keeps it for this session (it may change next session).`
          : 'Not shown: the slot did not change, another campaign keeps it for this session.';
      return owner && named.has(owner)
        ? `Not shown: "${owner}" fills the same slot on the page and comes first.`
        : 'Not shown: another campaign fills the same slot on the page and comes first.';
    }
    case 'group-taken': {
      const owner = /"([^"]+)"/.exec(e.reason)?.[1];
      return owner && named.has(owner)
        ? `Not shown: it does not run together with "${owner}", which you are part of.`
        : 'Not shown: it does not run together with another campaign you are part of.';
    }
    default:
      return 'Not shown.';
  }
}

/** The explanations of the campaigns that run now, in words, for the visitor. */
export function visitorExplanations(
  doc: CompiledDocument,
  explanations: readonly Explanation[],
  attributes: Record<string, unknown>,
  recs?: RecommendInputs,
): CampaignWhy[] {
  const byId = new Map(doc.campaigns.map((c) => [c.id, c]));
  const running = explanations.filter(
    (e) => !NOT_RUNNING.has(e.status) && byId.get(e.campaign)?.status === 'active',
  );
  const named = new Set(running.map((e) => e.campaign));
  return running.map((e) => {
    const c = byId.get(e.campaign);
    const decidedBy =
      e.status === 'not-targeted' && c?.targeting
        ? decidingAttributes(attributes, c.targeting, doc.savedGroups)
        : undefined;
    const why: CampaignWhy = {
      campaign: e.campaign,
      status: e.status,
      reason: reasonOf(e, c, decidedBy ?? {}, named),
    };
    if (e.variant !== undefined) why.variant = e.variant;
    if (e.bucket !== undefined) why.bucket = e.bucket;
    if (decidedBy) why.decidedBy = decidedBy;
    if (e.context !== undefined) why.context = e.context;
    const spec = e.status === 'assigned' ? c?.variants.find((v) => v.id === e.variant)?.recommend : undefined;
    if (spec && recs) why.recommendation = recommendationOf(spec, recs, attributes);
    return why;
  });
}

/** A recommendation variant's list for this visitor now, explained (the page's own call, with bases). */
function recommendationOf(
  spec: NonNullable<CompiledCampaign['variants'][number]['recommend']>,
  recs: RecommendInputs,
  attributes: Record<string, unknown>,
): RecommendationExplained {
  const input = { ctx: recs.ctx, profile: recs.profile, attributes, path: recs.path };
  const why = explainRecommendation(input, spec) ?? {
    strategy: spec.strategy,
    learned: (recs.ctx?.model ?? null) !== null,
    pageItem: null,
    cart: [],
    viewedAny: false,
    items: [],
  };
  return explainRecommendationWords(why, titleIn(recs.ctx?.catalogue ?? new Map()));
}

/**
 * The page whose campaigns are explained: `?path=`, else the same-origin page the visitor came from
 * (the Referer), else the site's home page (`/__hio/me` itself is no page of the site).
 */
export function explainedRequest(req: Request): Request {
  const url = new URL(req.url);
  let target = new URL('/', url);
  const path = url.searchParams.get('path');
  if (path?.startsWith('/') && !path.startsWith('//')) target = new URL(path, url);
  else {
    try {
      const ref = new URL(req.headers.get('referer') ?? '');
      if (ref.origin === url.origin && !ref.pathname.startsWith('/__hio/')) target = ref;
    } catch {
      // no Referer, or not a URL: the home page
    }
  }
  if (target.origin !== url.origin) target = new URL('/', url);
  const headers = new Headers(req.headers);
  headers.delete('referer');
  return new Request(target, { headers });
}

export async function handleMe(deps: Deps, req: Request): Promise<Response> {
  const html = wantsHtml(req);
  const visitorId = await visitorFromRequest(req, deps.config.secret);
  const now = deps.now();
  if (!visitorId) {
    if (html) {
      const live = await deps.configRepo.live(now, deps.waitUntil);
      return renderPrivacyPage(req, { visitor: null, state: privacyState(req, live.doc) });
    }
    return json({ visitor: null, message: 'No visitor cookie: HIO stores nothing about you.' }, 200, {
      vary: 'Accept',
    });
  }
  const [live, loaded] = await Promise.all([
    deps.configRepo.live(now, deps.waitUntil),
    deps.store.load(visitorId),
  ]);
  const explained = explainedRequest(req);
  const p = planPage({
    doc: live.doc,
    visitorId,
    stored: loaded.profile,
    facts: requestFacts(explained, live.doc, now),
    mode: 'explain',
    banditWeights: live.bandit,
    contextShares: live.contextual,
    propensity: live.propensity,
    clusters: live.clusters,
    stopped: live.stopped,
  });
  const campaigns = visitorExplanations(live.doc, p.result.explanations, p.attributes, {
    ctx: live.recommendations,
    profile: loaded.profile,
    path: new URL(explained.url).pathname,
  });
  if (html) {
    return renderPrivacyPage(req, {
      visitor: visitorId,
      state: privacyState(req, live.doc),
      profile: p.view,
      stored: loaded.profile,
      titleOf: (item) => live.recommendations?.catalogue.get(item)?.title,
      segments: p.attributes.segments,
      signals: p.signals,
      holdout: p.result.holdout,
      campaigns,
      page: new URL(explained.url).pathname,
    });
  }
  return json(
    {
      visitor: visitorId,
      backend: deps.store.backend,
      profile: p.view,
      stored: loaded.profile,
      attributes: p.attributes,
      segments: p.attributes.segments,
      // micro-signals: each boolean attribute with the values that made it true or false
      signals: p.signals,
      holdout: p.result.holdout,
      assignments: p.view.assignments,
      campaigns,
      // the score, and whether a trained model (which version) or the heuristic gave it
      propensity: p.propensity,
      configVersion: live.version,
    },
    200,
    { vary: 'Accept' },
  );
}

export async function handleMeDelete(deps: Deps, req: Request): Promise<Response> {
  return eraseResponse(deps, req, 'json');
}
