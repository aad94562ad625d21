/**
 * @module series
 * Pure helpers of the minute-level results: where the rollup cuts (minutes older than 24 hours become
 * hourly rows, hours older than 30 days daily rows), the per-variant series at each resolution from
 * counter rows, and which bandit share changes are large enough for the audit log.
 */

/** Minute rows are kept this long before they are rolled into hours (guardrail windows reach 24 h back). */
export const MINUTE_RETENTION_MINUTES = 24 * 60;
/** Hourly rows are kept this many days before they are rolled into days. */
export const HOURLY_RETENTION_DAYS = 30;
/** A bandit share that moves by more than this (absolute) is written to the audit log. */
export const SHARE_CHANGE_THRESHOLD = 0.1;

/**
 * The rollup's cut points, in minutes since the epoch: minute rows before `hourCut` go into hours,
 * hour rows before `dayCut` into days. Both are whole-bucket boundaries, so a bucket is rolled only
 * once all of its minutes (hours) are older than the retention, and never split.
 */
export function rollupCuts(nowMinute: number): { hourCut: number; dayCut: number } {
  const hourCut = Math.floor((nowMinute - MINUTE_RETENTION_MINUTES) / 60) * 60;
  const dayCut = Math.floor((nowMinute - HOURLY_RETENTION_DAYS * 1440) / 1440) * 1440;
  return { hourCut, dayCut };
}

/** One counter row from minute_counts (size 1) or rollup_counts (size 60 or 1440). */
export interface CounterRow {
  variantId: string;
  start: number;
  size: number;
  metric: string;
  count: number;
}

export interface SeriesPoint {
  /** the bucket's first minute, ISO */
  at: string;
  impressions: number;
  clicks: number;
  ctr: number | null;
  exposures: number;
  conversions: Record<string, number>;
  /** sessions that started in the bucket, how many reached a second page, their pageviews and engaged ms */
  sessions: number;
  multiPageSessions: number;
  pageviews: number;
  engagedMs: number;
  /** 1 - multiPageSessions / sessions; null without sessions (the last session timeout's sessions are still open) */
  bounceRate: number | null;
}

export interface VariantSeries {
  minute: SeriesPoint[];
  hour: SeriesPoint[];
  day: SeriesPoint[];
}

const emptyPoint = (start: number): SeriesPoint => ({
  at: new Date(start * 60_000).toISOString(),
  impressions: 0,
  clicks: 0,
  ctr: null,
  exposures: 0,
  conversions: {},
  sessions: 0,
  multiPageSessions: 0,
  pageviews: 0,
  engagedMs: 0,
  bounceRate: null,
});

function add(p: SeriesPoint, metric: string, n: number): void {
  if (metric === 'impressions') p.impressions += n;
  else if (metric === 'clicks') p.clicks += n;
  else if (metric === 'exposures') p.exposures += n;
  else if (metric === 'sessions') p.sessions += n;
  else if (metric === 'multi_page_sessions') p.multiPageSessions += n;
  else if (metric === 'pageviews') p.pageviews += n;
  else if (metric === 'engaged_ms') p.engagedMs += n;
  else if (metric.startsWith('conversion:')) {
    const goal = metric.slice('conversion:'.length);
    p.conversions[goal] = (p.conversions[goal] ?? 0) + n;
  }
}

/**
 * Per variant: the last `minutes` minutes one point a minute, the last 24 hours one point an hour and the
 * last `days` days one point a day, oldest first, every bucket present (zeros where nothing happened;
 * `ctr` null without impressions). A row counts in every resolution whose bucket holds it; a coarse row
 * (an hour or day already rolled up) never counts in a finer series.
 */
export function buildSeries(
  rows: readonly CounterRow[],
  variants: readonly string[],
  nowMinute: number,
  { minutes = 60, hours = 24, days = 30 }: { minutes?: number; hours?: number; days?: number } = {},
): Record<string, VariantSeries> {
  const out: Record<string, VariantSeries> = {};
  const minuteFrom = nowMinute - minutes + 1;
  const hourNow = Math.floor(nowMinute / 60) * 60;
  const hourFrom = hourNow - (hours - 1) * 60;
  const dayNow = Math.floor(nowMinute / 1440) * 1440;
  const dayFrom = dayNow - (days - 1) * 1440;
  for (const v of variants) {
    out[v] = {
      minute: Array.from({ length: minutes }, (_, i) => emptyPoint(minuteFrom + i)),
      hour: Array.from({ length: hours }, (_, i) => emptyPoint(hourFrom + i * 60)),
      day: Array.from({ length: days }, (_, i) => emptyPoint(dayFrom + i * 1440)),
    };
  }
  for (const r of rows) {
    const s = out[r.variantId];
    if (!s) continue;
    if (r.size === 1 && r.start >= minuteFrom && r.start <= nowMinute) {
      add(s.minute[r.start - minuteFrom] as SeriesPoint, r.metric, r.count);
    }
    if (r.size <= 60) {
      const h = Math.floor(r.start / 60) * 60;
      if (h >= hourFrom && h <= hourNow) add(s.hour[(h - hourFrom) / 60] as SeriesPoint, r.metric, r.count);
    }
    const d = Math.floor(r.start / 1440) * 1440;
    if (d >= dayFrom && d <= dayNow) add(s.day[(d - dayFrom) / 1440] as SeriesPoint, r.metric, r.count);
  }
  for (const s of Object.values(out))
    for (const p of [...s.minute, ...s.hour, ...s.day]) {
      p.ctr = p.impressions ? p.clicks / p.impressions : null;
      p.bounceRate = p.sessions ? 1 - Math.min(p.multiPageSessions, p.sessions) / p.sessions : null;
    }
  return out;
}

export interface ShareChange {
  variant: string;
  from: number;
  to: number;
}

/** The variants whose share moved by more than `threshold` (absolute) from `before` to `after`. */
export function largeShareChanges(
  variants: readonly string[],
  before: readonly number[] | undefined,
  after: readonly number[],
  threshold = SHARE_CHANGE_THRESHOLD,
): ShareChange[] {
  if (!before || before.length !== after.length) return [];
  const out: ShareChange[] = [];
  variants.forEach((variant, i) => {
    const from = before[i] ?? 0;
    const to = after[i] ?? 0;
    if (Math.abs(to - from) > threshold) out.push({ variant, from, to });
  });
  return out;
}
