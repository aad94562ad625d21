/**
 * @module document
 * The campaign document: its schema, the checks a schema cannot express (unique ids, weights that
 * match the variants, known segments, valid conditions and templates), and its compiled form that
 * the decision reads on every request. A bad document is refused with every problem listed.
 */
import * as v from 'valibot';
import { validateCondition } from './condition.ts';
import { type GuardrailRule, guardrailRuleError } from './guardrails.ts';
import { RECOMMEND_STRATEGIES } from './recommend.ts';
import {
  DEFAULT_RECOMMEND_COUNT,
  ITEM_FIELDS,
  MAX_RECOMMEND_COUNT,
  markItemTemplate,
  type RecommendSpec,
  unknownItemPaths,
} from './recommend-render.ts';
import { regexProblem } from './safe-regex.ts';
import { DEFAULT_SIGNAL_SETTINGS, type SignalSettings } from './signals.ts';
import { parseTemplate } from './template.ts';
import { compileSafeAttribute, compileSafeTemplate, type SafeTemplate } from './template-safe.ts';

const ACTIONS = ['replace', 'prepend', 'append', 'before', 'after', 'setAttribute'] as const;
export type SlotAction = (typeof ACTIONS)[number];

const idString = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, 'must be 1-64 characters of [A-Za-z0-9_.:-]'),
);
const condition = v.record(v.string(), v.unknown());
const isoDate = v.pipe(
  v.string(),
  v.isoTimestamp('must be an ISO 8601 timestamp, e.g. 2026-12-01T00:00:00Z'),
);
const fraction = v.pipe(v.number(), v.minValue(0), v.maxValue(1));

const SlotSchema = v.strictObject({
  selector: v.pipe(v.string(), v.minLength(1), v.maxLength(256)),
  action: v.picklist(ACTIONS),
  name: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z_:][-A-Za-z0-9_:.]*$/, 'must be an attribute name'))),
});

const VariantSchema = v.strictObject({
  id: idString,
  html: v.optional(v.pipe(v.string(), v.maxLength(32_768))),
  value: v.optional(v.pipe(v.string(), v.maxLength(4096))),
  /** multivariate: content per named slot of the campaign's `slots` */
  slots: v.optional(v.record(v.string(), v.pipe(v.string(), v.maxLength(32_768)))),
  /**
   * a recommendation variant: `html` is the template each recommended item renders with
   * (`{{ item.title }}`, ...), the items chosen by `strategy` (engine/recommend.ts)
   */
  recommend: v.optional(
    v.strictObject({
      strategy: v.picklist(RECOMMEND_STRATEGIES),
      count: v.optional(
        v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_RECOMMEND_COUNT)),
        DEFAULT_RECOMMEND_COUNT,
      ),
      exclude: v.optional(v.picklist(['viewed', 'purchased', 'none']), 'viewed'),
    }),
  ),
});

