/**
 * @module events
 * The beacon's event batch: its schema (valibot, so every problem is reported with its path) and how
 * each event folds into profile operations. Pure: the caller passes the clock and the settings.
 */
import * as v from 'valibot';
import {
  BEACON_VERSION,
  CATEGORY_PATTERN,
  EVENT_ID_PATTERN,
  MAX_CATEGORY_CHARS,
  MAX_ENGAGED_MS,
  MAX_EVENTS,
  MAX_FORM_CHARS,
  MAX_ITEM_POSITION,
  MAX_NAME_CHARS,
  MAX_URL_CHARS,
  MAX_VALUE,
  NAME_PATTERN,
  SCROLL_DEPTHS,
} from './beacon-protocol.ts';
import { encodeItemClick, F, type FlatProfile, field, nameOf, num, P, utcDay } from './profile-fields.ts';
import type { Op, OpGroup } from './profile-ops.ts';

const id = v.pipe(v.string(), v.regex(EVENT_ID_PATTERN, 'must be 4-40 characters of [A-Za-z0-9_-]'));
const ts = v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)));
const name = v.pipe(
  v.string(),
  v.regex(NAME_PATTERN, `must be 1-${MAX_NAME_CHARS} characters of [A-Za-z0-9_.:-]`),
);
const category = v.pipe(
  v.string(),
  v.trim(),
  v.toLowerCase(),
  v.regex(CATEGORY_PATTERN, `must be 1-${MAX_CATEGORY_CHARS} characters of [a-z0-9_-]`),
);
const text = (max: number) => v.pipe(v.string(), v.maxLength(max));

const pageview = v.object({
  t: v.literal('pageview'),
  id,
  ts,
  path: v.optional(text(MAX_URL_CHARS)),
  category: v.optional(category),
  ref: v.optional(text(MAX_URL_CHARS)),
  /** the catalogue id the page declares (`<meta name="hio:item">`) */
  item: v.optional(name),
});
const scroll = v.object({ t: v.literal('scroll'), id, ts, depth: v.picklist(SCROLL_DEPTHS) });
const engaged = v.object({
  t: v.literal('engaged'),
  id,
  ts,
  ms: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_ENGAGED_MS)),
});
const slotEvent = <T extends 'click' | 'impression'>(t: T) =>
  v.object({ t: v.literal(t), id, ts, campaign: name, variant: name });
/**
 * A click's item mark (`data-hio-item` / `data-hio-pos`) as the page wrote it. It is a hint, never a
 * reason to refuse the batch: an id that is not a catalogue id, or a position that is not an integer in
 * 1-MAX_ITEM_POSITION, is left out (the click still counts as the slot's).
 */
const itemMark = v.optional(
  v.pipe(
    v.nullable(text(MAX_URL_CHARS)),
    v.transform((s) => (s !== null && NAME_PATTERN.test(s) ? s : undefined)),
  ),
);
const positionMark = v.optional(
  v.pipe(
    v.nullable(v.number()),
    v.transform((n) =>
      n !== null && Number.isInteger(n) && n >= 1 && n <= MAX_ITEM_POSITION ? n : undefined,
    ),
  ),
);
const click = v.object({
  t: v.literal('click'),
  id,
  ts,
  campaign: name,
  variant: name,
  item: itemMark,
  pos: positionMark,
});
const conversion = v.object({
  t: v.literal('conversion'),
  id,
  ts,
  goal: name,
  value: v.optional(v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(MAX_VALUE))),
  campaign: v.optional(name),
  variant: v.optional(name),
});
const form = <T extends 'form_start' | 'form_submit'>(t: T) =>
  v.object({ t: v.literal(t), id, ts, form: v.optional(text(MAX_FORM_CHARS)) });

export const EventSchema = v.variant('t', [
  pageview,
  scroll,
  engaged,
  click,
  slotEvent('impression'),
  conversion,
  form('form_start'),
  form('form_submit'),
]);

