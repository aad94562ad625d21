/**
 * @module plan
 * Every consequence of a page view or a beacon, computed in one pure step and returned as data.
 *
 *   request -> identify -> load -> plan -> stream -> persist
 *
 * `planPage` decides what a page shows (the rewrite plan) and, once the page has streamed and the
 * adapter knows which slots were really on it, `settle(matched)` says what to store: profile op groups
 * (new assignments, frequency counts, session marks) and measurement rows (first exposures).
 * `planBeacon` turns an event batch into the profile's op groups and the measurement rows
 * (conversions attributed to the variant assigned before them, counted impressions and clicks, and the
 * secondary metrics of the visitor's sessions: sessions, second pages, pageviews, engaged time).
 * The adapters (edge/, state/, db/, routes/) only read inputs, stream and persist what they are handed.
 */
import { buildAttributes, categoryFromRules, type RequestFacts } from './attributes.ts';
import type { ClusterRecord } from './clusters.ts';
import type { ContextShares } from './contexts.ts';
import { type DecideInput, type DecideResult, decide, isInHoldout } from './decide.ts';
import type { CompiledDocument, SlotAction } from './document.ts';
import { foldEvents, type HioEvent, pageviewOps, sessionsOf } from './events.ts';
import { type ItemMetricRow, itemAttributionRows } from './item-attribution.ts';
import { type ProfileView, readProfile } from './profile.ts';
import {
  ALL_CAMPAIGN,
  ALL_SEED,
  assignedVariant,
  encodeAssignment,
  exposuresToday,
  F,
  type FlatProfile,
  field,
  HOLDOUT_VARIANT,
  num,
  P,
  shownThisSession,
  storedAssignments,
  TREATED_VARIANT,
  utcDay,
  type Writer,
} from './profile-fields.ts';
import { applyOps, type Op, type OpGroup } from './profile-ops.ts';
import { type PropensityRecord, propensityFeatures } from './propensity.ts';
import { type RecommendContext, recommendationRenderer } from './recommend-render.ts';
import { engagedExcess, engagedSquareIncrement, pageExcess, type SecondaryMetric } from './secondary.ts';
import { computeSignals, type Signal, type SignalName } from './signals.ts';
import { renderSafe } from './template-safe.ts';

// ---- what a page writes into its slots ----

export interface SlotWrite {
  selector: string;
  action: SlotAction;
  /** attribute name for setAttribute */
  name?: string;
  campaign: string;
  variant: string;
  /** rendered content; undefined for a control (origin content kept, slot still marked) */
  content: string | undefined;
}

/** What to write into a page: the slot writes, and the slots whose presence alone counts (holdout). */
export interface RewritePlan {
  writes: SlotWrite[];
  probes: { selector: string; campaign: string }[];
}

export const EMPTY_REWRITE: RewritePlan = { writes: [], probes: [] };

// ---- what a request stores ----

export interface ExposureRow {
  campaignId: string;
  seed: string;
  variantId: string;
  /** contextual campaigns: the visitor's context at assignment */
  context?: string;
  /** the probability with which the variant was chosen (1 for holdout and programme rows) */
  p?: number;
  /** for results per breakdown and CUPED (see {@link Breakdown}) */
  device?: string;
  source?: string;
  segments?: string;
  cluster?: string;
  prePageviews?: number;
}

/** What a visitor's exposure is broken down by in results, and the pre-exposure covariate of CUPED. */
export type Breakdown = Required<
  Pick<ExposureRow, 'device' | 'source' | 'segments' | 'cluster' | 'prePageviews'>
>;

/** The breakdown of an exposure: device, traffic source (utm_source, else the referring host, else direct). */
export function breakdownOf(attributes: Record<string, unknown>, stored: FlatProfile): Breakdown {
  const text = (x: unknown) => (typeof x === 'string' && x ? x.slice(0, 64) : '');
  const segments = Array.isArray(attributes.segments)
    ? attributes.segments.filter((x) => typeof x === 'string')
    : [];
  return {
    device: text(attributes.device),
    source: text(attributes.utm_source) || text(attributes.referrer) || 'direct',
    segments: segments.length ? `,${segments.join(',')},` : '',
    cluster: text(attributes.cluster),
    // the pageviews stored before this page: behaviour from before the exposure, which the variant cannot affect
    prePageviews: num(stored, F.pageviews),
  };
}

/**
 * A pending exposure as stored in the profile (`e.<campaign>`): the exposure row without its campaign,
 * short keys. Written by the decision API, read by the beacon when the slot's impression arrives.
 */
