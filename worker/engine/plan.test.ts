/**
 * The two pure plans, without Miniflare: what a page shows and what it leaves behind, and what a
 * beacon batch stores, as data.
 */
import { describe, expect, it } from 'vitest';
import type { RequestFacts } from './attributes.ts';
import type { CompiledDocument } from './document.ts';
import { parseDocument } from './document.ts';
import { type HioEvent, parseBatch } from './events.ts';
import { planBeacon, planPage, type Writes } from './plan.ts';
import {
  ALL_CAMPAIGN,
  encodeAssignment,
  type FlatProfile,
  HOLDOUT_VARIANT,
  TREATED_VARIANT,
} from './profile-fields.ts';
import { applyOps } from './profile-ops.ts';

const NOW = Date.parse('2026-11-20T12:00:00Z');

function compile(doc: unknown): CompiledDocument {
  const r = parseDocument(doc);
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.doc;
}

/** One campaign, `hero`, replacing #hero with its one variant `b` (the document's other fields given). */
const heroDoc = (extra: { holdout?: number } = {}): CompiledDocument =>
  compile({
    version: 1,
    ...extra,
    campaigns: [
      { id: 'hero', slot: { selector: '#hero', action: 'replace' }, variants: [{ id: 'b', html: 'B' }] },
    ],
  });

/**
 * The exposure row of campaign hero for the visitor of {@link facts}: one variant (p 1) and no context (not
 * contextual); the breakdowns of results, and the pre-exposure covariate of CUPED (no pageview stored yet).
 */
const heroExposure = (variantId: string) => ({
  campaignId: 'hero',
  seed: 'hero',
  variantId,
  context: '',
  p: 1,
  device: 'desktop',
  source: 'direct',
  segments: '',
  cluster: '',
  prePageviews: 0,
});

/** The stored profile after a plan's profile write. */
function applied(stored: FlatProfile, w: Writes): FlatProfile {
  const p: FlatProfile = { ...stored };
  applyOps(p, w.profile?.groups ?? []);
  return p;
}

const DOC = compile({
  version: 1,
  settings: { goals: ['newsletter'], categoryRules: [{ pattern: '^/c/shoes', category: 'shoes' }] },
  campaigns: [
    {
      id: 'hero',
      slot: { selector: '#hero', action: 'replace' },
      variants: [{ id: 'bold', html: '<b>{{ topInterest }}</b>' }],
      goals: ['purchase'],
      frequencyCap: { perDay: 5 },
    },
    {
      id: 'footer',
      slot: { selector: 'footer', action: 'append' },
      variants: [{ id: 'control' }],
      stable: true,
    },
  ],
});

function facts(path = '/'): RequestFacts {
  const url = new URL(`https://shop.example${path}`);
  return {
    url,
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0',
    referer: null,
    country: null,
    timezone: null,
    now: NOW,
    category: null,
  };
}

