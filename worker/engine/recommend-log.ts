/**
 * @module recommend-log
 * From the raw event log (R2, docs/event-log.md) to the sessions `learnNeighbours` learns from. Pure:
 * the job (db/recs-job.ts) reads the objects and hands over their lines.
 *
 * A line is `{ at, day, visitor, t, id, ... }`. What counts:
 * - a pageview with `item` (the page's `<meta name="hio:item">`) is a view of that item; a pageview
 *   without one still counts for the session's timing and leaves the visitor on no item;
 * - a conversion of the cart goal (`settings.signals.cartGoal`, `add_to_cart` by default) puts the
 *   item of the visitor's current page in the session's cart;
 * - a conversion of the purchase goal makes every item carted in the session a purchase.
 * This is the beacon's own arithmetic for `ic.` and `ib.` (events.ts), replayed over the log.
 *
 * Sessions: one visitor's records in time order (`at`, the time the worker received the batch, then
 * the order of the lines), a new session at a pageview more than `gapMs` after the visitor's previous
 * pageview, as the profile counts visits.
 */
import type { SessionEvent } from './recommend.ts';

/** What the co-view job keeps of one line of the log. */
export interface LogRecord {
  /** the visitor's pseudonym */
  visitor: string;
  /** the event id (a redelivered batch repeats it) */
  id: string;
  at: number;
  kind: 'view' | 'page' | 'cart' | 'purchase';
  /** the item of a view */
  item?: string;
}

/** Item ids as the beacon accepts them (beacon-protocol NAME_PATTERN). */
const ITEM = /^[A-Za-z0-9_.:-]{1,64}$/;

export interface LogGoals {
  cartGoal: string;
  purchaseGoal: string;
}

/** One NDJSON line of the event log as an object; null when it does not parse or is not an object. */
export function logObject(line: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(line);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/**
 * One NDJSON line of the log as the job needs it; null for other events and for lines that do not
 * parse. Lines that cannot be a pageview or a conversion are skipped before parsing.
 */
export function parseLogLine(line: string, goals: LogGoals): LogRecord | null {
  if (!line.includes('"pageview"') && !line.includes('"conversion"')) return null;
  const e = logObject(line);
  if (!e) return null;
  const { visitor, id, at } = e;
  if (typeof visitor !== 'string' || !visitor || typeof id !== 'string') return null;
  if (typeof at !== 'number' || !Number.isFinite(at)) return null;
  if (e.t === 'pageview') {
    const item = e.item;
    return typeof item === 'string' && ITEM.test(item)
      ? { visitor, id, at, kind: 'view', item }
      : { visitor, id, at, kind: 'page' };
  }
  if (e.t === 'conversion') {
    if (e.goal === goals.purchaseGoal) return { visitor, id, at, kind: 'purchase' };
    if (e.goal === goals.cartGoal) return { visitor, id, at, kind: 'cart' };
  }
  return null;
}

export interface LogSessionOptions {
  /** a pageview more than this after the visitor's previous one starts a session (ms) */
  gapMs: number;
  /** only these items are learned (the catalogue); others are read as pages without an item */
  isItem?: (item: string) => boolean;
}

/**
 * The sessions of the records (any order; a record repeated by visitor and id counts once), each the
 * item views and purchases `learnNeighbours` takes. Sessions without any item are left out.
 */
export function logSessions(records: readonly LogRecord[], options: LogSessionOptions): SessionEvent[][] {
  const byVisitor = new Map<string, { r: LogRecord; seq: number }[]>();
  const seen = new Set<string>();
  records.forEach((r, seq) => {
    const key = `${r.visitor} ${r.id}`;
    if (seen.has(key)) return;
    seen.add(key);
    let list = byVisitor.get(r.visitor);
    if (!list) {
      list = [];
      byVisitor.set(r.visitor, list);
    }
    list.push({ r, seq });
  });
  const out: SessionEvent[][] = [];
  for (const list of byVisitor.values()) {
    list.sort((a, b) => a.r.at - b.r.at || a.seq - b.seq);
    let session: SessionEvent[] = [];
    let lastPageview = Number.NEGATIVE_INFINITY;
    let current: string | null = null;
    let carted = new Set<string>();
    const close = () => {
      if (session.length > 0) out.push(session);
      session = [];
      carted = new Set();
      current = null;
    };
    for (const { r } of list) {
      if (r.kind === 'view' || r.kind === 'page') {
        if (r.at - lastPageview > options.gapMs) close();
        lastPageview = r.at;
        const item = r.kind === 'view' && r.item && (options.isItem?.(r.item) ?? true) ? r.item : null;
        current = item;
        if (item) session.push({ item, at: r.at, kind: 'view' });
      } else if (r.kind === 'cart') {
        if (current) carted.add(current);
      } else {
        for (const item of carted) session.push({ item, at: r.at, kind: 'purchase' });
        carted = new Set();
      }
    }
    close();
  }
  return out;
}
