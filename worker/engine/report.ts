/**
 * @module report
 * Experiment results from raw counts: per campaign and variant the rates, lift against control with
 * its interval, p-values (fixed-horizon, Holm-adjusted over every variant x goal of the campaign, and
 * the always-valid sequential one), chance to beat control, expected loss, revenue per visitor with
 * Welch's t-test, a sample-ratio-mismatch check, the campaign's holdout, and the programme-wide lift
 * of everything HIO does against the global holdout. Adaptive campaigns (bandit, contextual) also get
 * `adaptive`: rates weighted by the logged probability of each visitor's variant, since their plain rates
 * compare visitors from different times and contexts (see adaptive-results.ts). Where counts are small
 * (an expected cell below 5) a variant's goal also gets `smallSample`: Fisher's exact p-value and Koopman's
 * score interval. With breakdown rows, each campaign gets `breakdowns` per device, source, segment and
 * cluster (see breakdowns.ts); with pre-exposure covariate sums, each goal gets its CUPED-adjusted lift
 * beside the plain one (see cuped.ts). Each variant (and the campaign's holdout) also gets `secondary`:
 * sessions, bounce rate, pages and engaged time per session and CTR, with intervals (see secondary.ts).
 * Pure: counts in, JSON-ready report out.
 */
import {
  type AdaptiveVariant,
  type ContextVariant,
  type Shares,
  type WeightedSums,
  type WhatIf,
  weightedContexts,
  weightedVariants,
  whatIf,
} from './adaptive-results.ts';
import { type Breakdown, type BreakdownRow, breakdownSections } from './breakdowns.ts';
import { type CupedResult, cupedLift, type MomentSums } from './cuped.ts';
import type { CompiledCampaign, CompiledDocument } from './document.ts';
import {
  type ItemCountRow,
  type ItemsResult,
  itemSums,
  type PositionSums,
  type StrategyResult,
  strategyResults,
  variantItems,
} from './item-results.ts';
import {
  EMPTY_SECONDARY,
  isSecondaryMetric,
  type SecondaryResult,
  type SecondarySums,
  secondaryResult,
} from './secondary.ts';
import { fisherExact, liftInterval, whichMethod } from './small-sample.ts';
import {
  type Counts,
  chanceToBeatControl,
  expectedLoss,
  holm,
  proportionTest,
  sequentialPValue,
  srmPValue,
  type Verdict,
  verdict,
  welchTest,
} from './stats.ts';

export const HOLDOUT = '__holdout';
export const TREATED = '__treated';
export const ALL = '__all';

/** One variant on one day: first-exposed visitors, first conversions per goal, impressions, clicks. */
export interface DayRow {
  day: string;
  variant: string;
  visitors: number;
  conversions: Record<string, number>;
  impressions: number;
  clicks: number;
}