describe('planPage', () => {
  it('plans the slot writes, and settles only the campaigns whose slots were on the page', () => {
    const stored = { fs: NOW - 86_400_000, ls: NOW - 3_600_000, v: 1, 'i.shoes': 2, 'i@shoes': NOW };
    const plan = planPage({ doc: DOC, visitorId: 'visitor-1', stored, facts: facts(), mode: 'page' });
    expect(plan.rewrite.writes).toEqual([
      {
        selector: '#hero',
        action: 'replace',
        name: undefined,
        campaign: 'hero',
        variant: 'bold',
        content: '<b>shoes</b>',
      },
      {
        selector: 'footer',
        action: 'append',
        name: undefined,
        campaign: 'footer',
        variant: 'control',
        content: undefined,
      },
    ]);
    // the page had #hero but no footer: only hero is assigned, exposed and counted towards its cap
    const w = plan.settle(new Set(['hero']));
    // logged with the probability its variant had (one variant: 1) and no context (not contextual)
    expect(w.measurement.exposures).toEqual([heroExposure('bold')]);
    expect(w.profile).toEqual({
      writer: 'page',
      ttlSeconds: 90 * 86_400,
      groups: [
        {
          ops: [
            { o: 'set', f: 'a.hero', v: encodeAssignment('bold', 'hero') },
            { o: 'daily', f: 'x.hero', day: Math.floor(NOW / 86_400_000) },
          ],
        },
      ],
    });
    // the pageview of this request is in the attributes (a second visit: the last was an hour ago)
    expect(plan.attributes.visits).toBe(2);
  });

  it('stores nothing for a returning visitor whose assignments are settled and caps absent', () => {
    const doc = heroDoc();
    const stored = { fs: NOW - 1000, ls: NOW - 1000, v: 1, 'a.hero': encodeAssignment('b', 'hero') };
    const w = planPage({ doc, visitorId: 'v', stored, facts: facts(), mode: 'page' }).settle(
      new Set(['hero']),
    );
    expect(w.profile).toBeNull();
    expect(w.measurement).toEqual({ exposures: [], conversions: [], slotEvents: [] });
  });

  it("records a new visitor's first visit as treated, and a held-out visitor's exposure as holdout", () => {
    const doc = heroDoc({ holdout: 0.5 });
    const seen = { treated: 0, held: 0 };
    for (let i = 0; i < 40; i++) {
      const plan = planPage({ doc, visitorId: `visitor-${i}`, stored: {}, facts: facts(), mode: 'page' });
      const w = plan.settle(new Set(['hero']));
      const all = w.measurement.exposures.find((e) => e.campaignId === ALL_CAMPAIGN);
      if (plan.result.holdout) {
        seen.held++;
        expect(all?.variantId).toBe(HOLDOUT_VARIANT);
        expect(plan.rewrite.writes).toEqual([]);
        expect(w.measurement.exposures).toContainEqual(
          expect.objectContaining({ campaignId: 'hero', seed: 'hero', variantId: HOLDOUT_VARIANT }),
        );
      } else {
        seen.treated++;
        expect(all?.variantId).toBe(TREATED_VARIANT);
      }
    }
    expect(seen.held).toBeGreaterThan(5);
    expect(seen.treated).toBeGreaterThan(5);
  });

  it('stores nothing for previews and explanations', () => {
    for (const mode of ['preview', 'explain'] as const) {
      const plan = planPage({
        doc: DOC,
        visitorId: 'v',
        stored: {},
        facts: facts(),
        mode,
        force: { campaign: 'hero', variant: 'bold' },
      });
      const w = plan.settle(new Set(['hero', 'footer']));
      expect(w.profile, mode).toBeNull();
      expect(w.measurement, mode).toEqual({ exposures: [], conversions: [], slotEvents: [] });
    }
  });
});

function batch(events: unknown[]): HioEvent[] {
  const r = parseBatch({ v: 1, events });
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.batch.events;
}