const CampaignSchema = v.strictObject({
  id: idString,
  name: v.optional(v.string()),
  status: v.optional(v.picklist(['active', 'paused', 'draft']), 'active'),
  slot: v.optional(SlotSchema),
  slots: v.optional(v.record(v.string(), SlotSchema)),
  targeting: v.optional(condition),
  allocation: v.optional(v.picklist(['ab', 'bandit', 'contextual']), 'ab'),
  /** contextual: what a context is, e.g. ["device"], ["topInterest"], ["segments"], ["cluster"] */
  context: v.optional(
    v.pipe(
      v.array(v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, 'must be an attribute name'))),
      v.minLength(1, 'needs at least one attribute'),
      v.maxLength(3, 'at most three attributes'),
    ),
  ),
  /** automatic actions when a variant's metric over a sliding window is below/above a threshold */
  guardrails: v.optional(
    v.pipe(
      v.array(
        v.strictObject({
          metric: v.pipe(
            v.string(),
            v.regex(
              /^(ctr|bounce|pagesPerSession|engagedTime|conversion:[A-Za-z0-9][A-Za-z0-9_.:-]{0,63})$/,
              'must be "ctr", "bounce", "pagesPerSession", "engagedTime" or "conversion:<goal>"',
            ),
          ),
          // a rate, or pages / engaged seconds per session: guardrailRuleError checks the range per metric
          below: v.optional(v.pipe(v.number(), v.finite())),
          above: v.optional(v.pipe(v.number(), v.finite())),
          window: v.string(),
          min: v.pipe(v.number(), v.integer(), v.minValue(1)),
          action: v.picklist(['pause', 'swap']),
          to: v.optional(idString),
        }),
      ),
      v.maxLength(10),
    ),
    [],
  ),
  /** adaptive allocations: the least share every variant keeps (default 0.05 bandit, 0.02 contextual) */
  minShare: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(0.2))),
  coverage: v.optional(fraction, 1),
  weights: v.optional(v.array(fraction)),
  variants: v.pipe(v.array(VariantSchema), v.minLength(1, 'needs at least one variant')),
  goals: v.optional(v.pipe(v.array(idString), v.maxLength(20)), []),
  priority: v.optional(v.number(), 0),
  seed: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(128))),
  hashVersion: v.optional(v.picklist([1, 2]), 2),
  group: v.optional(idString),
  start: v.optional(isoDate),
  end: v.optional(isoDate),
  frequencyCap: v.optional(v.strictObject({ perDay: v.pipe(v.number(), v.integer(), v.minValue(1)) })),
  /**
   * once shown in a session, keep the slot for the rest of the session; default: as
   * `settings.slotChanges` says ("session": true, "any": false)
   */
  stable: v.optional(v.boolean()),
});

const SettingsSchema = v.strictObject({
  /**
   * how often a slot may change: "session" (a campaign shown in a slot keeps it for the rest of the
   * session, unless the campaign says `stable: false`) or "any" (every request decides afresh, unless
   * the campaign says `stable: true`). Default "any" (docs/signals.md says why).
   */
  slotChanges: v.optional(v.picklist(['session', 'any']), 'any'),
  /** discovered segments: how many clusters (default: chosen by the silhouette, 2-6) */
  clusters: v.optional(
    v.strictObject({ k: v.optional(v.pipe(v.number(), v.integer(), v.minValue(2), v.maxValue(8))) }),
    {},
  ),
  /**
   * The trained propensity model: which goal it predicts (default: the first of `goals`, else the first
   * campaign goal) and the window after a session start in which a conversion counts (default 168 h).
   */
  propensity: v.optional(
    v.strictObject({
      goal: v.optional(idString),
      windowHours: v.optional(v.pipe(v.number(), v.minValue(0.01), v.maxValue(24 * 90)), 168),
    }),
    {},
  ),
  /**
   * Goals worth storing besides those campaigns name (in `goals` or in conditions on
   * `conversions.<goal>`): a conversion of any other goal is accepted and dropped, so nobody can grow a
   * profile with made-up goal names.
   */
  goals: v.optional(v.pipe(v.array(idString), v.maxLength(100)), []),
  /** micro-signal thresholds (docs/signals.md); each defaults as documented there */
  signals: v.optional(
    v.strictObject({
      hesitatedSeconds: v.optional(v.pipe(v.number(), v.minValue(1), v.maxValue(3600)), 15),
      deepReaderScroll: v.optional(v.picklist([25, 50, 75, 90, 100]), 75),
      deepReaderSeconds: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(3600)), 30),
      returningSoonHours: v.optional(v.pipe(v.number(), v.minValue(0.1), v.maxValue(24 * 30)), 24),
      bouncedSeconds: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(600)), 10),
      cartGoal: v.optional(idString, 'add_to_cart'),
      purchaseGoal: v.optional(idString, 'purchase'),
    }),
    {},
  ),
  sessionTimeoutMinutes: v.optional(v.pipe(v.number(), v.minValue(1), v.maxValue(1440)), 30),
  interestHalfLifeDays: v.optional(v.pipe(v.number(), v.minValue(0.01), v.maxValue(3650)), 7),
  retentionDays: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(400)), 90),
  /** URL rules for page interest: the first pattern that matches the path names the category */
  categoryRules: v.optional(
    v.array(v.strictObject({ pattern: v.pipe(v.string(), v.maxLength(256)), category: v.string() })),
    [],
  ),
  privacy: v.optional(
    v.strictObject({
      /** visitors whose browser sends the Global Privacy Control signal are not profiled */
      honorGlobalPrivacyControl: v.optional(v.boolean(), true),
      /** when set, HIO profiles only visitors carrying this consent cookie (with this value, if given) */
      consentCookie: v.optional(
        v.strictObject({
          name: v.pipe(v.string(), v.regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/, 'must be a cookie name')),
          value: v.optional(v.pipe(v.string(), v.maxLength(256))),
        }),
      ),
    }),
    {},
  ),
});

