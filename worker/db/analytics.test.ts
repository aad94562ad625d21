import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { parseDocument } from '../engine/document.ts';
import { createAnalyticsWriter } from './analytics.ts';

const doc = (() => {
  const r = parseDocument({
    version: 1,
    campaigns: [
      {
        id: 'c',
        slot: { selector: '#h', action: 'replace' },
        variants: [{ id: 'control' }, { id: 'b', html: 'B' }],
        goals: ['buy'],
      },
    ],
  });
  if (!r.ok) throw new Error(r.problems.join());
  return r.doc;
})();

describe('analytics writes', () => {
  it('are idempotent: the same events twice count once', async () => {
    const w = createAnalyticsWriter(env.HIO_DB, () => {});
    const profile = { 'a.c': 'b|' + (await import('../engine/decide.ts')).seedTag('c') };
    const events = [
      { t: 'conversion' as const, id: 'ev-a1', goal: 'buy', value: 5 },
      { t: 'impression' as const, id: 'ev-a2', campaign: 'c', variant: 'b' },
      { t: 'click' as const, id: 'ev-a3', campaign: 'c', variant: 'b' },
      // a marker that does not match the assignment is not counted
      { t: 'impression' as const, id: 'ev-a4', campaign: 'c', variant: 'control' },
    ];
    for (let i = 0; i < 2; i++) {
      await w.recordExposures('vis-1', [{ campaignId: 'c', seed: 'c', variantId: 'b' }], Date.now());
      await w.recordEvents('vis-1', profile, doc, events, Date.now());
    }
    const slots = await env.HIO_DB.prepare('SELECT variant_id, impressions, clicks FROM slot_daily').all();
    expect(slots.results).toEqual([{ variant_id: 'b', impressions: 1, clicks: 1 }]);
    const conv = await env.HIO_DB.prepare(
      "SELECT COUNT(*) AS n FROM conversion_events WHERE campaign_id = 'c'",
    ).first();
    expect(conv).toEqual({ n: 1 });
    await w.eraseVisitor('vis-1');
    const left = await env.HIO_DB.prepare(
      "SELECT COUNT(*) AS n FROM exposures WHERE visitor_id = 'vis-1'",
    ).first();
    expect(left).toEqual({ n: 0 });
  });

  it('retry a failing batch and then log it with everything needed to replay it', async () => {
    let calls = 0;
    const failing = {
      prepare: (sql: string) => env.HIO_DB.prepare(sql),
      batch: () => {
        calls++;
        return Promise.reject(new Error('D1_ERROR: overloaded'));
      },
    } as unknown as D1Database;
    const errors: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((line: string) => errors.push(line));
    const w = createAnalyticsWriter(failing, () => {}, { attempts: 3, backoffMs: 1 });
    await w.recordExposures(
      'vis-2',
      [{ campaignId: 'c', seed: 'c', variantId: 'b' }],
      Date.parse('2026-11-22T10:00:00Z'),
    );
    spy.mockRestore();
    expect(calls).toBe(3);
    const record = JSON.parse(errors.find((l) => l.includes('hio-replay')) as string);
    expect(record.statements[0].params).toEqual([
      'vis-2',
      'c',
      'c',
      'b',
      '2026-11-22',
      Date.parse('2026-11-22T10:00:00Z'),
    ]);
  });
});
