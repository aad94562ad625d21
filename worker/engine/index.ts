/**
 * @module engine
 * HIO's engine: pure, runtime-agnostic functions (no Workers APIs, no clock, no I/O). This module is
 * the one door into it: `edge/`, `routes/`, `db/` and `state/` import the engine only from here (a
 * lint rule in biome.json enforces it). The adapters feed it facts and store what it returns.
 */

export { buildAttributes, categoryFromRules, type RequestFacts } from './attributes.ts';
export { banditWeights, mulberry32 } from './bandit.ts';
export * from './beacon-protocol.ts';
export { clopperPearsonLower, clopperPearsonUpper, wilsonBounds } from './binomial-bounds.ts';
export { type CatalogItem, MAX_CATALOG_ITEMS, parseCatalog } from './catalog.ts';
export {
  CLUSTER_FEATURES,
  type ClusterRecord,
  clusterOf,
  clusterVisitors,
  parseClusterRecord,
} from './clusters.ts';
export { evalCondition, validateCondition } from './condition.ts';
export { type ContextShares, contextKey, sharesFor } from './contexts.ts';
export {
  type BetaPrior,
  type ContextualOptions,
  contextualPrior,
  contextualWeights,
  discountCounts,
  pooledWeights,
} from './contextual.ts';
export {
  addMoment,
  type CupedResult,
  cupedLift,
  EMPTY_MOMENTS,
  type LiftEstimate,
  type MomentSums,
} from './cuped.ts';
export { type Decision, decide, type Explanation, isInHoldout } from './decide.ts';
export {
  type CampaignDocument,
  CONTEXTUAL_MIN_SHARE,
  type CompiledCampaign,
  type CompiledDocument,
  EMPTY_DOCUMENT,
  parseDocument,
  type SlotAction,
  usesRecommendations,
} from './document.ts';
export { type Batch, foldEvents, type HioEvent, parseBatch } from './events.ts';
export {
  type ActiveAction,
  bounceLagFor,
  DEFAULT_BOUNCE_LAG_MS,
  DEFAULT_GUARDRAIL_ALPHA,
  evaluateGuardrails,
  type GuardrailAction,
  type GuardrailRule,
  guardrailRuleError,
  type MinuteBucket,
  parseWindow,
  pausedVariantFallback,
  ruleText,
  windowTotals,
} from './guardrails.ts';
export { chooseVariation, getBucketRanges, hash } from './hash.ts';
export {
  ITEM_METRICS,
  type ItemMetric,
  type ItemMetricRow,
  itemAttributionRows,
} from './item-attribution.ts';
export {
  type ItemPositionResult,
  type ItemsResult,
  itemsResult,
  type StrategyResult,
} from './item-results.ts';
export {
  chooseK,
  describeClusters,
  hungarian,
  type KMeansResult,
  kmeans,
  matchCentroids,
  nearest,
  scaleRow,
  silhouette,
  standardize,
} from './kmeans.ts';
export { KNOWN_ATTRIBUTES, type LintWarning, lintDocument, streamingSelectorProblem } from './lint.ts';
export {
  auc,
  calibration,
  featureImportance,
  type LogisticModel,
  parseLogisticModel,
  predictLogistic,
  splitHoldout,
  trainLogistic,
} from './logistic.ts';
export { type MeanRange, type MeanSums, meanBound, meanTestRejects } from './mean-bounds.ts';
export {
  type DoublyRobustValue,
  doublyRobust,
  type LoggedDecision,
  type ModeledDecision,
  type OffPolicyValue,
  offPolicyValue,
} from './off-policy.ts';
export { type PChart, pChart } from './p-chart.ts';
export {
  type DeclaredItem,
  type DeclaredView,
  declaredItems,
  type PageFacts,
  type PageItemResult,
  pageItem,
  parseDeclaredView,
  sameItem,
} from './page-item.ts';
export {
  type BeaconInput,
  type ConversionRow,
  EMPTY_REWRITE,
  type ExposureRow,
  isEmptyMeasurement,
  type Measurement,
  type MetricRow,
  type PageInput,
  type PagePlan,
  planBeacon,
  planPage,
  type RewritePlan,
  type SlotEventRow,
  type SlotWrite,
  type Writes,
} from './plan.ts';
export { type ProfileView, readProfile } from './profile.ts';
export {
  ALL_CAMPAIGN,
  ALL_SEED,
  decodeItemClick,
  encodeAssignment,
  type FlatProfile,
  HOLDOUT_VARIANT,
  MAX_GOALS,
  MAX_INTERESTS,
  MAX_ITEMS,
  num,
  P,
  type Prefix,
  parseFlatProfile,
  parseStringRecord,
  TREATED_VARIANT,
  WINDOW_DAYS,
  type Writer,
} from './profile-fields.ts';
export { applyOps, luaApplyOp, luaTrimProfile, type Op, type OpGroup } from './profile-ops.ts';
export {
  FEATURE_NAMES,
  MIN_TRAINING_ROWS,
  type PropensityRecord,
  parsePropensityRecord,
  propensityFeatures,
  scorePropensity,
  type TrainingRow,
  trainPropensity,
} from './propensity.ts';
export * from './recommend.ts';
export { type LogGoals, type LogRecord, logSessions, parseLogLine } from './recommend-log.ts';
export {
  type CompactRecommendModel,
  compactRecommendModel,
  decodeRecommendModel,
  encodeRecommendModel,
  expandRecommendModel,
  RECOMMEND_COMPACT_VERSION,
} from './recommend-model.ts';
export {
  explainRecommendation,
  ITEM_FIELDS,
  itemPath,
  type RecommendationWhy,
  type RecommendContext,
  type RecommendSpec,
  recommendContext,
} from './recommend-render.ts';
export {
  buildReport,
  type CampaignReport,
  type GoalResult,
  type RawCounts,
  type Report,
  type VariantResult,
} from './report.ts';
export {
  EMPTY_SECONDARY,
  type Estimate,
  isSecondaryMetric,
  SECONDARY_METRICS,
  type SecondaryMetric,
  type SecondaryResult,
  type SecondarySums,
  secondaryResult,
} from './secondary.ts';
export {
  buildSeries,
  type CounterRow,
  HOURLY_RETENTION_DAYS,
  largeShareChanges,
  MINUTE_RETENTION_MINUTES,
  rollupCuts,
  type SeriesPoint,
  SHARE_CHANGE_THRESHOLD,
  type ShareChange,
  type VariantSeries,
} from './series.ts';
export {
  computeSignals,
  DEFAULT_SIGNAL_SETTINGS,
  type Signal,
  type SignalName,
  type SignalSettings,
} from './signals.ts';
export { fisherExact, type LiftInterval, liftInterval, whichMethod } from './small-sample.ts';
export {
  benjaminiHochberg,
  type Counts,
  chanceToBeatControl,
  expectedLoss,
  holm,
  proportionTest,
  sequentialPValue,
  srmPValue,
  verdict,
  welchTest,
} from './stats.ts';
export { escapeHtml, parseTemplate, renderTemplate } from './template.ts';
export { RAW_CONTENT_ELEMENTS } from './template-context.ts';
export { decodeAttributeValue } from './template-safe.ts';