export function encodePendingExposure(row: ExposureRow): string {
  const { campaignId: _, ...rest } = row;
  return JSON.stringify(rest);
}

/**
 * The exposure a decision API call left pending for `campaignId`, when it was for this variant under
 * this seed (an assignment made again under a new seed leaves the old one unread); else null.
 */
export function pendingExposure(
  stored: FlatProfile,
  campaignId: string,
  variantId: string,
  seed: string,
): ExposureRow | null {
  const raw = stored[field(P.pendingExposure, campaignId)];
  if (typeof raw !== 'string') return null;
  let row: unknown;
  try {
    row = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!row || typeof row !== 'object') return null;
  const r = row as Partial<ExposureRow>;
  if (r.variantId !== variantId || r.seed !== seed) return null;
  const text = (x: unknown) => (typeof x === 'string' ? x : '');
  const out: ExposureRow = {
    campaignId,
    seed,
    variantId,
    device: text(r.device),
    source: text(r.source),
    segments: text(r.segments),
    cluster: text(r.cluster),
    prePageviews: typeof r.prePageviews === 'number' ? r.prePageviews : 0,
  };
  if (typeof r.context === 'string') out.context = r.context;
  if (typeof r.p === 'number' && r.p > 0 && r.p <= 1) out.p = r.p;
  return out;
}

export interface ConversionRow {
  eventId: string;
  campaignId: string;
  seed: string;
  variantId: string;
  goal: string;
  value: number;
}

export interface SlotEventRow {
  eventId: string;
  kind: 'impression' | 'click';
  campaignId: string;
  seed: string;
  variantId: string;
}

/** A training row of the propensity model: the features at a session start (labelled later, from conversions). */
export interface TrainingRowOut {
  goal: string;
  features: number[];
}

/**
 * One secondary-metric amount (engine/secondary.ts: sessions, sessions that reached a second page,
 * pageviews, engaged ms, and the per-session sums of squares the intervals need) of one event for one
 * campaign the visitor is assigned to (or held out of). Every row of a session counts in the minute and
 * day the session started (`sessionStart`), so a counter bucket holds whole sessions; the rows of a
 * session whose start was not counted for the campaign (the visitor was assigned mid-visit) are not
 * counted either (db/measurement.ts guards them by the session's key).
 */
export interface MetricRow {
  eventId: string;
  campaignId: string;
  seed: string;
  variantId: string;
  metric: SecondaryMetric;
  amount: number;
  /** the visit number of the session the event belongs to */
  visit: number;
  /** when that session started (ms) */
  sessionStart: number;
}

export interface Measurement {
  exposures: ExposureRow[];
  conversions: ConversionRow[];
  slotEvents: SlotEventRow[];
  trainingRows?: TrainingRowOut[];
  /** secondary metrics (sessions, bounce, pages and engaged time per session); absent: none */
  metrics?: MetricRow[];
  /** clicks on listed items per position and the conversions attributed to them (item-attribution.ts); absent: none */
  itemMetrics?: ItemMetricRow[];
}

/** Everything one request stores, as data: the adapters persist exactly this. */
export interface Writes {
  visitorId: string;
  at: number;
  /** profile op groups and the path that owns the fields they touch; null when nothing changes */
  profile: { writer: Writer; groups: OpGroup[]; ttlSeconds: number } | null;
  measurement: Measurement;
}

export const isEmptyMeasurement = (m: Measurement): boolean =>
  m.exposures.length === 0 &&
  m.conversions.length === 0 &&
  m.slotEvents.length === 0 &&
  !m.trainingRows?.length &&
  !m.metrics?.length &&
  !m.itemMetrics?.length;

// ---- the page ----

export interface PageInput {
  doc: CompiledDocument;
  visitorId: string;
  /** the stored profile (empty for a new visitor) */
  stored: FlatProfile;
  facts: RequestFacts;
  /**
   * `page`: a real page view, whose consequences `settle` returns; `decide`: the decision API, decided
   * and settled as a page is, except that its exposures wait for the client to report the slot's
   * impression (stored as pending, see {@link pendingExposure}); `preview`: a QA preview (shown, never
   * stored); `explain`: `/__hio/me` (nothing shown or stored, every reason phrased)
   */
  mode: 'page' | 'decide' | 'preview' | 'explain';
  force?: { campaign: string; variant: string };
  banditWeights?: Readonly<Record<string, number[]>>;
  contextShares?: Readonly<Record<string, ContextShares>>;
  /** the trained propensity model, when one exists */
  propensity?: PropensityRecord | null;
  /** the discovered clusters, when the scheduled job has found some */
  clusters?: ClusterRecord | null;
  /** variants stopped by guardrails, by campaign */
  stopped?: DecideInput['stopped'];
  /** the catalogue and the learned model, for recommendation variants (isolate-cached, no I/O here) */
  recommendations?: RecommendContext | null;
}