export interface RawCounts {
  /** unique exposed visitors by first-exposure day */
  exposures: { campaignId: string; seed: string; variantId: string; day: string; visitors: number }[];
  /** per variant and goal: converting visitors and the sum / sum of squares of their per-visitor value */
  conversions: {
    campaignId: string;
    seed: string;
    variantId: string;
    goal: string;
    converters: number;
    valueSum: number;
    valueSumSq: number;
    /**
     * the same sums with each visitor's value winsorized at the 99th percentile of converters' values
     * (per campaign and goal), which the revenue test uses so one outlier (or one faked huge value)
     * cannot decide it; absent: the plain sums
     */
    winsorizedSum?: number;
    winsorizedSumSq?: number;
  }[];
  /** converting visitors by the day of their first conversion */
  conversionsDaily: {
    campaignId: string;
    seed: string;
    variantId: string;
    goal: string;
    day: string;
    converters: number;
  }[];
  /** viewable impressions and clicks per variant and day */
  slots: {
    campaignId: string;
    seed: string;
    variantId: string;
    day: string;
    impressions: number;
    clicks: number;
  }[];
  /**
   * Per campaign, seed, variant and secondary metric (engine/secondary.ts): the counter's sum over all
   * days. Absent: every variant's `secondary` is empty (no sessions).
   */
  secondary?: { campaignId: string; seed: string; variantId: string; metric: string; count: number }[];
  /**
   * Per campaign, seed, variant, list position and item metric (engine/item-attribution.ts): the sum
   * over all days. Absent: no list was clicked.
   */
  items?: ItemCountRow[];
  /**
   * Per campaign, goal, context and variant: sums over the exposed visitors of 1/p and r/p and their
   * squares, p the logged probability of the assigned variant in (0, 1] and r = 1 if the visitor converted
   * on `goal`. Absent when the store has no logged probabilities (then no report has `adaptive`).
   */
  weighted?: {
    campaignId: string;
    seed: string;
    goal: string;
    /** the context key at assignment ('' for non-contextual campaigns) */
    context: string;
    variantId: string;
    /** exposed visitors in this (campaign, context, variant) */
    n: number;
    /** Σ 1/p */
    w: number;
    /** Σ r/p */
    wr: number;
    /** Σ 1/p² */
    w2: number;
    /** Σ r/p² */
    w2r: number;
  }[];
  /**
   * Per campaign, breakdown (dimension, value), variant and goal: exposed visitors and, of them, converters
   * on `goal` (goal '' for the exposure-only row). Absent: no report has `breakdowns`.
   */
  breakdowns?: BreakdownRow[];
  /**
   * Per campaign, variant, goal and metric: sums over the exposed visitors of the metric y (converted 0/1,
   * or revenue) and the pre-exposure covariate x (the visitor's pageviews before exposure). Absent: no
   * goal has `cuped`.
   */
  cuped?: CupedRow[];
}

export type CupedMetric = 'conversion' | 'revenue';

export interface CupedRow extends MomentSums {
  campaignId: string;
  seed: string;
  variantId: string;
  goal: string;
  metric: CupedMetric;
}

/** The plain and the CUPED-adjusted lift of one metric (see cuped.ts). */
export interface CupedBlock {
  metric: CupedMetric;
  plain: CupedResult['plain'];
  adjusted: CupedResult['adjusted'];
  theta: number;
  varianceReduction: number;
  covariate: 'pageviews before exposure';
}

export interface ReportOptions {
  alpha?: number;
  /** visitors per arm before any verdict */
  minPerArm?: number;
  /** mixing sd of the always-valid p-value, as an absolute difference of rates */
  sequentialTau?: number;
  /** p-value under which the split is called broken */
  srmThreshold?: number;
  /** current weights of bandit campaigns */
  banditWeights?: Record<string, number[]>;
  /** current shares of contextual campaigns, aligned with the campaign's variants */
  contextualShares?: Record<string, { pooled: number[]; contexts: Record<string, number[]> }>;
}

export interface GoalResult {
  conversions: number;
  rate: number;
  value: number;
  revenuePerVisitor: number;
  /** against control; absent on the control itself */
  lift?: number;
  ci?: [number, number];
  pValue?: number;
  adjustedPValue?: number;
  sequentialPValue?: number;
  chanceToBeatControl?: number;
  expectedLoss?: number;
  revenue?: { lift: number; ci: [number, number]; pValue: number };
  verdict?: Verdict;
  /**
   * When the counts are too small for the normal approximation (`whichMethod`): Fisher's exact p-value
   * and Koopman's score interval of the lift, to read instead of `pValue` and `ci`.
   */
  smallSample?: { method: 'fisher'; pValue: number; ci: [number, number] };
  /** Variance-reduced lifts (CUPED), conversion then revenue, where covariate sums exist for both arms. */
  cuped?: CupedBlock[];
}

export interface VariantResult {
  id: string;
  control: boolean;
  weight: number;
  visitors: number;
  impressions: number;
  clicks: number;
  clickRate: number;
  goals: Record<string, GoalResult>;
  /** sessions, bounce rate, pages and engaged time per session, and CTR, with 95% intervals */
  secondary: SecondaryResult;
  /**
   * a recommendation variant, or one whose marked list was clicked: item CTR per position and the
   * conversions attributed to item clicks (engine/item-results.ts)
   */
  items?: ItemsResult;
}

export interface ArmSummary {
  visitors: number;
  goals: Record<string, { conversions: number; rate: number; value: number }>;
}