export const BatchSchema = v.object({
  v: v.optional(v.literal(BEACON_VERSION)),
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

/**
 * What a pageview does to a profile: a new visit after the session timeout, one more page, and both
 * counted in today's UTC day buckets (visits7d, pageviews30d, ...).
 */
export function pageviewOps(now: number, idleMs: number): Op[] {
  const day = String(utcDay(now));
  return [
    { o: 'session', now, idle: idleMs },
    { o: 'inc', f: F.pageviews, n: 1 },
    { o: 'inc', f: F.sessionPageviews, n: 1 },
    { o: 'vday', f: field(P.dayVisits, day) },
    { o: 'inc', f: field(P.dayPageviews, day), n: 1 },
  ];
}

export interface FoldContext {
  now: number;
  /** the stored profile before this batch */
  profile: FlatProfile;
  sessionTimeoutMs: number;
  interestHalfLifeMs: number;
  /** the goals of cartAbandoned: conversions of these record the visit they happened in */
  cartGoal?: string;
  purchaseGoal?: string;
}

/** Interest added per signal on a categorized page. */
export const INTEREST_WEIGHTS = { pageview: 1, deepScroll: 0.5, engagedMinute: 1 } as const;

/** Where one event of a batch falls in the visitor's visits (sessions), as {@link foldEvents} counts them. */
export interface EventSession {
  /** the visit number the event counts towards (0: no visit yet, an event before any pageview) */
  visit: number;
  /** when that visit started (ms): the profile's session start, or `now` for a visit the batch starts */
  startedAt: number;
  /** pageviews: the page's position in its visit (1: the pageview started it); 0 for other events */
  page: number;
  /** the visit's engaged ms before this event */
  engagedBefore: number;
}

export type SessionContext = Pick<FoldContext, 'now' | 'profile' | 'sessionTimeoutMs'>;

/**
 * The visit of each event, following the `session` op's arithmetic on the stored profile: a pageview
 * more than the session timeout after the last one (or a visitor's first) starts a visit; the other
 * events of the batch count towards the visit in progress. Every event of a batch shares `now` (the
 * arrival of the batch), as in the profile ops, so only a batch's first pageview can start a visit.
 */
export function sessionsOf(events: readonly HioEvent[], ctx: SessionContext): EventSession[] {
  const p = ctx.profile;
  let seen = p[F.firstSeen] !== undefined;
  let visit = num(p, F.visits);
  let lastSeen = num(p, F.lastSeen);
  let startedAt = num(p, F.sessionStart) || ctx.now;
  let pages = num(p, F.sessionPageviews);
  // the stored session engagement belongs to the visit named by `sid` (the `sess` op resets it otherwise)
  let engaged = num(p, F.sessionId) === visit ? num(p, F.sessionEngagedMs) : 0;
  return events.map((e) => {
    const engagedBefore = engaged;
    if (e.t === 'pageview') {
      if (!seen || ctx.now - lastSeen > ctx.sessionTimeoutMs) {
        visit = seen ? visit + 1 : 1;
        startedAt = ctx.now;
        pages = 0;
        engaged = 0;
      }
      seen = true;
      lastSeen = Math.max(lastSeen, ctx.now);
      pages++;
      return { visit, startedAt, page: pages, engagedBefore: engaged };
    }
    if (e.t === 'engaged') engaged += e.ms;
    return { visit, startedAt, page: 0, engagedBefore };
  });
}

/**
 * Turns a batch into op groups, one per event (keyed by the event id so a retried batch is not
 * counted twice). A pageview counts the visit (a new one after the session timeout) and the page.
 * Scroll and engaged time count towards the session they happened in (identified by its visit
 * number) and the category of their page: the latest pageview before them in the batch, or the last
 * category stored.
 */
export function foldEvents(events: readonly HioEvent[], ctx: FoldContext): OpGroup[] {
  const lc = ctx.profile[F.lastCategory];
  let cat = typeof lc === 'string' ? lc : null;
  // follow the session op's arithmetic to know which visit the later events belong to
  const sessions = sessionsOf(events, ctx);
  // the current page's item, and the items carted in this visit (bought when the visit purchases)
  const pi = ctx.profile[F.pageItem];
  let item = typeof pi === 'string' && pi ? pi : null;
  const carted = new Map<string, number>();
  for (const [k, val] of Object.entries(ctx.profile)) {
    const name = nameOf(k, P.itemCarted);
    if (name !== null) carted.set(name, Number(val) || 0);
  }
  const groups: OpGroup[] = [];
  const interest = (n: number): Op[] =>
    cat ? [{ o: 'decay', f: field(P.interest, cat), n, now: ctx.now, half: ctx.interestHalfLifeMs }] : [];
  events.forEach((e, i) => {
    const ops: Op[] = [];
    const visit = sessions[i]?.visit ?? 0;
    switch (e.t) {
      case 'pageview':
        ops.push(...pageviewOps(ctx.now, ctx.sessionTimeoutMs));
        // the current page's own state (hesitated, deepReader): reset by every pageview
        ops.push(
          { o: 'set', f: F.pagePath, v: (e.path ?? '').split('?')[0]?.slice(0, 200) ?? '' },
          { o: 'set', f: F.pageEngagedMs, v: 0 },
          { o: 'set', f: F.pageClicks, v: 0 },
          { o: 'set', f: F.pageMaxScroll, v: 0 },
        );
        cat = e.category ?? null;
        if (cat) ops.push({ o: 'set', f: F.lastCategory, v: cat }, ...interest(INTEREST_WEIGHTS.pageview));
        else ops.push({ o: 'del', f: F.lastCategory });
        item = e.item ?? null;
        if (item)
          ops.push(
            { o: 'set', f: F.pageItem, v: item },
            { o: 'max', f: field(P.itemViewed, item), n: ctx.now },
          );
        else ops.push({ o: 'del', f: F.pageItem });
        break;
      case 'scroll':
        ops.push(
          { o: 'sess', sid: visit, f: F.sessionMaxScroll, n: e.depth, m: 'max' },
          { o: 'max', f: F.pageMaxScroll, n: e.depth },
        );
        if (e.depth === 75)
          ops.push({ o: 'inc', f: F.deepReads, n: 1 }, ...interest(INTEREST_WEIGHTS.deepScroll));
        break;
      case 'engaged':
        ops.push(
          { o: 'sess', sid: visit, f: F.sessionEngagedMs, n: e.ms, m: 'inc' },
          { o: 'inc', f: F.engagedMs, n: e.ms },
          { o: 'inc', f: F.pageEngagedMs, n: e.ms },
          { o: 'inc', f: field(P.dayEngagedMs, String(utcDay(ctx.now))), n: e.ms },
          ...interest((INTEREST_WEIGHTS.engagedMinute * e.ms) / 60_000),
        );
        break;
      case 'click':
        ops.push({ o: 'inc', f: F.clicks, n: 1 }, { o: 'inc', f: F.pageClicks, n: 1 });
        // a listed item clicked (a recommendation): which, where and when, for what follows it
        if (e.item)
          ops.push(
            { o: 'max', f: field(P.itemClicked, e.item), n: ctx.now },
            {
              o: 'set',
              f: field(P.itemClickedIn, e.item),
              v: encodeItemClick({ campaign: e.campaign, variant: e.variant, position: e.pos ?? 0 }),
            },
          );
        break;
      case 'conversion':
        // a conversion (a click on a data-hio-goal element, or a tracked goal) is a click on the page too
        ops.push({ o: 'inc', f: field(P.conversions, e.goal), n: 1 }, { o: 'inc', f: F.pageClicks, n: 1 });
        if (e.value !== undefined) ops.push({ o: 'inc', f: field(P.conversionValue, e.goal), n: e.value });
        if (e.goal === ctx.cartGoal) {
          ops.push({ o: 'max', f: F.cartVisit, n: visit });
          // added to the cart on an item's page: that item is in the cart
          if (item) {
            ops.push({ o: 'max', f: field(P.itemCarted, item), n: visit });
            carted.set(item, Math.max(carted.get(item) ?? 0, visit));
          }
        }
        if (e.goal === ctx.purchaseGoal) {
          ops.push({ o: 'max', f: F.purchaseVisit, n: visit });
          // what was carted in this visit is bought
          for (const [name, v] of carted)
            if (v === visit) ops.push({ o: 'max', f: field(P.itemBought, name), n: ctx.now });
        }
        break;
      case 'impression':
      case 'form_start':
      case 'form_submit':
        // measured in analytics, no profile field
        break;
    }
    groups.push({ id: e.id, ops });
  });
  return groups;
}
