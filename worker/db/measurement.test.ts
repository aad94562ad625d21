import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { encodeAssignment, parseDocument, planBeacon } from '../engine/index.ts';
import { createMeasurementWriter, verifyReplayRecord } from './measurement.ts';

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

describe('measurement writes', () => {
  it('are idempotent: the same events twice count once', async () => {
    const w = createMeasurementWriter(env.HIO_DB, () => {});
    const profile = { 'a.c': encodeAssignment('b', 'c') };
    const events = [
      { t: 'conversion' as const, id: 'ev-a1', goal: 'buy', value: 5 },
      { t: 'impression' as const, id: 'ev-a2', campaign: 'c', variant: 'b' },
      { t: 'click' as const, id: 'ev-a3', campaign: 'c', variant: 'b' },
      // a marker that does not match the assignment is not counted
      { t: 'impression' as const, id: 'ev-a4', campaign: 'c', variant: 'control' },
    ];
    const now = Date.now();
    const exposure = {
      exposures: [{ campaignId: 'c', seed: 'c', variantId: 'b' }],
      conversions: [],
      slotEvents: [],
    };
    for (let i = 0; i < 2; i++) {
      await w.persist({ visitorId: 'vis-1', at: now, measurement: exposure });
      await w.persist(planBeacon({ doc, visitorId: 'vis-1', stored: profile, events, now }));
    }
    const slots = await env.HIO_DB.prepare('SELECT variant_id, impressions, clicks FROM slot_daily').all();
    expect(slots.results).toEqual([{ variant_id: 'b', impressions: 1, clicks: 1 }]);
    const conv = await env.HIO_DB.prepare(
      "SELECT COUNT(*) AS n FROM conversion_events WHERE campaign_id = 'c'",
    ).first();
    expect(conv).toEqual({ n: 1 });
    await w.eraseVisitor('vis-1', now);
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
    const w = createMeasurementWriter(failing, () => {}, {
      attempts: 3,
      backoffMs: 1,
      secret: 'test-secret',
    });
    const measurement = {
      exposures: [{ campaignId: 'c', seed: 'c', variantId: 'b' }],
      conversions: [],
      slotEvents: [],
    };
    const at = Date.parse('2026-11-22T10:00:00Z');
    await w.persist({ visitorId: 'vis-2', at, measurement });
    spy.mockRestore();
    expect(calls).toBe(3);
    // the record holds the rows themselves (never SQL), exactly as the plan handed them over
    const line = JSON.parse(errors.find((l) => l.includes('hio-replay')) as string);
    expect(line.record).toEqual({ visitorId: 'vis-2', at, measurement });
    // signed, so that only records the worker wrote can be replayed
    expect(await verifyReplayRecord('test-secret', line.record, line.sig)).toBe(true);
    expect(await verifyReplayRecord('test-secret', { ...line.record, at: at + 1 }, line.sig)).toBe(false);
  });
  it('purge counted-event ids older than the given age, and leave the counters and newer ids alone', async () => {
    const w = createMeasurementWriter(env.HIO_DB, () => {});
    const now = Date.parse('2026-11-22T10:00:00Z');
    const DAY = 86_400_000;
    const impression = (eventId: string, at: number) =>
      w.persist({
        visitorId: 'vis-purge',
        at,
        measurement: {
          exposures: [],
          conversions: [],
          slotEvents: [{ eventId, kind: 'impression', campaignId: 'pc', seed: 'pc', variantId: 'b' }],
        },
      });
    await impression('ev-old', now - 3 * DAY);
    await impression('ev-new', now - DAY);
    const ids = async () =>
      (
        await env.HIO_DB.prepare("SELECT event_id FROM seen_events WHERE visitor_id = 'vis-purge'").all<{
          event_id: string;
        }>()
      ).results.map((r) => r.event_id);
    const counted = async () =>
      (
        await env.HIO_DB.prepare(
          "SELECT SUM(impressions) AS n FROM slot_daily WHERE campaign_id = 'pc'",
        ).first<{
          n: number;
        }>()
      )?.n;
    expect((await ids()).sort()).toEqual(['ev-new', 'ev-old']);
    await w.purgeSeenEvents(now, 2 * DAY);
    expect(await ids()).toEqual(['ev-new']);
    expect(await counted()).toBe(2);
    // the id still kept goes on guarding retries
    await impression('ev-new', now - DAY);
    expect(await counted()).toBe(2);
  });
});
