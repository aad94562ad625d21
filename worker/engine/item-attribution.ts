/**
 * @module item-attribution
 * What follows a click on a listed item (a recommendation, or a list the site marks the same way with
 * `data-hio-item` / `data-hio-pos`): the rows that measure click-through per variant (so per strategy)
 * and position, and the conversions attributed to those clicks.
 *
 * - **clicks**: a click on a marked item inside a slot, counted for the slot's campaign and variant at
 *   the item's position (0 when the page gave none), when the visitor really is assigned that variant.
 * - **conversions** and **value**: a conversion the campaign counts (one of its goals, or any goal when
 *   it names none) after a click on one of its listed items in the same visit is attributed to that
 *   campaign and variant, at the position of the visit's latest such click (last click). Its value,
 *   when it has one, is summed beside it.
 * - **items_bought**: a purchase (the document's purchase goal) that buys an item the visitor clicked in
 *   a campaign's list in the same visit counts that item for the campaign, variant and position of the
 *   click: the clicked recommendation itself was bought, not only something after it.
 *
 * The visit is the beacon's own session arithmetic (events.ts `sessionsOf`). Clicks of earlier batches
 * are read from the profile (`rc.<item>` when, `rw.<item>` where; the 20 latest are kept); clicks of
 * this batch count from their place in it. Each row carries the key that makes it count once in D1
 * (db/measurement.ts), so a resent batch, planned again against a profile that now holds its own
 * clicks, adds nothing.
 */
import type { CompiledDocument } from './document.ts';
import type { EventSession, HioEvent } from './events.ts';
import {
  decodeItemClick,
  type FlatProfile,
  field,
  HOLDOUT_VARIANT,
  type ItemClick,
  nameOf,
  P,
} from './profile-fields.ts';
import type { OpGroup } from './profile-ops.ts';

export const ITEM_METRICS = ['clicks', 'conversions', 'value', 'items_bought'] as const;
export type ItemMetric = (typeof ITEM_METRICS)[number];

/** One amount for a campaign's variant at a list position, counted once by `key`. */
export interface ItemMetricRow {
  /** counts once per visitor (seen_events) */
  key: string;
  campaignId: string;
  seed: string;
  variantId: string;
  /** 1 for the list's first item; 0 when the page gave no position */
  position: number;
  metric: ItemMetric;
  amount: number;
}

export interface ItemAttributionInput {
  doc: CompiledDocument;
  stored: FlatProfile;
  /** the batch's events (the ones planBeacon keeps), with their sessions and op groups, index for index */
  events: readonly HioEvent[];
  sessions: readonly EventSession[];
  groups: readonly OpGroup[];
  /** campaign -> the variant the visitor was assigned before the batch */
  assigned: ReadonlyMap<string, string>;
  now: number;
}

interface KnownClick extends ItemClick {
  at: number;
  /** order among clicks at the same time (later in the batch: higher) */
  seq: number;
}

const later = (a: KnownClick, b: KnownClick) => a.at > b.at || (a.at === b.at && a.seq > b.seq);

export function itemAttributionRows(input: ItemAttributionInput): ItemMetricRow[] {
  const { doc, stored, events, sessions, groups, assigned, now } = input;
  const byId = new Map(doc.campaigns.map((c) => [c.id, c]));
  // a click counts only for the variant the visitor is assigned now (a new seed starts over)
  const live = (k: ItemClick) => {
    const c = byId.get(k.campaign);
    return c && k.variant !== HOLDOUT_VARIANT && assigned.get(c.id) === k.variant ? c : undefined;
  };
  const clicks = new Map<string, KnownClick>();
  for (const [f, at] of Object.entries(stored)) {
    const item = nameOf(f, P.itemClicked);
    if (item === null) continue;
    const k = decodeItemClick(stored[field(P.itemClickedIn, item)]);
    if (k) clicks.set(item, { ...k, at: Number(at) || 0, seq: 0 });
  }
  const rows: ItemMetricRow[] = [];
  const row = (
    c: { id: string; seed: string },
    k: ItemClick,
    metric: ItemMetric,
    amount: number,
    key: string,
  ) =>
    rows.push({
      key: `r:${c.id}:${metric}:${key}`,
      campaignId: c.id,
      seed: c.seed,
      variantId: k.variant,
      position: k.position,
      metric,
      amount,
    });
  events.forEach((e, i) => {
    if (e.t === 'click') {
      if (!e.item) return;
      const k: KnownClick = {
        campaign: e.campaign,
        variant: e.variant,
        position: e.pos ?? 0,
        at: now,
        seq: i + 1,
      };
      const c = live(k);
      if (!c) return;
      row(c, k, 'clicks', 1, e.id);
      clicks.set(e.item, k);
      return;
    }
    if (e.t !== 'conversion') return;
    const start = sessions[i]?.startedAt ?? now;
    // each campaign's latest click of this visit
    const latest = new Map<string, KnownClick>();
    for (const k of clicks.values()) {
      if (k.at < start || !live(k)) continue;
      const l = latest.get(k.campaign);
      if (!l || later(k, l)) latest.set(k.campaign, k);
    }
    for (const k of latest.values()) {
      const c = live(k);
      if (!c || (c.goals.length > 0 && !c.goals.includes(e.goal))) continue;
      row(c, k, 'conversions', 1, e.id);
      if (e.value) row(c, k, 'value', e.value, e.id);
    }
    // the items this purchase bought (the fold's own rule: what the visit carted)
    for (const op of groups[i]?.ops ?? []) {
      const item = 'f' in op ? nameOf(op.f, P.itemBought) : null;
      const k = item === null ? undefined : clicks.get(item);
      if (!k || k.at < start) continue;
      const c = live(k);
      if (c) row(c, k, 'items_bought', 1, `${e.id}:${item}`);
    }
  });
  return rows;
}