export interface PagePlan {
  view: ProfileView;
  /** the micro-signals (also boolean attributes), each with the values that decided it */
  signals: Record<SignalName, Signal>;
  attributes: Record<string, unknown> & { segments: string[] };
  result: DecideResult;
  /** where `propensity` came from: the trained model (with its version) or the heuristic */
  propensity: {
    score: number;
    source: 'model' | 'heuristic';
    goal?: string;
    trainedAt?: number;
    auc?: number;
  };
  rewrite: RewritePlan;
  /** What to store once the page has streamed, given the campaigns whose slots were on it. */
  settle(matched: ReadonlySet<string>): Writes;
}

export function planPage(input: PageInput): PagePlan {
  const { doc, now } = { doc: input.doc, now: input.facts.now };
  const counted = input.mode === 'page' || input.mode === 'decide';
  // the decision API holds exposures until the client reports the slot's impression
  const held = input.mode === 'decide';
  // attributes describe the visitor as of this request: apply its pageview to a copy (the beacon
  // stores it for real when the browser script reports the page)
  const current = { ...input.stored };
  if (input.mode !== 'explain') applyOps(current, [{ ops: pageviewOps(now, doc.settings.sessionTimeoutMs) }]);
  const view = readProfile(current, now, {
    sessionTimeoutMs: doc.settings.sessionTimeoutMs,
    interestHalfLifeMs: doc.settings.interestHalfLifeMs,
    topInterestMin: 1,
  });
  const signals = computeSignals(current, now, doc.settings.signals);
  const attributes = buildAttributes(view, input.facts, doc, input.propensity, input.clusters, signals);
  const model = input.propensity;
  const propensity = model
    ? {
        score: Number(attributes.propensity),
        source: 'model' as const,
        goal: model.goal,
        trainedAt: model.trainedAt,
        auc: model.auc,
      }
    : { score: Number(attributes.propensity), source: 'heuristic' as const };
  const assignments = storedAssignments(input.stored);
  const result = decide({
    doc,
    visitorId: input.visitorId,
    attributes,
    assignments,
    exposuresToday: exposuresToday(input.stored, now),
    shownThisSession: shownThisSession(current),
    visit: num(current, F.visits),
    now,
    force: input.force,
    banditWeights: input.banditWeights,
    contextShares: input.contextShares,
    stopped: input.stopped,
    reasons: input.mode === 'explain',
  });
  const writes: SlotWrite[] = [];
  // recommendation variants render their items (recommend-render.ts); nothing to show keeps the origin's content
  const recommended = recommendationRenderer({
    ctx: input.recommendations,
    profile: current,
    attributes,
    path: input.facts.url.pathname,
  });
  for (const d of result.decisions) {
    d.campaign.slots.forEach((slot, i) => {
      const t = d.variant.contents[i];
      const rec = d.variant.recommend;
      writes.push({
        selector: slot.selector,
        action: slot.action,
        name: slot.name,
        campaign: d.campaign.id,
        variant: d.variant.id,
        content: t === undefined ? undefined : rec ? recommended(rec, t) : renderSafe(t, attributes),
      });
    });
  }
  // a held-out visitor is exposed to a campaign when its slot is on the page, as a shown one would be
  const probes = result.heldOut.flatMap((c) =>
    c.slots.map((s) => ({ selector: s.selector, campaign: c.id })),
  );

  function settle(matched: ReadonlySet<string>): Writes {
    const ops: Op[] = [];
    const exposures: ExposureRow[] = [];
    const out: Writes = {
      visitorId: input.visitorId,
      at: now,
      profile: null,
      measurement: { exposures, conversions: [], slotEvents: [] },
    };
    if (!counted) return out;
    // a session starts: the features known now are a training row of the propensity model
    const goal = doc.settings.propensity.goal;
    if (goal && num(current, F.visits) !== num(input.stored, F.visits)) {
      out.measurement.trainingRows = [{ goal, features: propensityFeatures(attributes, goal) }];
    }
    if (input.stored[F.firstSeen] === undefined) {
      const variantId = result.holdout ? HOLDOUT_VARIANT : TREATED_VARIANT;
      exposures.push({ campaignId: ALL_CAMPAIGN, seed: ALL_SEED, variantId });
    }
    // only an exposure needs the breakdown
    let breakdownMemo: Breakdown | undefined;
    const breakdown = () => (breakdownMemo ??= breakdownOf(attributes, input.stored));
    // an exposure: counted now (a page showed the slot), or held until the impression (decision API)
    const expose = (row: ExposureRow) => {
      if (!held) exposures.push(row);
      else ops.push({ o: 'set', f: field(P.pendingExposure, row.campaignId), v: encodePendingExposure(row) });
    };
    for (const c of result.heldOut) {
      const heldOut = encodeAssignment(HOLDOUT_VARIANT, c.seed);
      if (!matched.has(c.id)) continue;
      if (assignments[c.id] === heldOut) {
        countPending(c.id, HOLDOUT_VARIANT, c.seed);
        continue;
      }
      ops.push({ o: 'set', f: field(P.assignment, c.id), v: heldOut });
      expose({ campaignId: c.id, seed: c.seed, variantId: HOLDOUT_VARIANT, ...breakdown() });
    }
    // a page that shows a slot the decision API assigned (and whose impression never came) exposes it
    function countPending(campaignId: string, variantId: string, seed: string) {
      if (held) return;
      const pending = pendingExposure(input.stored, campaignId, variantId, seed);
      if (pending) exposures.push(pending);
    }
    const visit = num(current, F.visits);
    for (const d of result.decisions) {
      if (d.preview || !matched.has(d.campaign.id)) continue;
      const c = d.campaign;
      if (d.newAssignment) {
        ops.push({ o: 'set', f: field(P.assignment, c.id), v: encodeAssignment(d.variant.id, c.seed) });
        expose({
          campaignId: c.id,
          seed: c.seed,
          variantId: d.variant.id,
          context: d.context,
          p: d.p,
          ...breakdown(),
        });
      } else countPending(c.id, d.variant.id, c.seed);
      if (c.stable && num(input.stored, field(P.stableShown, c.id)) !== visit) {
        ops.push({ o: 'set', f: field(P.stableShown, c.id), v: visit });
      }
      if (c.perDayCap !== undefined)
        ops.push({ o: 'daily', f: field(P.exposuresDaily, c.id), day: utcDay(now) });
    }
    if (ops.length)
      out.profile = { writer: 'page', groups: [{ ops }], ttlSeconds: doc.settings.retentionSeconds };
    return out;
  }

  return { view, signals, attributes, result, propensity, rewrite: { writes, probes }, settle };
}