/** One context of a contextual campaign. */
export interface AdaptiveContext {
  /** the context key ('' when the visitor had none) */
  key: string;
  visitors: number;
  /** shares in force now, aligned with the campaign's variants; [] when unknown */
  shares: number[];
  /** whether `shares` are the context's own or the pooled ones it falls back to */
  sharesFrom: 'context' | 'pooled' | 'unknown';
  /** per variant in the campaign's order: weighted rate here, and its current share */
  variants: (ContextVariant & { share?: number })[];
  /** the variant with the highest weighted rate here; null while nobody here converted */
  best: { variant: string; rate: number; ci: [number, number] } | null;
}

/** Results of an adaptive campaign weighted by the logged probabilities (see adaptive-results.ts). */
export interface AdaptiveReport {
  method: 'inverse-probability weighting (Hájek)';
  /** the campaign's first goal */
  goal: string;
  /** exposed visitors with a logged probability */
  visitors: number;
  /** per variant, pooled over contexts: the rate had every visitor seen it, and the lift vs control */
  variants: AdaptiveVariant[];
  /** contextual campaigns: per context, most visitors first */
  contexts?: AdaptiveContext[];
  /** contextual campaigns: the estimated rate of other policies on the same visitors */
  whatIf?: WhatIf;
}

export interface CampaignReport {
  id: string;
  status: string;
  allocation: CompiledCampaign['allocation'];
  seed: string;
  goals: string[];
  controlId: string;
  srm: { pValue: number | null; warning: boolean };
  minPerArm: number;
  variants: VariantResult[];
  holdout: ArmSummary & {
    lift: Record<string, { lift: number; ci: [number, number]; pValue: number }>;
    /** the held-out visitors' sessions (they see no slot: no CTR) */
    secondary: SecondaryResult;
  };
  daily: DayRow[];
  /** adaptive campaigns: why the plain per-variant comparison above is not the one to read */
  note?: string;
  /** adaptive campaigns, when probabilities were logged: the weighted results */
  adaptive?: AdaptiveReport;
  /** per device, source, segment and cluster, when the store has breakdown rows for the campaign */
  breakdowns?: Breakdown[];
}

export interface ProgrammeReport {
  holdoutShare: number;
  treated: ArmSummary;
  holdout: ArmSummary;
  goals: Record<
    string,
    {
      lift: number;
      ci: [number, number];
      pValue: number;
      /** conversions and value among treated visitors beyond what the holdout's rate predicts */
      caused: { conversions: number; value: number };
      total: { conversions: number; value: number };
    }
  >;
}

export interface Report {
  campaigns: CampaignReport[];
  programme: ProgrammeReport;
  /** per recommendation strategy, its variants in every campaign summed; [] without recommendation variants */
  strategies: StrategyResult[];
}

const safe = (n: number) => (Number.isFinite(n) ? n : null);

/** Finite numbers as they are; Infinity/NaN become null so the report is valid JSON. */
function clean<T>(x: T): T {
  return JSON.parse(JSON.stringify(x, (_k, v) => (typeof v === 'number' ? safe(v) : v))) as T;
}

function key(...parts: string[]): string {
  return parts.join('\u0000');
}

function summarize(
  visitors: number,
  goals: string[],
  conv: (goal: string) => { converters: number; valueSum: number } | undefined,
): ArmSummary {
  const out: ArmSummary = { visitors, goals: {} };
  for (const g of goals) {
    const c = conv(g);
    const conversions = Math.min(c?.converters ?? 0, visitors);
    out.goals[g] = { conversions, rate: visitors ? conversions / visitors : 0, value: c?.valueSum ?? 0 };
  }
  return out;
}

