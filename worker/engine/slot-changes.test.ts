import { describe, expect, it } from 'vitest';
import { decide } from './decide.ts';
import { parseDocument } from './document.ts';

const campaign = (id: string, priority: number, targeting: Record<string, unknown>, extra = {}) => ({
  id,
  priority,
  slot: { selector: '#hero', action: 'replace' },
  targeting,
  variants: [{ id, html: `<p>${id}</p>` }],
  ...extra,
});

function docOf(slotChanges: 'session' | 'any' | undefined, extra = {}) {
  const r = parseDocument({
    version: 1,
    ...(slotChanges ? { settings: { slotChanges } } : {}),
    campaigns: [campaign('buyer', 100, { buyer: true }, extra), campaign('welcome', 10, { buyer: false })],
  });
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.doc;
}

const run = (doc: ReturnType<typeof docOf>, shown: string[]) =>
  decide({
    doc,
    visitorId: 'v1',
    attributes: { buyer: true },
    assignments: {},
    exposuresToday: {},
    now: Date.UTC(2026, 3, 20),
    shownThisSession: new Set(shown),
    visit: 3,
  });

describe('slot changes (settings.slotChanges)', () => {
  it('"session": the campaign shown first keeps the slot for the session, and the reasons say why', () => {
    const doc = docOf('session');
    expect(doc.campaigns.every((c) => c.stable)).toBe(true);
    const r = run(doc, ['welcome']);
    expect(r.decisions.map((d) => d.campaign.id)).toEqual(['welcome']);
    const why = Object.fromEntries(r.explanations.map((e) => [e.campaign, e.reason]));
    expect(why.welcome).toContain('kept for this session: shown since visit 3 began');
    expect(why.buyer).toContain('slot did not change: kept by "welcome" for this session');
    // first decision in a session: the slot changes once
    const first = run(doc, []);
    expect(first.decisions.map((d) => d.campaign.id)).toEqual(['buyer']);
    expect(first.explanations.find((e) => e.campaign === 'buyer')?.reason).toContain(
      'slot changed: first decision this session',
    );
  });

  it('"any" (the default): every request decides afresh; a campaign can opt in or out', () => {
    expect(docOf(undefined).campaigns.some((c) => c.stable)).toBe(false);
    expect(run(docOf('any'), ['welcome']).decisions.map((d) => d.campaign.id)).toEqual(['buyer']);
    // "session" with a campaign that says stable: false: it is not pinned, another one may take over
    const d = docOf('session');
    expect(d.campaigns.find((c) => c.id === 'welcome')?.stable).toBe(true);
    const optedOut = parseDocument({
      version: 1,
      settings: { slotChanges: 'session' },
      campaigns: [campaign('buyer', 100, { buyer: true }), campaign('welcome', 10, {}, { stable: false })],
    });
    if (!optedOut.ok) throw new Error('invalid');
    expect(run(optedOut.doc, ['welcome']).decisions.map((x) => x.campaign.id)).toEqual(['buyer']);
  });
});