// ---- the beacon ----

export interface BeaconInput {
  doc: CompiledDocument;
  visitorId: string;
  /** the stored profile before this batch */
  stored: FlatProfile;
  events: readonly HioEvent[];
  now: number;
}

const zip = (
  metrics: [SecondaryMetric, SecondaryMetric],
  amounts: [number, number],
): [SecondaryMetric, number][] => [
  [metrics[0], amounts[0]],
  [metrics[1], amounts[1]],
];

/**
 * The op groups of a batch (one per event, keyed by its id so a resent batch is skipped) and its
 * measurement rows, which follow from the events alone: they are written whether or not this
 * particular store call applied the events (a lost reply must not lose the rows), and they are
 * idempotent by event id in D1. The secondary-metric rows also depend on where each event falls in the
 * visitor's sessions, read from the stored profile: a batch planned again after its profile write
 * landed sees its own pageviews as the session's past (docs/measurement.md says what that costs).
 */
export function planBeacon(input: BeaconInput): Writes {
  const { doc, visitorId, now } = input;
  // pages without a category meta tag get one from the document's URL rules; conversions of goals
  // the document does not name are dropped (accepted, never stored)
  const events = input.events
    .filter((e) => e.t !== 'conversion' || doc.settings.goals.has(e.goal))
    .map((e) =>
      e.t === 'pageview' && !e.category && e.path
        ? { ...e, category: categoryFromRules(doc, e.path.split('?')[0] ?? '') ?? undefined }
        : e,
    );
  const fold = {
    now,
    profile: input.stored,
    sessionTimeoutMs: doc.settings.sessionTimeoutMs,
    interestHalfLifeMs: doc.settings.interestHalfLifeMs,
    cartGoal: doc.settings.signals.cartGoal,
    purchaseGoal: doc.settings.signals.purchaseGoal,
  };
  const groups = foldEvents(events, fold);
  // the visit each event belongs to, by the same arithmetic as the fold (secondary metrics)
  const sessions = sessionsOf(events, fold);
  const stored = storedAssignments(input.stored);
  // the variant each campaign assigned this visitor before the batch (under the campaign's current seed)
  const assigned = new Map<string, string>();
  for (const c of doc.campaigns) {
    const variant = assignedVariant(stored[c.id], c.seed);
    if (variant) assigned.set(c.id, variant);
  }
  const byId = new Map(doc.campaigns.map((c) => [c.id, c]));
  const measurement: Measurement = { exposures: [], conversions: [], slotEvents: [] };
  const metrics: MetricRow[] = [];
  const programme = isInHoldout(doc, visitorId) ? HOLDOUT_VARIANT : TREATED_VARIANT;
  const exposed = new Set<string>();
  events.forEach((e, i) => {
    if (e.t === 'conversion') {
      const value = e.value ?? 0;
      const row = (campaignId: string, seed: string, variantId: string): ConversionRow => ({
        eventId: e.id,
        campaignId,
        seed,
        variantId,
        goal: e.goal,
        value,
      });
      for (const c of doc.campaigns) {
        const variant = assigned.get(c.id);
        if (!variant || (c.goals.length > 0 && !c.goals.includes(e.goal))) continue;
        measurement.conversions.push(row(c.id, c.seed, variant));
      }
      measurement.conversions.push(row(ALL_CAMPAIGN, ALL_SEED, programme));
    } else if (e.t === 'impression' || e.t === 'click') {
      const c = byId.get(e.campaign);
      // count only what this visitor was really shown: the marker must match the assignment
      if (!c || assigned.get(c.id) !== e.variant) return;
      // the impression of a slot the decision API filled is its exposure (idempotent in D1)
      if (e.t === 'impression' && !exposed.has(c.id)) {
        const pending = pendingExposure(input.stored, c.id, e.variant, c.seed);
        if (pending) {
          exposed.add(c.id);
          measurement.exposures.push(pending);
        }
      }
      // a held-out slot is marked only so that its impression exposes it
      if (e.variant === HOLDOUT_VARIANT) return;
      measurement.slotEvents.push({
        eventId: e.id,
        kind: e.t,
        campaignId: c.id,
        seed: c.seed,
        variantId: e.variant,
      });
    } else if (e.t === 'pageview' || e.t === 'engaged') {
      // secondary metrics, for every campaign the visitor is assigned to (the holdout arm too: the baseline)
      const s = sessions[i];
      if (!s || s.visit < 1) return;
      // what the session does after its first session timeout, or beyond the caps, the pages and
      // engaged-time guardrails leave out: counted by the time a guardrail reads the session
      const age = now - s.startedAt;
      const horizon = doc.settings.sessionTimeoutMs;
      const amounts: [SecondaryMetric, number][] =
        e.t === 'pageview'
          ? [
              ['sessions', s.page === 1 ? 1 : 0],
              ['multi_page_sessions', s.page === 2 ? 1 : 0],
              ['pageviews', 1],
              // the k-th page adds k² - (k-1)² to the session's pageviews², so the sum is Σ pages²
              ['pageviews_sq', 2 * s.page - 1],
              ...zip(['pageviews_excess', 'pageviews_sq_excess'], pageExcess(s.page, age, horizon)),
            ]
          : [
              ['engaged_ms', e.ms],
              ['engaged_s2', engagedSquareIncrement(s.engagedBefore, e.ms)],
              ...zip(
                ['engaged_ms_excess', 'engaged_s2_excess'],
                engagedExcess(s.engagedBefore, e.ms, age, horizon),
              ),
            ];
      for (const c of doc.campaigns) {
        const variantId = assigned.get(c.id);
        if (!variantId) continue;
        for (const [metric, amount] of amounts) {
          if (amount <= 0) continue;
          metrics.push({
            eventId: e.id,
            campaignId: c.id,
            seed: c.seed,
            variantId,
            metric,
            amount,
            visit: s.visit,
            sessionStart: s.startedAt,
          });
        }
      }
    }
  });
  if (metrics.length) measurement.metrics = metrics;
  // clicks on listed items (recommendations) per position, and what they led to in the visit
  const items = itemAttributionRows({ doc, stored: input.stored, events, sessions, groups, assigned, now });
  if (items.length) measurement.itemMetrics = items;
  return {
    visitorId,
    at: now,
    profile: { writer: 'beacon', groups, ttlSeconds: doc.settings.retentionSeconds },
    measurement,
  };
}
