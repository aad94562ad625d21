/**
 * @module propensity
 * The trained propensity model: the features the edge knows about a visitor at the start of a session
 * (one definition, used both for the training rows and for scoring), the stored model record, and the
 * training itself: L2-regularized logistic regression (logistic.ts) on four fifths of the rows, judged
 * on the fifth held back (AUC, calibration, conversion rate per decile), kept only when it is not worse
 * than the previous model on the same held-back rows.
 */
import {
  auc,
  type CalibrationBin,
  calibration,
  featureImportance,
  type LogisticModel,
  parseLogisticModel,
  predictLogistic,
  splitHoldout,
  trainLogistic,
} from './logistic.ts';

/** The features, in order; every one is known at the start of a session, before any exposure. */
export const FEATURE_NAMES = [
  'visits',
  'days since last visit',
  'pageviews',
  'engaged minutes (session)',
  'max scroll (session)',
  'mobile',
  'tablet',
  'from a campaign link',
  'from another site',
  'hour (sine)',
  'hour (cosine)',
  'interests',
  'top interest score',
  'past conversions',
] as const;

const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : 0);

/** The feature vector of a visitor's attributes (see attributes.ts), for `goal`'s past conversions. */
export function propensityFeatures(a: Record<string, unknown>, goal: string): number[] {
  const interests = a.interests && typeof a.interests === 'object' ? Object.values(a.interests) : [];
  const top =
    typeof a.topInterest === 'string' ? num((a.interests as Record<string, unknown>)[a.topInterest]) : 0;
  const conversions =
    a.conversions && typeof a.conversions === 'object' ? (a.conversions as Record<string, unknown>) : {};
  const hour = num(a.hour);
  return [
    Math.min(num(a.visits), 50),
    Math.min(num(a.daysSinceLastVisit), 365),
    Math.min(num(a.pageviews), 500),
    Math.min(num(a.engagedTime) / 60, 60),
    num(a.scrollDepth) / 100,
    a.device === 'mobile' ? 1 : 0,
    a.device === 'tablet' ? 1 : 0,
    typeof a.utm_source === 'string' ? 1 : 0,
    typeof a.referrer === 'string' ? 1 : 0,
    Math.sin((2 * Math.PI * hour) / 24),
    Math.cos((2 * Math.PI * hour) / 24),
    interests.length,
    Math.min(top, 50),
    Math.min(num(conversions[goal]), 50),
  ];
}

/** What the scheduled job stores (KV) per goal, and the page path scores with. */
export interface PropensityRecord {
  goal: string;
  /** when it was trained (ms), also its version */
  trainedAt: number;
  model: LogisticModel;
  /** on the held-back fifth of the rows */
  auc: number;
  ece: number;
  calibration: CalibrationBin[];
  /** conversion rate per decile of the score on the held-back rows, lowest first */
  deciles: { lo: number; hi: number; n: number; rate: number }[];
  /** features ranked by the size of their standardized weight */
  importance: { name: string; weight: number }[];
  rows: { train: number; holdout: number; positives: number };
}

export function parsePropensityRecord(value: unknown): PropensityRecord | null {
  if (!value || typeof value !== 'object') return null;
  const r = value as Partial<PropensityRecord>;
  try {
    const model = parseLogisticModel(r.model);
    if (model.weights.length !== FEATURE_NAMES.length) return null;
    if (typeof r.goal !== 'string' || typeof r.trainedAt !== 'number' || typeof r.auc !== 'number')
      return null;
    return { ...(r as PropensityRecord), model };
  } catch {
    return null;
  }
}

export function scorePropensity(record: PropensityRecord, attributes: Record<string, unknown>): number {
  const p = predictLogistic(record.model, propensityFeatures(attributes, record.goal));
  return Number.isFinite(p) ? Math.round(p * 1000) / 1000 : 0;
}

export interface TrainingRow {
  features: number[];
  label: 0 | 1;
}

/** Fewest rows, and fewest of each class, worth training on. */
export const MIN_TRAINING_ROWS = 200;
export const MIN_CLASS_ROWS = 20;

export type TrainingOutcome =
  | { trained: true; record: PropensityRecord; replaced: boolean; previousAuc: number | null }
  | { trained: false; reason: string };

function deciles(scores: number[], labels: (0 | 1)[]): PropensityRecord['deciles'] {
  const order = scores.map((_, i) => i).sort((a, b) => (scores[a] ?? 0) - (scores[b] ?? 0));
  const out: PropensityRecord['deciles'] = [];
  for (let d = 0; d < 10; d++) {
    const part = order.slice(Math.floor((d * order.length) / 10), Math.floor(((d + 1) * order.length) / 10));
    if (!part.length) continue;
    const pos = part.reduce((a, i) => a + (labels[i] ?? 0), 0);
    out.push({
      lo: scores[part[0] ?? 0] ?? 0,
      hi: scores[part[part.length - 1] ?? 0] ?? 0,
      n: part.length,
      rate: pos / part.length,
    });
  }
  return out;
}

/**
 * Trains a model for `goal` on the rows (a fifth held back, chosen by `seed`), and keeps it only when
 * its held-back AUC is not below the previous model's on the same rows.
 */
export function trainPropensity(
  goal: string,
  rows: readonly TrainingRow[],
  now: number,
  previous: PropensityRecord | null,
  options: { l2?: number; seed?: number } = {},
): TrainingOutcome {
  const positives = rows.reduce((a, r) => a + r.label, 0);
  if (rows.length < MIN_TRAINING_ROWS)
    return { trained: false, reason: `${rows.length} rows, ${MIN_TRAINING_ROWS} needed` };
  if (positives < MIN_CLASS_ROWS || rows.length - positives < MIN_CLASS_ROWS)
    return {
      trained: false,
      reason: `${positives} converters among ${rows.length} rows: too few of one class`,
    };
  const { train, holdout } = splitHoldout(rows.length, 0.2, options.seed ?? Math.floor(now / 86_400_000));
  const X = train.map((i) => rows[i]?.features ?? []);
  const y = train.map((i) => rows[i]?.label ?? 0);
  const model = trainLogistic(X, y, { l2: options.l2 ?? 1, featureNames: [...FEATURE_NAMES] });
  const hx = holdout.map((i) => rows[i]?.features ?? []);
  const hy = holdout.map((i) => rows[i]?.label ?? 0) as (0 | 1)[];
  const scores = hx.map((x) => predictLogistic(model, x));
  const heldAuc = auc(scores, hy);
  const cal = calibration(scores, hy, 10);
  const previousAuc = previous
    ? auc(
        hx.map((x) => predictLogistic(previous.model, x)),
        hy,
      )
    : null;
  const record: PropensityRecord = {
    goal,
    trainedAt: now,
    model,
    auc: heldAuc,
    ece: cal.ece,
    calibration: cal.bins,
    deciles: deciles(scores, hy),
    importance: featureImportance(model).map((f) => ({ name: f.name, weight: f.weight })),
    rows: { train: train.length, holdout: holdout.length, positives },
  };
  const replaced = previousAuc === null || heldAuc >= previousAuc;
  return { trained: true, record: replaced || !previous ? record : previous, replaced, previousAuc };
}
