/**
 * @module schema
 * D1 tables (drizzle). `migrations/` is generated from this file by `npm run db:generate`.
 */
import { index, integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** Every campaign document ever accepted; the live one is the newest. Old ones stay for audit and rollback. */
export const configs = sqliteTable('configs', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  document: text('document').notNull(),
  createdAt: integer('created_at').notNull(),
});

/**
 * One row per visitor and campaign (and seed): the visitor's first exposure, with the variant assigned
 * (`__holdout` for the global holdout). The primary key makes recording idempotent; counting rows
 * gives unique exposed visitors. Campaign `__all` records every visitor's first visit, as treated or
 * holdout, for the programme-wide lift.
 */
export const exposures = sqliteTable(
  'exposures',
  {
    visitorId: text('visitor_id').notNull(),
    campaignId: text('campaign_id').notNull(),
    seed: text('seed').notNull(),
    variantId: text('variant_id').notNull(),
    day: text('day').notNull(),
    at: integer('at').notNull(),
    /** contextual campaigns: the visitor's context when assigned ('' otherwise) */
    context: text('context').notNull().default(''),
    /** the probability with which the variant was chosen, for unbiased results of adaptive campaigns */
    p: real('p').notNull().default(1),
    /** for results per breakdown: the visitor's device, traffic source and named segments (",a,b,") when exposed */
    device: text('device').notNull().default(''),
    source: text('source').notNull().default(''),
    segments: text('segments').notNull().default(''),
    /** the visitor's discovered cluster ('' before the first clustering) */
    cluster: text('cluster').notNull().default(''),
    /** the pre-exposure covariate of CUPED: pageviews before the exposure */
    prePageviews: integer('pre_pageviews').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.visitorId, t.campaignId, t.seed] }),
    index('exposures_by_campaign').on(t.campaignId, t.seed, t.variantId, t.day),
  ],
);

/**
 * Conversion events attributed to the variant the visitor was assigned before converting. Keyed by
 * the event id, so a retried beacon never counts twice; results count each visitor once per goal and
 * sum their values.
 */
export const conversionEvents = sqliteTable(
  'conversion_events',
  {
    visitorId: text('visitor_id').notNull(),
    eventId: text('event_id').notNull(),
    campaignId: text('campaign_id').notNull(),
    seed: text('seed').notNull(),
    variantId: text('variant_id').notNull(),
    goal: text('goal').notNull(),
    value: real('value').notNull().default(0),
    day: text('day').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.visitorId, t.eventId, t.campaignId] }),
    index('conversions_by_campaign').on(t.campaignId, t.seed, t.goal),
  ],
);

/** Viewable impressions and clicks per campaign, variant and day (aggregated counters). */
export const slotDaily = sqliteTable(
  'slot_daily',
  {
    campaignId: text('campaign_id').notNull(),
    seed: text('seed').notNull(),
    variantId: text('variant_id').notNull(),
    day: text('day').notNull(),
    impressions: integer('impressions').notNull().default(0),
    clicks: integer('clicks').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.seed, t.variantId, t.day] })],
);

/**
 * Per campaign, seed, variant, UTC day and secondary metric (engine/secondary.ts: sessions,
 * multi_page_sessions, pageviews, pageviews_sq, engaged_ms, engaged_s2, and the *_excess counters the
 * pages and engaged-time guardrails subtract): the sum over the sessions that started that day. Written with the minute counters, guarded by the same keys; the results read it.
 */
export const metricDaily = sqliteTable(
  'metric_daily',
  {
    campaignId: text('campaign_id').notNull(),
    seed: text('seed').notNull(),
    variantId: text('variant_id').notNull(),
    day: text('day').notNull(),
    metric: text('metric').notNull(),
    count: integer('count').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.seed, t.variantId, t.day, t.metric] })],
);

/**
 * Clicks on listed items (recommendations) per list position, and what they led to in the visit:
 * attributed conversions, their value and the clicked items bought (engine/item-attribution.ts). Each
 * row's amount counts once per visitor by its key in seen_events (`r:<campaign>:<metric>:<event>`).
 * Position 0: the page gave none.
 */
export const itemDaily = sqliteTable(
  'item_daily',
  {
    campaignId: text('campaign_id').notNull(),
    seed: text('seed').notNull(),
    variantId: text('variant_id').notNull(),
    day: text('day').notNull(),
    position: integer('position').notNull(),
    metric: text('metric').notNull(),
    amount: real('amount').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.seed, t.variantId, t.day, t.position, t.metric] })],
);

/**
 * Ids of counted impression/click events (kept 7 days), which make the counters idempotent; also the
 * keys of counted secondary-metric events (`m:<campaign>:<event id>`) and of the sessions counted per
 * campaign (`s:<campaign>:<seed>:<visit>`), which cannot collide with event ids (no `:` in those).
 */
export const seenEvents = sqliteTable(
  'seen_events',
  {
    visitorId: text('visitor_id').notNull(),
    eventId: text('event_id').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.visitorId, t.eventId] }), index('seen_events_by_time').on(t.at)],
);