describe('planBeacon', () => {
  it('folds events into op groups keyed by event id, and attributes conversions to the assignment', () => {
    const stored = { fs: NOW - 1000, ls: NOW - 1000, v: 1, 'a.hero': encodeAssignment('bold', 'hero') };
    const events = batch([
      { t: 'pageview', id: 'pv-0001', path: '/c/shoes/runner' },
      { t: 'impression', id: 'im-0001', campaign: 'hero', variant: 'bold' },
      { t: 'impression', id: 'im-0002', campaign: 'hero', variant: 'control' },
      { t: 'conversion', id: 'cv-0001', goal: 'purchase', value: 40 },
      { t: 'conversion', id: 'cv-0002', goal: 'newsletter' },
      { t: 'conversion', id: 'cv-0003', goal: 'made-up' },
    ]);
    const w = planBeacon({ doc: DOC, visitorId: 'visitor-1', stored, events, now: NOW });
    expect(w.profile?.writer).toBe('beacon');
    expect(w.profile?.groups.map((g) => g.id)).toEqual([
      'pv-0001',
      'im-0001',
      'im-0002',
      'cv-0001',
      'cv-0002',
    ]);
    // the category comes from the document's URL rules
    const p = applied(stored, w);
    expect(p.lc).toBe('shoes');
    expect(p['c.purchase']).toBe(1);
    expect(p['cv.purchase']).toBe(40);
    // a marker that does not match the assignment is not counted
    expect(w.measurement.slotEvents).toEqual([
      { eventId: 'im-0001', kind: 'impression', campaignId: 'hero', seed: 'hero', variantId: 'bold' },
    ]);
    // purchase is the campaign's goal, newsletter is not; both count programme-wide
    expect(w.measurement.conversions).toEqual([
      {
        eventId: 'cv-0001',
        campaignId: 'hero',
        seed: 'hero',
        variantId: 'bold',
        goal: 'purchase',
        value: 40,
      },
      {
        eventId: 'cv-0001',
        campaignId: '__all',
        seed: 'all',
        variantId: TREATED_VARIANT,
        goal: 'purchase',
        value: 40,
      },
      {
        eventId: 'cv-0002',
        campaignId: '__all',
        seed: 'all',
        variantId: TREATED_VARIANT,
        goal: 'newsletter',
        value: 0,
      },
    ]);
  });

  it('does not attribute to an assignment made under an old seed', () => {
    const stored = { 'a.hero': encodeAssignment('bold', 'old-seed') };
    const events = batch([{ t: 'conversion', id: 'cv-0003', goal: 'purchase' }]);
    const w = planBeacon({ doc: DOC, visitorId: 'v', stored, events, now: NOW });
    expect(w.measurement.conversions.map((c) => c.campaignId)).toEqual(['__all']);
  });
});

describe('the decision API (mode decide)', () => {
  const doc = heroDoc();
  const stored: FlatProfile = { fs: NOW - 60_000, ls: NOW - 60_000, v: 1 };

  it('settles the assignment at once and holds the exposure until the impression', () => {
    const plan = planPage({ doc, visitorId: 'v', stored, facts: facts(), mode: 'decide' });
    const w = plan.settle(new Set(['hero']));
    expect(w.measurement.exposures).toEqual([]);
    const p = applied(stored, w);
    expect(p['a.hero']).toBe(encodeAssignment('b', 'hero'));
    expect(typeof p['e.hero']).toBe('string');

    // the slot's impression exposes the visitor, with the row the decision made (once per batch)
    const events = batch([
      { t: 'impression', id: 'im-0001', campaign: 'hero', variant: 'b' },
      { t: 'impression', id: 'im-0002', campaign: 'hero', variant: 'b' },
      { t: 'click', id: 'ck-0001', campaign: 'hero', variant: 'b' },
    ]);
    const b = planBeacon({ doc, visitorId: 'v', stored: p, events, now: NOW });
    expect(b.measurement.exposures).toEqual([heroExposure('b')]);
    expect(b.measurement.slotEvents.map((e) => e.eventId)).toEqual(['im-0001', 'im-0002', 'ck-0001']);

    // a click without an impression is no exposure; a marker of another variant is none either
    const other = planBeacon({
      doc,
      visitorId: 'v',
      stored: p,
      events: batch([
        { t: 'click', id: 'ck-0002', campaign: 'hero', variant: 'b' },
        { t: 'impression', id: 'im-0003', campaign: 'hero', variant: 'x' },
      ]),
      now: NOW,
    });
    expect(other.measurement.exposures).toEqual([]);

    // a later page that shows the slot counts the pending exposure (the impression may never come)
    const page = planPage({ doc, visitorId: 'v', stored: p, facts: facts(), mode: 'page' }).settle(
      new Set(['hero']),
    );
    expect(page.measurement.exposures.map((e) => [e.campaignId, e.variantId])).toEqual([['hero', 'b']]);
    // ... and a later decision call never does (it holds, the impression counts)
    const again = planPage({ doc, visitorId: 'v', stored: p, facts: facts(), mode: 'decide' }).settle(
      new Set(['hero']),
    );
    expect(again.measurement.exposures).toEqual([]);
  });

  it('ignores a pending exposure made under an old seed, and a corrupt one', () => {
    const p: FlatProfile = {
      ...stored,
      'a.hero': encodeAssignment('b', 'hero'),
      'e.hero': JSON.stringify({ seed: 'old', variantId: 'b' }),
    };
    const events = batch([{ t: 'impression', id: 'im-0001', campaign: 'hero', variant: 'b' }]);
    expect(planBeacon({ doc, visitorId: 'v', stored: p, events, now: NOW }).measurement.exposures).toEqual(
      [],
    );
    p['e.hero'] = '{not json';
    expect(planBeacon({ doc, visitorId: 'v', stored: p, events, now: NOW }).measurement.exposures).toEqual(
      [],
    );
  });

  it("holds a held-out visitor's exposure until the held-out slot's impression, which counts no impression", () => {
    const held = heroDoc({ holdout: 0.5 });
    const plans = Array.from({ length: 40 }, (_, i) =>
      planPage({ doc: held, visitorId: `v${i}`, stored, facts: facts(), mode: 'decide' }),
    );
    const plan = plans.find((x) => x.result.heldOut.length > 0);
    if (!plan) throw new Error('no visitor of 40 is held out at 50 %');
    expect(plan.result.heldOut.map((c) => c.id)).toEqual(['hero']);
    const w = plan.settle(new Set(['hero']));
    expect(w.measurement.exposures).toEqual([]);
    const p = applied(stored, w);
    expect(p['a.hero']).toBe(encodeAssignment(HOLDOUT_VARIANT, 'hero'));
    const b = planBeacon({
      doc: held,
      visitorId: 'v-held',
      stored: p,
      events: batch([{ t: 'impression', id: 'im-0001', campaign: 'hero', variant: HOLDOUT_VARIANT }]),
      now: NOW,
    });
    expect(b.measurement.exposures.map((e) => [e.campaignId, e.variantId])).toEqual([
      ['hero', HOLDOUT_VARIANT],
    ]);
    expect(b.measurement.slotEvents).toEqual([]);
  });
});