export function buildReport(doc: CompiledDocument, raw: RawCounts, options: ReportOptions = {}): Report {
  const { alpha = 0.05, minPerArm = 100, sequentialTau = 0.01, srmThreshold = 0.001 } = options;
  const visitors = new Map<string, number>();
  const daily = new Map<string, DayRow>();
  const dayRow = (campaignId: string, seed: string, day: string, variant: string): DayRow => {
    const dk = key(campaignId, seed, day, variant);
    let d = daily.get(dk);
    if (!d) {
      d = { day, variant, visitors: 0, conversions: {}, impressions: 0, clicks: 0 };
      daily.set(dk, d);
    }
    return d;
  };
  for (const e of raw.exposures) {
    const k = key(e.campaignId, e.seed, e.variantId);
    visitors.set(k, (visitors.get(k) ?? 0) + e.visitors);
    dayRow(e.campaignId, e.seed, e.day, e.variantId).visitors += e.visitors;
  }
  for (const c of raw.conversionsDaily) {
    const d = dayRow(c.campaignId, c.seed, c.day, c.variantId);
    d.conversions[c.goal] = (d.conversions[c.goal] ?? 0) + c.converters;
  }
  const conv = new Map<string, RawCounts['conversions'][number]>();
  for (const c of raw.conversions) conv.set(key(c.campaignId, c.seed, c.variantId, c.goal), c);
  const slots = new Map<string, { impressions: number; clicks: number }>();
  for (const s of raw.slots) {
    const k = key(s.campaignId, s.seed, s.variantId);
    const t = slots.get(k) ?? { impressions: 0, clicks: 0 };
    t.impressions += s.impressions;
    t.clicks += s.clicks;
    slots.set(k, t);
    const d = dayRow(s.campaignId, s.seed, s.day, s.variantId);
    d.impressions += s.impressions;
    d.clicks += s.clicks;
  }

  const secondary = new Map<string, SecondarySums>();
  for (const r of raw.secondary ?? []) {
    if (!isSecondaryMetric(r.metric)) continue;
    const k = key(r.campaignId, r.seed, r.variantId);
    const t = secondary.get(k) ?? { ...EMPTY_SECONDARY };
    t[r.metric] += r.count;
    secondary.set(k, t);
  }

  const items = itemSums(raw.items ?? []);

  const cupedMap = new Map<string, CupedRow>();
  for (const r of raw.cuped ?? []) cupedMap.set(key(r.campaignId, r.seed, r.variantId, r.goal, r.metric), r);

  const campaigns = doc.campaigns.map((c) =>
    campaignReport(
      c,
      {
        visitors,
        conv,
        slots,
        secondary,
        items,
        daily,
        weighted: raw.weighted,
        breakdowns: raw.breakdowns,
        cuped: cupedMap,
      },
      {
        alpha,
        minPerArm,
        sequentialTau,
        srmThreshold,
        bandit: options.banditWeights?.[c.id],
        shares: options.contextualShares?.[c.id],
      },
    ),
  );

  // programme-wide: every visitor's first visit is an exposure of "__all" as treated or holdout
  const allGoals = [
    ...new Set(raw.conversions.filter((c) => c.campaignId === ALL).map((c) => c.goal)),
  ].sort();
  const arm = (variant: string) =>
    summarize(visitors.get(key(ALL, 'all', variant)) ?? 0, allGoals, (g) =>
      conv.get(key(ALL, 'all', variant, g)),
    );
  const treated = arm(TREATED);
  const held = arm(HOLDOUT);
  const goals: ProgrammeReport['goals'] = {};
  for (const g of allGoals) {
    const t = treated.goals[g] ?? { conversions: 0, rate: 0, value: 0 };
    const h = held.goals[g] ?? { conversions: 0, rate: 0, value: 0 };
    const test = proportionTest(
      { n: held.visitors, x: h.conversions },
      { n: treated.visitors, x: t.conversions },
      alpha,
    );
    const valuePerHeld = held.visitors ? h.value / held.visitors : 0;
    goals[g] = {
      ...test,
      caused: {
        conversions: t.conversions - h.rate * treated.visitors,
        value: t.value - valuePerHeld * treated.visitors,
      },
      total: { conversions: t.conversions + h.conversions, value: t.value + h.value },
    };
  }
  const strategies = strategyResults(
    doc.campaigns,
    (id, seed, variant) => slots.get(key(id, seed, variant))?.impressions ?? 0,
    items,
  );
  return clean({
    campaigns,
    programme: { holdoutShare: doc.holdout, treated, holdout: held, goals },
    strategies,
  });
}

interface Maps {
  visitors: Map<string, number>;
  conv: Map<string, RawCounts['conversions'][number]>;
  slots: Map<string, { impressions: number; clicks: number }>;
  secondary: Map<string, SecondarySums>;
  items: Map<string, PositionSums>;
  daily: Map<string, DayRow>;
  weighted: RawCounts['weighted'];
  breakdowns: RawCounts['breakdowns'];
  cuped: Map<string, CupedRow>;
}