/** The current traffic shares of bandit campaigns, recomputed by the scheduled handler. */
export const banditState = sqliteTable(
  'bandit_state',
  {
    campaignId: text('campaign_id').notNull(),
    seed: text('seed').notNull(),
    weights: text('weights').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.seed] })],
);

/**
 * Visitors whose data was erased (DELETE /__hio/me, Global Privacy Control, withdrawn consent), so a
 * replayed log record of theirs is never written back. Pseudonymous ids only; kept for the retention
 * period, like everything else.
 */
export const erasures = sqliteTable('erasures', {
  visitorId: text('visitor_id').primaryKey(),
  at: integer('at').notNull(),
});

/**
 * Training rows of the propensity model: the features the edge knew at a visitor's session start, per
 * predicted goal. The label (a conversion of that goal within the window) is read from
 * conversion_events at training time. Erased with the visitor; expire with the retention period.
 */
export const trainingRows = sqliteTable(
  'training_rows',
  {
    visitorId: text('visitor_id').notNull(),
    at: integer('at').notNull(),
    goal: text('goal').notNull(),
    features: text('features').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.visitorId, t.at, t.goal] }),
    index('training_rows_by_goal').on(t.goal, t.at),
  ],
);

/**
 * Per campaign, variant and minute: exposed visitors, viewable impressions, clicks and converting
 * visitors per goal (`metric`: exposures | impressions | clicks | conversion:<goal>, and the secondary
 * metrics of engine/secondary.ts, counted in the minute their session started). Guardrails read their
 * sliding windows from these; kept 25 hours.
 */
export const minuteCounts = sqliteTable(
  'minute_counts',
  {
    campaignId: text('campaign_id').notNull(),
    seed: text('seed').notNull(),
    variantId: text('variant_id').notNull(),
    minute: integer('minute').notNull(),
    metric: text('metric').notNull(),
    count: integer('count').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.seed, t.variantId, t.minute, t.metric] })],
);

/**
 * Minute counters rolled up (scheduled handler, `worker/db/rollup.ts`): `resolution` 'hour' holds the
 * minutes older than 24 hours, 'day' the hours older than 30 days. `start` is the bucket's first minute
 * (minutes since the epoch, UTC). Same metrics as minute_counts; kept as long as the campaign's results.
 */
export const rollupCounts = sqliteTable(
  'rollup_counts',
  {
    campaignId: text('campaign_id').notNull(),
    seed: text('seed').notNull(),
    variantId: text('variant_id').notNull(),
    resolution: text('resolution').notNull(),
    start: integer('start').notNull(),
    metric: text('metric').notNull(),
    count: integer('count').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.seed, t.variantId, t.resolution, t.start, t.metric] })],
);

/**
 * Every automatic action (guardrail pauses and swaps, and large bandit share changes with `rule`
 * 'bandit', `action` 'share'), newest last; an admin can undo a guardrail action.
 */
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at').notNull(),
    campaignId: text('campaign_id').notNull(),
    seed: text('seed').notNull(),
    variantId: text('variant_id').notNull(),
    rule: text('rule').notNull(),
    ruleIndex: integer('rule_index').notNull(),
    action: text('action').notNull(),
    toVariant: text('to_variant'),
    evidence: text('evidence').notNull(),
    undoneAt: integer('undone_at'),
  },
  (t) => [index('audit_by_campaign').on(t.campaignId, t.seed)],
);

/**
 * The item catalogue (engine/catalog.ts): uploaded items (`source = 'upload'`, replaced whole by
 * `PUT /__hio/admin/catalog`) and items the site's pages declare (`source = 'page'`, `<meta name="hio:item">`).
 * An uploaded item wins over a declared one with the same id.
 */
export const catalogItems = sqliteTable(
  'catalog_items',
  {
    id: text('id').primaryKey(),
    url: text('url').notNull(),
    title: text('title').notNull(),
    image: text('image'),
    price: real('price'),
    category: text('category'),
    available: integer('available', { mode: 'boolean' }).notNull().default(true),
    source: text('source', { enum: ['upload', 'page'] }).notNull(),
    /** when the item's fields last changed: the catalogue's fingerprint (page path reload) follows it */
    updatedAt: integer('updated_at').notNull(),
    /** page items: the site path whose page declared it at the last check (null for uploaded items) */
    path: text('path'),
    /** page items: when the collector last fetched its page (db/catalog-collect.ts) */
    checkedAt: integer('checked_at'),
  },
  (t) => [index('catalog_items_source').on(t.source)],
);

/**
 * The collector's checks that put nothing into the catalogue (db/catalog-collect.ts): an id the page
 * at that path does not declare (a forged or stale pageview), a declared item that is not valid, or a
 * fetch that failed. Kept until `retry_at`, so the same id is not fetched again before then; deleted
 * once past it.
 */
export const catalogPageChecks = sqliteTable(
  'catalog_page_checks',
  {
    itemId: text('item_id').primaryKey(),
    path: text('path').notNull(),
    checkedAt: integer('checked_at').notNull(),
    retryAt: integer('retry_at').notNull(),
    outcome: text('outcome', { enum: ['refused', 'invalid', 'failed'] }).notNull(),
    reason: text('reason').notNull(),
  },
  (t) => [index('catalog_page_checks_retry').on(t.retryAt)],
);
