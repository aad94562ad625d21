/**
 * Clicks on listed items and what follows them, through planBeacon as the collector runs it: the
 * profile each batch leaves (applyOps) is the next batch's stored profile.
 */
import { describe, expect, it } from 'vitest';
import type { CompiledDocument } from './document.ts';
import { parseDocument } from './document.ts';
import { type HioEvent, parseBatch } from './events.ts';
import type { ItemMetricRow } from './item-attribution.ts';
import { planBeacon } from './plan.ts';
import { encodeAssignment, type FlatProfile, HOLDOUT_VARIANT } from './profile-fields.ts';
import { applyOps } from './profile-ops.ts';

const NOW = Date.parse('2026-11-20T12:00:00Z');
const MIN = 60_000;

function compile(doc: unknown): CompiledDocument {
  const r = parseDocument(doc);
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.doc;
}

const LI = '<li><a href="{{ item.url }}">{{ item.title }}</a></li>';
const DOC = compile({
  version: 1,
  settings: { goals: ['purchase', 'add_to_cart', 'newsletter'] },
  campaigns: [
    {
      id: 'also',
      slot: { selector: '#also', action: 'replace' },
      variants: [{ id: 'shop-list' }, { id: 'similar', recommend: { strategy: 'similar' }, html: LI }],
      goals: ['purchase'],
    },
    {
      id: 'home',
      slot: { selector: '#home', action: 'replace' },
      variants: [{ id: 'for-you', recommend: { strategy: 'for-you' }, html: LI }],
    },
  ],
});

function batch(events: unknown[]): HioEvent[] {
  const r = parseBatch({ v: 1, events });
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.batch.events;
}

/** A visitor assigned `also/similar` and `home/for-you`, mid-visit. */
const assigned = (): FlatProfile => ({
  fs: NOW - 3 * MIN,
  ls: NOW - MIN,
  ss: NOW - 3 * MIN,
  v: 1,
  'a.also': encodeAssignment('similar', 'also'),
  'a.home': encodeAssignment('for-you', 'home'),
});

/** Plans each batch `gap` ms after the previous, applying its profile ops; returns every item row. */
function run(profile: FlatProfile, batches: unknown[][], gap = MIN, doc = DOC): ItemMetricRow[] {
  const rows: ItemMetricRow[] = [];
  batches.forEach((events, i) => {
    const w = planBeacon({ doc, visitorId: 'v', stored: profile, events: batch(events), now: NOW + i * gap });
    rows.push(...(w.measurement.itemMetrics ?? []));
    applyOps(profile, w.profile?.groups ?? []);
  });
  return rows;
}

const brief = (rows: ItemMetricRow[]) =>
  rows.map((r) => `${r.campaignId}/${r.variantId}@${r.position} ${r.metric}=${r.amount}`);

