/**
 * @module events
 * The beacon's event batch: its schema (valibot, so every problem is reported with its path) and how
 * each event folds into profile operations. Pure: the caller passes the clock and the settings.
 */
import * as v from 'valibot';
import type { FlatProfile, Op, OpGroup } from './profile.ts';

export const MAX_BATCH_BYTES = 16 * 1024;
export const MAX_EVENTS = 100;

const id = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{4,40}$/, 'must be 4-40 characters of [A-Za-z0-9_-]'));
const ts = v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)));
const name = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 characters of [A-Za-z0-9_.:-]'),
);
const category = v.pipe(
  v.string(),
  v.trim(),
  v.toLowerCase(),
  v.regex(/^[a-z0-9_-]{1,40}$/, 'must be 1-40 characters of [a-z0-9_-]'),
);
const text = (max: number) => v.pipe(v.string(), v.maxLength(max));

const pageview = v.object({
  t: v.literal('pageview'),
  id,
  ts,
  path: v.optional(text(512)),
  category: v.optional(category),
  ref: v.optional(text(512)),
});
const scroll = v.object({ t: v.literal('scroll'), id, ts, depth: v.picklist([25, 50, 75, 90, 100]) });
const engaged = v.object({
  t: v.literal('engaged'),
  id,
  ts,
  ms: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(30 * 60_000)),
});
const slotEvent = <T extends 'click' | 'impression'>(t: T) =>
  v.object({ t: v.literal(t), id, ts, campaign: name, variant: name });
const conversion = v.object({
  t: v.literal('conversion'),
  id,
  ts,
  goal: name,
  value: v.optional(v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(1e9))),
  campaign: v.optional(name),
  variant: v.optional(name),
});
const form = <T extends 'form_start' | 'form_submit'>(t: T) =>
  v.object({ t: v.literal(t), id, ts, form: v.optional(text(128)) });

export const EventSchema = v.variant('t', [
  pageview,
  scroll,
  engaged,
  slotEvent('click'),
  slotEvent('impression'),
  conversion,
  form('form_start'),
  form('form_submit'),
]);

export const BatchSchema = v.object({
  v: v.optional(v.literal(1)),
  events: v.pipe(
    v.array(EventSchema),
    v.minLength(1, 'must hold at least one event'),
    v.maxLength(MAX_EVENTS),
  ),
});

export type HioEvent = v.InferOutput<typeof EventSchema>;
export type Batch = v.InferOutput<typeof BatchSchema>;

/** Validates a parsed JSON body; returns the batch or every problem found, with its path. */
export function parseBatch(input: unknown): { ok: true; batch: Batch } | { ok: false; problems: string[] } {
  const r = v.safeParse(BatchSchema, input);
  if (r.success) {
    const ids = new Set<string>();
    for (const e of r.output.events) {
      if (ids.has(e.id)) return { ok: false, problems: [`events: duplicate id ${e.id}`] };
      ids.add(e.id);
    }
    return { ok: true, batch: r.output };
  }
  return {
    ok: false,
    problems: r.issues.slice(0, 20).map((i) => `${v.getDotPath(i) ?? '(body)'}: ${i.message}`),
  };
}

export interface FoldContext {
  now: number;
  /** the stored profile before this batch */
  profile: FlatProfile;
  sessionTimeoutMs: number;
  interestHalfLifeMs: number;
}

/** Interest added per signal on a categorized page. */
export const INTEREST_WEIGHTS = { pageview: 1, deepScroll: 0.5, engagedMinute: 1 } as const;

function num(v: string | number | undefined): number {
  return typeof v === 'number' ? v : Number(v ?? 0) || 0;
}

/**
 * Turns a batch into op groups, one per event (keyed by the event id so a retried batch is not
 * counted twice). A pageview counts the visit (a new one after the session timeout) and the page.
 * Scroll and engaged time count towards the session they happened in (identified by its visit
 * number) and the category of their page: the latest pageview before them in the batch, or the last
 * category stored.
 */
export function foldEvents(events: readonly HioEvent[], ctx: FoldContext): OpGroup[] {
  const lc = ctx.profile.lc;
  let cat = typeof lc === 'string' ? lc : null;
  // follow the session op's arithmetic to know which visit the later events belong to
  let seen = ctx.profile.fs !== undefined;
  let visit = num(ctx.profile.v);
  let lastSeen = num(ctx.profile.ls);
  const groups: OpGroup[] = [];
  const interest = (n: number): Op[] =>
    cat ? [{ o: 'decay', f: `i.${cat}`, n, now: ctx.now, half: ctx.interestHalfLifeMs }] : [];
  for (const e of events) {
    const ops: Op[] = [];
    switch (e.t) {
      case 'pageview':
        if (!seen) visit = 1;
        else if (ctx.now - lastSeen > ctx.sessionTimeoutMs) visit++;
        seen = true;
        lastSeen = Math.max(lastSeen, ctx.now);
        ops.push(
          { o: 'session', now: ctx.now, idle: ctx.sessionTimeoutMs },
          { o: 'inc', f: 'pv', n: 1 },
          { o: 'inc', f: 'spv', n: 1 },
        );
        cat = e.category ?? null;
        if (cat) ops.push({ o: 'set', f: 'lc', v: cat }, ...interest(INTEREST_WEIGHTS.pageview));
        else ops.push({ o: 'del', f: 'lc' });
        break;
      case 'scroll':
        ops.push({ o: 'sess', sid: visit, f: 'sm', n: e.depth, m: 'max' });
        if (e.depth === 75) ops.push({ o: 'inc', f: 'dr', n: 1 }, ...interest(INTEREST_WEIGHTS.deepScroll));
        break;
      case 'engaged':
        ops.push(
          { o: 'sess', sid: visit, f: 'st', n: e.ms, m: 'inc' },
          { o: 'inc', f: 'et', n: e.ms },
          ...interest((INTEREST_WEIGHTS.engagedMinute * e.ms) / 60_000),
        );
        break;
      case 'click':
        ops.push({ o: 'inc', f: 'ck', n: 1 });
        break;
      case 'conversion':
        ops.push({ o: 'inc', f: `c.${e.goal}`, n: 1 });
        if (e.value !== undefined) ops.push({ o: 'inc', f: `cv.${e.goal}`, n: e.value });
        break;
      case 'impression':
      case 'form_start':
      case 'form_submit':
        // measured in analytics, no profile field
        break;
    }
    groups.push({ id: e.id, ops });
  }
  return groups;
}