interface CampaignOptions {
  alpha: number;
  minPerArm: number;
  sequentialTau: number;
  srmThreshold: number;
  bandit?: number[];
  shares?: Shares;
}

const ADAPTIVE: ReadonlySet<string> = new Set(['bandit', 'contextual']);
const isContextual = (c: CompiledCampaign) => String(c.allocation) === 'contextual';

function campaignReport(c: CompiledCampaign, m: Maps, o: CampaignOptions): CampaignReport {
  const goals = c.goals.length ? c.goals : goalsSeen(c, m);
  const control = c.variants.find((v) => v.control) ?? c.variants[0];
  const controlId = control?.id ?? '';
  const current = isContextual(c)
    ? validShares(o.shares?.pooled, c)
    : c.allocation === 'bandit'
      ? o.bandit
      : undefined;
  const weights = current ?? c.weights;
  const variants: VariantResult[] = c.variants.map((v, i) => {
    const n = m.visitors.get(key(c.id, c.seed, v.id)) ?? 0;
    const s = m.slots.get(key(c.id, c.seed, v.id));
    const res: VariantResult = {
      id: v.id,
      control: v.id === controlId,
      weight: weights[i] ?? 0,
      visitors: n,
      impressions: s?.impressions ?? 0,
      clicks: s?.clicks ?? 0,
      clickRate: s?.impressions ? s.clicks / s.impressions : 0,
      goals: {},
      secondary: secondaryResult(m.secondary.get(key(c.id, c.seed, v.id)) ?? {}, {
        impressions: s?.impressions ?? 0,
        clicks: s?.clicks ?? 0,
      }),
    };
    const items = variantItems(c, v.id, s?.impressions ?? 0, m.items);
    if (items) res.items = items;
    for (const g of goals) {
      const cv = m.conv.get(key(c.id, c.seed, v.id, g));
      const x = Math.min(cv?.converters ?? 0, n);
      res.goals[g] = {
        conversions: x,
        rate: n ? x / n : 0,
        value: cv?.valueSum ?? 0,
        revenuePerVisitor: n ? (cv?.valueSum ?? 0) / n : 0,
      };
    }
    return res;
  });

  const ctl = variants.find((v) => v.control);
  const comparisons: { goal: GoalResult; p: number }[] = [];
  if (ctl && variants.length > 1) {
    for (const v of variants) {
      if (v.control) continue;
      for (const g of goals) {
        const cg = ctl.goals[g] as GoalResult;
        const tg = v.goals[g] as GoalResult;
        const cc: Counts = { n: ctl.visitors, x: cg.conversions };
        const tc: Counts = { n: v.visitors, x: tg.conversions };
        const test = proportionTest(cc, tc, o.alpha);
        const ccv = m.conv.get(key(c.id, c.seed, ctl.id, g));
        const tcv = m.conv.get(key(c.id, c.seed, v.id, g));
        const welch = welchTest(
          {
            n: ctl.visitors,
            sum: ccv?.winsorizedSum ?? ccv?.valueSum ?? 0,
            sumSquares: ccv?.winsorizedSumSq ?? ccv?.valueSumSq ?? 0,
          },
          {
            n: v.visitors,
            sum: tcv?.winsorizedSum ?? tcv?.valueSum ?? 0,
            sumSquares: tcv?.winsorizedSumSq ?? tcv?.valueSumSq ?? 0,
          },
          o.alpha,
        );
        Object.assign(tg, {
          lift: test.lift,
          ci: test.ci,
          pValue: test.pValue,
          sequentialPValue: sequentialPValue(cc, tc, { tau: o.sequentialTau }),
          chanceToBeatControl: chanceToBeatControl(cc, tc),
          expectedLoss: expectedLoss(cc, tc),
          revenue: { lift: welch.lift, ci: welch.ci, pValue: welch.pValue },
        });
        // with an empty arm there is nothing to compare, exactly or not
        if (cc.n > 0 && tc.n > 0 && whichMethod(cc, tc).method === 'fisher') {
          tg.smallSample = {
            method: 'fisher',
            pValue: fisherExact(cc, tc).pValue,
            ci: liftInterval(cc, tc, o.alpha).ci,
          };
        }
        const cuped = cupedBlocks(m.cuped, c, ctl.id, v.id, g, o.alpha);
        if (cuped.length) tg.cuped = cuped;
        comparisons.push({ goal: tg, p: test.pValue });
      }
    }
    const adjusted = holm(comparisons.map((x) => x.p));
    comparisons.forEach((x, i) => {
      x.goal.adjustedPValue = adjusted[i] ?? 1;
    });
    for (const v of variants) {
      if (v.control) continue;
      for (const g of goals) {
        const tg = v.goals[g] as GoalResult;
        const cg = ctl.goals[g] as GoalResult;
        tg.verdict = verdict(
          { n: ctl.visitors, x: cg.conversions },
          { n: v.visitors, x: tg.conversions },
          { alpha: o.alpha, minPerArm: o.minPerArm, pValue: tg.adjustedPValue },
        );
      }
    }
  }

  // the split check only makes sense for fixed weights with more than one variant
  let srm: number | null = null;
  if (c.allocation === 'ab' && variants.length > 1 && variants.some((v) => v.visitors > 0)) {
    srm = srmPValue(
      variants.map((v) => v.visitors),
      c.weights,
    );
  }

  const hn = m.visitors.get(key(c.id, c.seed, HOLDOUT)) ?? 0;
  const holdout = summarize(hn, goals, (g) => m.conv.get(key(c.id, c.seed, HOLDOUT, g)));
  const holdoutLift: Record<string, { lift: number; ci: [number, number]; pValue: number }> = {};
  if (hn > 0) {
    const exposed = variants.reduce((a, v) => a + v.visitors, 0);
    for (const g of goals) {
      const x = variants.reduce((a, v) => a + (v.goals[g]?.conversions ?? 0), 0);
      holdoutLift[g] = proportionTest(
        { n: hn, x: holdout.goals[g]?.conversions ?? 0 },
        { n: exposed, x },
        o.alpha,
      );
    }
  }

  const days: CampaignReport['daily'] = [];
  for (const [k, d] of m.daily) if (k.startsWith(key(c.id, c.seed, ''))) days.push(d);
  days.sort((a, b) => a.day.localeCompare(b.day) || a.variant.localeCompare(b.variant));

  const report: CampaignReport = {
    id: c.id,
    status: c.status,
    allocation: c.allocation,
    seed: c.seed,
    goals,
    controlId,
    srm: { pValue: srm, warning: srm !== null && srm < o.srmThreshold },
    minPerArm: o.minPerArm,
    variants,
    holdout: {
      ...holdout,
      lift: holdoutLift,
      secondary: secondaryResult(m.secondary.get(key(c.id, c.seed, HOLDOUT)) ?? {}, {
        impressions: 0,
        clicks: 0,
      }),
    },
    daily: days,
  };
  if (ADAPTIVE.has(c.allocation)) Object.assign(report, adaptiveSection(c, report, m.weighted, o));
  const rows = m.breakdowns?.filter((b) => b.campaignId === c.id && b.seed === c.seed) ?? [];
  if (rows.length) {
    report.breakdowns = breakdownSections(rows, {
      variants: c.variants.map((v) => v.id),
      controlId,
      goals,
      alpha: o.alpha,
      minPerArm: o.minPerArm,
    });
  }
  return report;
}

