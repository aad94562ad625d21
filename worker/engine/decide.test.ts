import { describe, expect, it } from 'vitest';
import { type DecideInput, decide, isInHoldout } from './decide.ts';
import { type CompiledDocument, parseDocument } from './document.ts';
import { encodeAssignment } from './profile-fields.ts';
import { srmPValue } from './stats.ts';

function compile(doc: unknown): CompiledDocument {
  const r = parseDocument(doc);
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.doc;
}

const slot = (selector = '#hero') => ({ selector, action: 'replace' });
const ab = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  slot: slot(),
  variants: [{ id: 'control' }, { id: 'b', html: 'B' }],
  ...extra,
});

function run(doc: CompiledDocument, over: Partial<DecideInput> = {}) {
  return decide({
    doc,
    visitorId: 'visitor-1',
    attributes: { visits: 1, device: 'desktop' },
    assignments: {},
    exposuresToday: {},
    now: Date.parse('2026-11-22T12:00:00Z'),
    ...over,
  });
}

describe('decide', () => {
  it('splits 100,000 visitors by the weights (no sample ratio mismatch)', () => {
    const doc = compile({ version: 1, campaigns: [ab('split', { weights: [0.2, 0.8] })] });
    const counts = [0, 0];
    for (let i = 0; i < 100_000; i++) {
      const r = run(doc, { visitorId: `v${i}` });
      const idx = r.decisions[0]?.variantIndex ?? -1;
      counts[idx] = (counts[idx] ?? 0) + 1;
    }
    expect(srmPValue(counts, [0.2, 0.8])).toBeGreaterThan(0.001);
    expect((counts[0] ?? 0) / 100_000).toBeCloseTo(0.2, 2);
  });

  it('keeps a stored assignment when weights and coverage change, and reassigns on a new seed', () => {
    const doc = compile({ version: 1, campaigns: [ab('c', { weights: [0.01, 0.99], coverage: 0.5 })] });
    const stored = { c: encodeAssignment('control', 'c') };
    expect(run(doc, { assignments: stored }).decisions[0]?.variant.id).toBe('control');
    const reseeded = compile({ version: 1, campaigns: [ab('c', { weights: [0, 1], seed: 'new' })] });
    const r = run(reseeded, { assignments: stored });
    expect(r.decisions[0]?.variant.id).toBe('b');
    expect(r.decisions[0]?.newAssignment).toBe(true);
  });

  it('explains targeting failures with the failing clause', () => {
    const doc = compile({
      version: 1,
      campaigns: [ab('t', { targeting: { $and: [{ device: 'desktop' }, { visits: { $gte: 2 } }] } })],
    });
    const r = run(doc);
    expect(r.decisions).toHaveLength(0);
    expect(r.explanations[0]).toMatchObject({
      status: 'not-targeted',
      reason: 'visits {"$gte":2} is false (visitor: 1)',
    });
  });

  it('gives each slot to the highest priority campaign only', () => {
    const doc = compile({
      version: 1,
      campaigns: [ab('low', { priority: 1, weights: [0, 1] }), ab('high', { priority: 5, weights: [0, 1] })],
    });
    const r = run(doc);
    expect(r.decisions.map((d) => d.campaign.id)).toEqual(['high']);
    expect(r.explanations.find((e) => e.campaign === 'low')?.status).toBe('slot-taken');
  });

  it('keeps mutually exclusive campaigns apart, sticky to the one already assigned', () => {
    const doc = compile({
      version: 1,
      campaigns: [
        { ...ab('a', { group: 'g', weights: [0, 1] }), slot: slot('#a') },
        { ...ab('b', { group: 'g', weights: [0, 1] }), slot: slot('#b') },
      ],
    });
    expect(run(doc).decisions.map((d) => d.campaign.id)).toEqual(['a']);
    const r = run(doc, { assignments: { b: encodeAssignment('b', 'b') } });
    expect(r.decisions.map((d) => d.campaign.id)).toEqual(['b']);
    expect(r.explanations.find((e) => e.campaign === 'a')?.status).toBe('group-taken');
  });

  it('honours schedules, status, coverage and frequency caps', () => {
    const doc = compile({
      version: 1,
      campaigns: [
        { ...ab('future', { start: '2027-01-01T00:00:00Z' }), slot: slot('#1') },
        { ...ab('past', { end: '2026-01-01T00:00:00Z' }), slot: slot('#2') },
        { ...ab('paused', { status: 'paused' }), slot: slot('#3') },
        { ...ab('none', { coverage: 0 }), slot: slot('#4') },
        { ...ab('capped', { frequencyCap: { perDay: 2 } }), slot: slot('#5') },
      ],
    });
    const r = run(doc, { exposuresToday: { capped: 2 } });
    const status = Object.fromEntries(r.explanations.map((e) => [e.campaign, e.status]));
    expect(status).toEqual({
      future: 'scheduled',
      past: 'scheduled',
      paused: 'paused',
      none: 'outside-coverage',
      capped: 'capped',
    });
    expect(r.decisions).toHaveLength(0);
  });

  it('puts the holdout share of visitors in the holdout, shows them nothing and lists what they were held from', () => {
    const doc = compile({ version: 1, holdout: 0.1, campaigns: [ab('c')] });
    let held = 0;
    for (let i = 0; i < 20_000; i++) {
      const id = `h${i}`;
      const r = run(doc, { visitorId: id });
      expect(r.holdout).toBe(isInHoldout(doc, id));
      if (r.holdout) {
        held++;
        expect(r.decisions).toHaveLength(0);
        expect(r.heldOut.map((c) => c.id)).toEqual(['c']);
      }
    }
    expect(held / 20_000).toBeCloseTo(0.1, 2);
  });

  it('changes several slots together in a multivariate campaign', () => {
    const doc = compile({
      version: 1,
      campaigns: [
        {
          id: 'mv',
          slots: { hero: slot('#hero'), cta: { selector: '.cta', action: 'setAttribute', name: 'class' } },
          weights: [0, 1],
          variants: [{ id: 'control' }, { id: 'v', slots: { hero: '<h1>New</h1>', cta: 'cta big' } }],
        },
      ],
    });
    const d = run(doc).decisions[0];
    expect(d?.variant.contents.map((c) => c !== undefined)).toEqual([true, true]);
    expect(d?.campaign.slots.map((s) => s.selector)).toEqual(['#hero', '.cta']);
  });

  it('forces a variant for a QA preview, bypassing targeting and holdout', () => {
    const doc = compile({ version: 1, holdout: 0.5, campaigns: [ab('c', { targeting: { visits: 99 } })] });
    const r = run(doc, { force: { campaign: 'c', variant: 'b' } });
    expect(r.decisions[0]).toMatchObject({ preview: true });
    expect(r.decisions[0]?.variant.id).toBe('b');
  });

  it('decides 100 campaigns quickly enough to measure (see npm run bench for the figure)', () => {
    const campaigns = Array.from({ length: 100 }, (_, i) => ({
      ...ab(`c${i}`, { targeting: { $and: [{ device: 'desktop' }, { visits: { $gte: i % 3 } }] } }),
      slot: slot(`#s${i}`),
    }));
    const doc = compile({ version: 1, campaigns });
    const r = run(doc);
    expect(r.explanations).toHaveLength(100);
  });
});

describe('session stability', () => {
  it('keeps a stable campaign in its slot for the session even when targeting or priorities change', () => {
    const doc = compile({
      version: 1,
      campaigns: [
        ab('high', { priority: 10, weights: [0, 1], targeting: { visits: { $gte: 1 } } }),
        ab('stable', { priority: 1, weights: [0, 1], stable: true, targeting: { visits: 0 } }),
      ],
    });
    expect(run(doc).decisions.map((d) => d.campaign.id)).toEqual(['high']);
    const r = run(doc, { shownThisSession: new Set(['stable']) });
    expect(r.decisions.map((d) => d.campaign.id)).toEqual(['stable']);
    expect(r.explanations.find((e) => e.campaign === 'high')?.status).toBe('slot-taken');
  });
});