export const DocumentSchema = v.strictObject({
  version: v.literal(1),
  holdout: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(0.5)), 0),
  segments: v.optional(v.record(idString, condition), {}),
  savedGroups: v.optional(v.record(v.string(), v.array(v.unknown())), {}),
  settings: v.optional(SettingsSchema, {}),
  campaigns: v.pipe(v.array(CampaignSchema), v.maxLength(500)),
});

export type CampaignDocument = v.InferOutput<typeof DocumentSchema>;

/**
 * The least share per variant of a contextual campaign unless it says otherwise: the floor caps what
 * any policy can capture (with 3 variants a 5 % floor leaves at most 85 % of the oracle's lift; the
 * simulator, docs/learning.md, measured the contextual policy at 77 % of it with 0.05 and 84 % with 0.02).
 */
export const CONTEXTUAL_MIN_SHARE = 0.02;
export type CampaignInput = v.InferOutput<typeof CampaignSchema>;

export interface CompiledSlot {
  key: string;
  selector: string;
  action: SlotAction;
  name?: string;
}

export interface CompiledVariant {
  id: string;
  control: boolean;
  /** content per slot (aligned with the campaign's slots); undefined leaves the origin's content */
  contents: (SafeTemplate | undefined)[];
  /**
   * a recommendation variant: its one slot's content is the per-item template (its first element
   * marked with the item and its position, engine/recommend-render.ts), rendered once per item
   */
  recommend?: RecommendSpec;
}

export interface CompiledCampaign {
  id: string;
  status: 'active' | 'paused' | 'draft';
  slots: CompiledSlot[];
  targeting: Record<string, unknown> | undefined;
  allocation: 'ab' | 'bandit' | 'contextual';
  /** contextual: the attributes whose values make a context */
  context: string[];
  /** adaptive: the least share every variant keeps */
  minShare: number;
  guardrails: GuardrailRule[];
  coverage: number;
  weights: number[];
  variants: CompiledVariant[];
  goals: string[];
  priority: number;
  seed: string;
  hashVersion: 1 | 2;
  group: string | undefined;
  start: number | undefined;
  end: number | undefined;
  perDayCap: number | undefined;
  stable: boolean;
}

export interface CompiledDocument {
  /** the document as it was given (what GET returns, so it can be PUT back) */
  source: unknown;
  holdout: number;
  segments: [string, Record<string, unknown>][];
  savedGroups: Record<string, unknown[]>;
  settings: {
    sessionTimeoutMs: number;
    interestHalfLifeMs: number;
    retentionSeconds: number;
    categoryRules: { re: RegExp; category: string }[];
    privacy: { honorGlobalPrivacyControl: boolean; consentCookie?: { name: string; value?: string } };
    /** every goal a conversion may be stored for (see `settings.goals`) */
    goals: ReadonlySet<string>;
    /** the goal the propensity model predicts (null: none named), and its label window */
    propensity: { goal: string | null; windowMs: number };
    /** the number of discovered clusters, when the document sets it */
    clusterK: number | undefined;
    /** micro-signal thresholds */
    signals: SignalSettings;
  };
  /** by priority, highest first (stable for equal priorities: document order) */
  campaigns: CompiledCampaign[];
  /** every selector any campaign writes to */
  selectors: string[];
}