const METRICS: readonly CupedMetric[] = ['conversion', 'revenue'];

/**
 * CUPED (Deng, Xu, Kohavi & Walker 2013, "Improving the sensitivity of online controlled experiments by
 * utilizing pre-experiment data", WSDM): per metric with covariate sums in both arms, the plain and the
 * variance-reduced lift. Arms with fewer than 2 visitors have no variance to reduce and are skipped, as
 * are sums the store got wrong (cupedLift throws on them), so they cannot take the report down.
 */
function cupedBlocks(
  sums: Map<string, CupedRow>,
  c: CompiledCampaign,
  controlId: string,
  variantId: string,
  goal: string,
  alpha: number,
): CupedBlock[] {
  const out: CupedBlock[] = [];
  for (const metric of METRICS) {
    const ctl = sums.get(key(c.id, c.seed, controlId, goal, metric));
    const trt = sums.get(key(c.id, c.seed, variantId, goal, metric));
    if (!ctl || !trt || ctl.n < 2 || trt.n < 2) continue;
    try {
      const r = cupedLift(ctl, trt, alpha);
      out.push({
        metric,
        plain: r.plain,
        adjusted: r.adjusted,
        theta: r.theta,
        varianceReduction: r.varianceReduction,
        covariate: 'pageviews before exposure',
      });
    } catch {
      // malformed sums: no CUPED block for this metric
    }
  }
  return out;
}