describe('item clicks and attributed conversions', () => {
  it('counts a click at its position, and a later purchase in the visit for the last click', () => {
    const p = assigned();
    const rows = run(p, [
      [
        { t: 'pageview', id: 'pv-1', path: '/' },
        { t: 'click', id: 'ck-1', campaign: 'also', variant: 'similar', item: 'boot', pos: 1 },
      ],
      [
        { t: 'pageview', id: 'pv-2', path: '/p/sock', item: 'sock' },
        { t: 'click', id: 'ck-2', campaign: 'also', variant: 'similar', item: 'sock', pos: 3 },
        { t: 'conversion', id: 'cv-1', goal: 'add_to_cart' },
      ],
      [{ t: 'conversion', id: 'cv-2', goal: 'purchase', value: 40 }],
    ]);
    expect(brief(rows)).toEqual([
      'also/similar@1 clicks=1',
      'also/similar@3 clicks=1',
      // add_to_cart is not one of the campaign's goals: not attributed
      'also/similar@3 conversions=1',
      'also/similar@3 value=40',
      // sock was carted on its page and clicked in the list: the recommendation itself was bought
      'also/similar@3 items_bought=1',
    ]);
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
    // the click is in the profile: item, when, and where
    expect(p['rc.sock']).toBe(NOW + MIN);
    expect(p['rw.sock']).toBe('also|similar|3');
  });

  it('attributes nothing to a click of an earlier visit, a variant the visitor is not in, or the holdout', () => {
    const p = assigned();
    const rows = run(
      p,
      [
        [
          { t: 'click', id: 'ck-1', campaign: 'also', variant: 'similar', item: 'boot', pos: 2 },
          { t: 'click', id: 'ck-2', campaign: 'also', variant: 'shop-list', item: 'hat', pos: 1 },
          { t: 'click', id: 'ck-3', campaign: 'home', variant: HOLDOUT_VARIANT, item: 'cap', pos: 1 },
          { t: 'click', id: 'ck-4', campaign: 'gone', variant: 'x', item: 'cap', pos: 1 },
        ],
        // two hours later: a new visit
        [
          { t: 'pageview', id: 'pv-1', path: '/' },
          { t: 'conversion', id: 'cv-1', goal: 'purchase', value: 10 },
        ],
      ],
      120 * MIN,
    );
    expect(brief(rows)).toEqual(['also/similar@2 clicks=1']);
  });

  it('credits each campaign its own last click, and counts every goal for a campaign without goals', () => {
    const rows = run(assigned(), [
      [
        { t: 'click', id: 'ck-1', campaign: 'home', variant: 'for-you', item: 'a', pos: 1 },
        { t: 'click', id: 'ck-2', campaign: 'also', variant: 'similar', item: 'b', pos: 4 },
        { t: 'click', id: 'ck-3', campaign: 'home', variant: 'for-you', item: 'c', pos: 2 },
        { t: 'conversion', id: 'cv-1', goal: 'newsletter' },
        { t: 'conversion', id: 'cv-2', goal: 'purchase' },
      ],
    ]);
    expect(brief(rows)).toEqual([
      'home/for-you@1 clicks=1',
      'also/similar@4 clicks=1',
      'home/for-you@2 clicks=1',
      // newsletter: home counts every goal, also only purchase
      'home/for-you@2 conversions=1',
      'home/for-you@2 conversions=1',
      'also/similar@4 conversions=1',
    ]);
  });

  it('keeps a click without a usable position as position 0, and ignores clicks with no item', () => {
    const rows = run(assigned(), [
      [
        { t: 'click', id: 'ck-1', campaign: 'also', variant: 'similar', item: 'boot', pos: 2.5 },
        { t: 'click', id: 'ck-2', campaign: 'also', variant: 'similar' },
        { t: 'click', id: 'ck-3', campaign: 'also', variant: 'similar', item: 'not an id', pos: 1 },
      ],
    ]);
    expect(brief(rows)).toEqual(['also/similar@0 clicks=1']);
  });

  it('plans the same rows, with the same keys, when a batch arrives again after its profile write', () => {
    const p = assigned();
    const events = [
      { t: 'pageview', id: 'pv-1', path: '/p/sock', item: 'sock' },
      { t: 'click', id: 'ck-1', campaign: 'also', variant: 'similar', item: 'sock', pos: 1 },
      { t: 'conversion', id: 'cv-1', goal: 'add_to_cart' },
      { t: 'conversion', id: 'cv-2', goal: 'purchase', value: 5 },
    ];
    const first = run(p, [events]);
    // resent: the stored profile now holds its own click (D1 counts each key once)
    const again = planBeacon({ doc: DOC, visitorId: 'v', stored: p, events: batch(events), now: NOW + 1000 });
    expect(again.measurement.itemMetrics?.map((r) => r.key).sort()).toEqual(first.map((r) => r.key).sort());
  });

  it('keeps the 20 latest clicked items in the profile, each with where it was clicked', () => {
    const p = assigned();
    run(
      p,
      Array.from({ length: 25 }, (_, i) => [
        { t: 'click', id: `ck-${i}0`, campaign: 'also', variant: 'similar', item: `item-${i}`, pos: 1 },
      ]),
    );
    const clicked = Object.keys(p).filter((k) => k.startsWith('rc.'));
    expect(clicked).toHaveLength(20);
    expect(clicked).not.toContain('rc.item-0');
    for (const k of clicked) expect(p[`rw.${k.slice(3)}`]).toBe('also|similar|1');
    expect(Object.keys(p).filter((k) => k.startsWith('rw.'))).toHaveLength(20);
  });
});