export const EMPTY_DOCUMENT: CampaignDocument = {
  version: 1,
  holdout: 0,
  segments: {},
  savedGroups: {},
  settings: {
    slotChanges: 'any',
    sessionTimeoutMinutes: 30,
    interestHalfLifeDays: 7,
    retentionDays: 90,
    goals: [],
    propensity: { windowHours: 168 },
    clusters: {},
    signals: { ...DEFAULT_SIGNAL_SETTINGS, deepReaderScroll: 75 },
    categoryRules: [],
    privacy: { honorGlobalPrivacyControl: true },
  },
  campaigns: [],
};

export type ParseResult = { ok: true; doc: CompiledDocument } | { ok: false; problems: string[] };

/** Validates and compiles a document. Every problem found is reported, not just the first. */
export function parseDocument(input: unknown): ParseResult {
  const r = v.safeParse(DocumentSchema, input);
  if (!r.success) {
    return {
      ok: false,
      problems: r.issues.map((i) =>
        i.type === 'strict_object'
          ? `${v.getDotPath(i) ?? '(document)'}: unknown field (not part of the campaign document)`
          : `${v.getDotPath(i) ?? '(document)'}: ${i.message}`,
      ),
    };
  }
  const doc = r.output;
  const problems: string[] = [];
  const segmentNames = new Set(Object.keys(doc.segments));
  for (const [name, cond] of Object.entries(doc.segments)) {
    problems.push(...validateCondition(cond, `segments.${name}`));
  }
  const rules: { re: RegExp; category: string }[] = [];
  doc.settings.categoryRules.forEach((rule, i) => {
    const problem = regexProblem(rule.pattern);
    if (problem) problems.push(`settings.categoryRules.${i}.pattern: ${problem}`);
    else rules.push({ re: new RegExp(rule.pattern), category: rule.category.toLowerCase() });
  });
  const ids = new Set<string>();
  const campaigns: CompiledCampaign[] = [];
  doc.campaigns.forEach((c, i) => {
    const at = `campaigns.${i}`;
    const before = problems.length;
    if (ids.has(c.id)) problems.push(`${at}.id: duplicate campaign id "${c.id}"`);
    ids.add(c.id);
    if (c.targeting) {
      problems.push(...validateCondition(c.targeting, `${at}.targeting`));
      for (const name of referencedSegments(c.targeting)) {
        if (!segmentNames.has(name)) problems.push(`${at}.targeting: unknown segment "${name}"`);
      }
    }
    const slots = compileSlots(c, at, problems);
    const variantIds = new Set<string>();
    const variants: CompiledVariant[] = c.variants.map((variant, j) => {
      const vat = `${at}.variants.${j}`;
      if (variantIds.has(variant.id)) problems.push(`${vat}.id: duplicate variant id "${variant.id}"`);
      variantIds.add(variant.id);
      return compileVariant(variant, slots, vat, problems);
    });
    const weights = c.weights ?? c.variants.map(() => 1 / c.variants.length);
    if (weights.length !== c.variants.length) {
      problems.push(`${at}.weights: ${weights.length} weights for ${c.variants.length} variants`);
    } else if (Math.abs(weights.reduce((a, b) => a + b, 0) - 1) > 0.001) {
      problems.push(`${at}.weights: must sum to 1`);
    }
    if (c.allocation === 'contextual' && !c.context?.length)
      problems.push(`${at}.context: a contextual campaign names what a context is, e.g. ["device"]`);
    if (c.context && c.allocation !== 'contextual')
      problems.push(`${at}.context: only a contextual campaign has contexts`);
    if (c.minShare !== undefined && c.minShare * c.variants.length > 1)
      problems.push(
        `${at}.minShare: ${c.minShare} for ${c.variants.length} variants is more than all the traffic`,
      );
    c.guardrails.forEach((g, k) => {
      const problem = guardrailRuleError(
        g as GuardrailRule,
        c.variants.map((x) => x.id),
      );
      if (problem) problems.push(`${at}.guardrails.${k}: ${problem}`);
    });
    const start = c.start ? Date.parse(c.start) : undefined;
    const end = c.end ? Date.parse(c.end) : undefined;
    if (start !== undefined && end !== undefined && end <= start)
      problems.push(`${at}.end: must be after start`);
    if (problems.length > before) return;
    campaigns.push({
      id: c.id,
      status: c.status,
      slots,
      targeting: c.targeting,
      allocation: c.allocation,
      context: c.context ?? [],
      minShare: c.minShare ?? (c.allocation === 'contextual' ? CONTEXTUAL_MIN_SHARE : 0.05),
      guardrails: c.guardrails as GuardrailRule[],
      coverage: c.coverage,
      weights,
      variants,
      goals: c.goals,
      priority: c.priority,
      seed: c.seed ?? c.id,
      hashVersion: c.hashVersion,
      group: c.group,
      start,
      end,
      perDayCap: c.frequencyCap?.perDay,
      stable: c.stable ?? doc.settings.slotChanges === 'session',
    });
  });
  if (problems.length) return { ok: false, problems };
  const ordered = campaigns
    .map((c, i) => ({ c, i }))
    .sort((a, b) => b.c.priority - a.c.priority || a.i - b.i)
    .map((x) => x.c);
  return {
    ok: true,
    doc: {
      source: input,
      holdout: doc.holdout,
      segments: Object.entries(doc.segments),
      savedGroups: doc.savedGroups,
      settings: {
        sessionTimeoutMs: doc.settings.sessionTimeoutMinutes * 60_000,
        interestHalfLifeMs: doc.settings.interestHalfLifeDays * 86_400_000,
        retentionSeconds: doc.settings.retentionDays * 86_400,
        categoryRules: rules,
        privacy: doc.settings.privacy,
        goals: knownGoals(doc),
        propensity: {
          goal:
            doc.settings.propensity.goal ??
            doc.settings.goals[0] ??
            doc.campaigns.find((c) => c.goals[0])?.goals[0] ??
            null,
          windowMs: (doc.settings.propensity.windowHours ?? 168) * 3_600_000,
        },
        clusterK: doc.settings.clusters.k,
        signals: { ...DEFAULT_SIGNAL_SETTINGS, ...doc.settings.signals },
      },
      campaigns: ordered,
      selectors: [...new Set(ordered.flatMap((c) => c.slots.map((s) => s.selector)))],
    },
  };
}