/** Shares aligned with the campaign's variants, or undefined when they are not a distribution over them. */
function validShares(row: readonly number[] | undefined, c: CompiledCampaign): number[] | undefined {
  if (!row || row.length !== c.variants.length) return undefined;
  return row.every((x) => Number.isFinite(x) && x >= 0 && x <= 1) ? [...row] : undefined;
}

const BIASED =
  'Traffic shares of this campaign changed over time (and, for a contextual campaign, differ by context), so the plain per-variant rates compare visitors who arrived at different times and in different contexts: that comparison is biased.';

/** The `note` and, when probabilities were logged, the `adaptive` block of an adaptive campaign. */
function adaptiveSection(
  c: CompiledCampaign,
  r: CampaignReport,
  weighted: RawCounts['weighted'],
  o: CampaignOptions,
): Pick<CampaignReport, 'note' | 'adaptive'> {
  const goal = r.goals[0];
  if (!weighted || goal === undefined) {
    return {
      note: `${BIASED} Weighted results need the probability logged with each exposure${goal === undefined ? ' and a goal' : ''}, which are not available.`,
    };
  }
  const ids = c.variants.map((v) => v.id);
  const known = new Set(ids);
  const groups: WeightedSums[] = weighted.filter(
    (g) => g.campaignId === c.id && g.seed === c.seed && g.goal === goal && known.has(g.variantId),
  );
  try {
    const variants = weightedVariants(groups, ids, r.controlId, o.alpha);
    const adaptive: AdaptiveReport = {
      method: 'inverse-probability weighting (Hájek)',
      goal,
      visitors: variants.reduce((a, v) => a + v.visitors, 0),
      variants,
    };
    if (isContextual(c)) {
      const pooled = validShares(o.shares?.pooled, c);
      const shares: Shares | undefined = pooled && {
        pooled,
        contexts: Object.fromEntries(
          Object.entries(o.shares?.contexts ?? {}).flatMap(([k, row]) => {
            const ok = validShares(row, c);
            return ok ? [[k, ok]] : [];
          }),
        ),
      };
      adaptive.contexts = weightedContexts(groups, ids, o.alpha).map((ctx) => {
        const own = shares?.contexts[ctx.key];
        const now = own ?? shares?.pooled ?? [];
        return {
          key: ctx.key,
          visitors: ctx.visitors,
          shares: [...now],
          sharesFrom: own ? 'context' : shares ? 'pooled' : 'unknown',
          variants: ctx.variants.map((v, i) => (now[i] === undefined ? v : { ...v, share: now[i] })),
          best: ctx.best,
        };
      });
      const observed = {
        n: r.variants.reduce((a, v) => a + v.visitors, 0),
        x: r.variants.reduce((a, v) => a + (v.goals[goal]?.conversions ?? 0), 0),
      };
      adaptive.whatIf = whatIf(groups, {
        variants: ids,
        controlId: r.controlId,
        shares,
        observed,
        alpha: o.alpha,
      });
    }
    return {
      note: `${BIASED} Read \`adaptive\`: the rates there are weighted by the probability each visitor had of seeing their variant.`,
      adaptive,
    };
  } catch (e) {
    // inconsistent sums from the store must not take the whole report down
    return { note: `${BIASED} Weighted results unavailable: ${e instanceof Error ? e.message : String(e)}` };
  }
}

function goalsSeen(c: CompiledCampaign, m: Maps): string[] {
  const out = new Set<string>();
  for (const k of m.conv.keys()) {
    const [campaign, seed, , goal] = k.split('\u0000');
    if (campaign === c.id && seed === c.seed && goal) out.add(goal);
  }
  return [...out].sort();
}