describe('items a visitor viewed, carted and bought', () => {
  const doc = compile({
    version: 1,
    settings: { goals: ['add_to_cart', 'purchase'] },
    campaigns: [],
  });
  const fold = (stored: FlatProfile, events: unknown[], now = NOW) =>
    applied(stored, planBeacon({ doc, visitorId: 'v', stored, events: batch(events), now }));

  it('records item pages as views, and what was carted in a visit that purchased as bought', () => {
    let p = fold({}, [
      { t: 'pageview', id: 'pv-0001', path: '/p/boot', item: 'boot' },
      { t: 'conversion', id: 'cv-0001', goal: 'add_to_cart' },
      { t: 'pageview', id: 'pv-0002', path: '/p/bag', item: 'bag' },
    ]);
    expect(p['iv.boot']).toBe(NOW);
    expect(p['iv.bag']).toBe(NOW);
    expect(p['ic.boot']).toBe(1);
    expect(p['ic.bag']).toBeUndefined();
    expect(p.pi).toBe('bag');
    // a later batch of the same visit: the cart (from the stored profile) becomes bought
    p = fold(p, [
      { t: 'pageview', id: 'pv-0003', path: '/checkout' },
      { t: 'conversion', id: 'cv-0002', goal: 'purchase' },
    ]);
    expect(p['ib.boot']).toBe(NOW);
    expect(p['ib.bag']).toBeUndefined();
    expect(p.pi).toBeUndefined();
  });

  it('keeps the 20 most recent items viewed', () => {
    const events = Array.from({ length: 25 }, (_, i) => ({
      t: 'pageview',
      id: `pv-${String(i).padStart(4, '0')}`,
      path: `/p/item-${i}`,
      item: `item-${i}`,
    }));
    let p: FlatProfile = {};
    events.forEach((e, i) => {
      p = fold(p, [e], NOW + i * 1000);
    });
    const viewed = Object.keys(p).filter((k) => k.startsWith('iv.'));
    expect(viewed).toHaveLength(20);
    expect(viewed).not.toContain('iv.item-0');
    expect(viewed).toContain('iv.item-24');
  });
});