function compileSlots(c: CampaignInput, at: string, problems: string[]): CompiledSlot[] {
  const out: CompiledSlot[] = [];
  if (c.slot && c.slots) problems.push(`${at}: give either "slot" or "slots", not both`);
  else if (c.slot) out.push({ key: 'default', ...c.slot });
  else if (c.slots) for (const [key, s] of Object.entries(c.slots)) out.push({ key, ...s });
  if (!out.length) problems.push(`${at}.slot: a campaign needs a slot`);
  for (const s of out) {
    if (s.action === 'setAttribute' && !s.name)
      problems.push(`${at}.slot.name: setAttribute needs an attribute name`);
    if (/[<>{}]/.test(s.selector))
      problems.push(`${at}.slot.selector: "${s.selector}" is not a CSS selector`);
  }
  return out;
}

function compileVariant(
  variant: CampaignInput['variants'][number],
  slots: CompiledSlot[],
  at: string,
  problems: string[],
): CompiledVariant {
  const contents: (SafeTemplate | undefined)[] = [];
  // Templates are compiled knowing where each {{ }} lands: inside an event handler, style, srcdoc or
  // script no escaping is safe, so such a document is refused; a URL attribute keeps only http(s) and
  // relative URLs when it is rendered.
  const compile = (src: string | undefined, slot: CompiledSlot, where: string): SafeTemplate | undefined => {
    if (src === undefined) return undefined;
    const t =
      slot.action === 'setAttribute' && slot.name
        ? compileSafeAttribute(slot.name, src, where)
        : compileSafeTemplate(src, where);
    if (!t.ok) {
      problems.push(...t.problems);
      return undefined;
    }
    return t.template;
  };
  if (variant.recommend) return compileRecommendVariant(variant, slots, at, problems);
  if (variant.slots) {
    for (const key of Object.keys(variant.slots)) {
      if (!slots.some((s) => s.key === key))
        problems.push(`${at}.slots.${key}: the campaign has no slot "${key}"`);
    }
    for (const s of slots) contents.push(compile(variant.slots[s.key], s, `${at}.slots.${s.key}`));
  } else {
    for (const s of slots) {
      const src = s.action === 'setAttribute' ? variant.value : variant.html;
      contents.push(compile(src, s, `${at}.${s.action === 'setAttribute' ? 'value' : 'html'}`));
    }
  }
  return { id: variant.id, control: contents.every((x) => x === undefined), contents };
}

/**
 * A recommendation variant: one slot that takes html, and an item template naming known item fields.
 * The template is compiled with its first element marked (`data-hio-item`, `data-hio-pos`).
 */
function compileRecommendVariant(
  variant: CampaignInput['variants'][number],
  slots: CompiledSlot[],
  at: string,
  problems: string[],
): CompiledVariant {
  const spec = variant.recommend as RecommendSpec;
  const out: CompiledVariant = { id: variant.id, control: false, contents: [], recommend: spec };
  const before = problems.length;
  if (variant.slots || variant.value !== undefined)
    problems.push(
      `${at}.recommend: a recommendation variant renders its items with "html", not "slots" or "value"`,
    );
  if (variant.html === undefined)
    problems.push(`${at}.html: a recommendation variant needs "html", the template each item renders with`);
  if (slots.length !== 1)
    problems.push(
      `${at}.recommend: a recommendation variant fills one slot; the campaign has ${slots.length}`,
    );
  else if (slots[0]?.action === 'setAttribute')
    problems.push(`${at}.recommend: a recommendation variant writes html, not an attribute (setAttribute)`);
  if (problems.length > before || variant.html === undefined) return out;
  const parsed = parseTemplate(variant.html);
  if (parsed.ok) {
    const paths = parsed.template.flatMap((p) => (typeof p === 'string' ? [] : [p.path]));
    for (const name of unknownItemPaths(paths))
      problems.push(`${at}.html: "{{ ${name} }}" is not an item field (${ITEM_FIELDS.join(', ')})`);
  }
  const t = compileSafeTemplate(markItemTemplate(variant.html), `${at}.html`);
  if (!t.ok) problems.push(...t.problems);
  else out.contents.push(t.template);
  return out;
}

/** Whether any campaign has a recommendation variant (then the page path loads the catalogue and model). */
export function usesRecommendations(doc: CompiledDocument): boolean {
  return doc.campaigns.some((c) => c.variants.some((x) => x.recommend !== undefined));
}

/** Names used in `{ segments: { $in | $nin | $all | $elemMatch... : [...] } }` conditions. */
export function referencedSegments(cond: unknown): string[] {
  const out: string[] = [];
  const walk = (node: unknown, underSegments: boolean): void => {
    if (Array.isArray(node)) {
      for (const x of node) {
        if (underSegments && typeof x === 'string') out.push(x);
        else walk(x, underSegments);
      }
    } else if (node && typeof node === 'object') {
      for (const [k, val] of Object.entries(node))
        walk(val, (underSegments || k === 'segments') && k !== '$regex');
    } else if (underSegments && typeof node === 'string') out.push(node);
  };
  walk(cond, false);
  return out;
}

/** Goals a document cares about: `settings.goals`, campaigns' `goals`, and conditions on `conversions.<goal>`. */
function knownGoals(doc: CampaignDocument): Set<string> {
  const out = new Set<string>(doc.settings.goals);
  // the goals of cartAbandoned are stored whether or not a campaign names them
  out.add(doc.settings.signals.cartGoal);
  out.add(doc.settings.signals.purchaseGoal);
  if (doc.settings.propensity.goal) out.add(doc.settings.propensity.goal);
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [k, val] of Object.entries(node)) {
        const m = /^(?:conversions|conversionValue)\.(.+)$/.exec(k);
        if (m?.[1]) out.add(m[1]);
        walk(val);
      }
    }
  };
  for (const c of doc.campaigns) {
    for (const g of c.goals) out.add(g);
    for (const r of c.guardrails)
      if (r.metric.startsWith('conversion:')) out.add(r.metric.slice('conversion:'.length));
    walk(c.targeting);
  }
  walk(doc.segments);
  return out;
}
