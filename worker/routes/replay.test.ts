/**
 * `POST /__hio/admin/replay`: only records this worker signed are written, with the same idempotent
 * statements as live traffic; a forged or malformed record changes nothing.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { type ReplayRecord, signReplayRecord } from '../db/measurement.ts';
import { ADMIN, call } from '../test/helpers.ts';

const record: ReplayRecord = {
  visitorId: 'RRRRRRRRRRRRRRRRRRRRRR',
  at: Date.parse('2026-11-22T10:00:00Z'),
  measurement: {
    exposures: [{ campaignId: 'replayed', seed: 'replayed', variantId: 'b' }],
    conversions: [
      {
        eventId: 'ev-replay-1',
        campaignId: 'replayed',
        seed: 'replayed',
        variantId: 'b',
        goal: 'buy',
        value: 12.5,
      },
    ],
    slotEvents: [],
  },
};

const post = (body: unknown, headers: Record<string, string> = ADMIN) =>
  call('/__hio/admin/replay', {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

async function counts() {
  const e = await env.HIO_DB.prepare(
    "SELECT COUNT(*) AS n FROM exposures WHERE campaign_id = 'replayed'",
  ).first<{ n: number }>();
  const c = await env.HIO_DB.prepare(
    "SELECT COUNT(*) AS n, SUM(value) AS v FROM conversion_events WHERE campaign_id = 'replayed'",
  ).first<{ n: number; v: number | null }>();
  return { exposures: e?.n, conversions: c?.n, value: c?.v ?? 0 };
}

describe('POST /__hio/admin/replay', () => {
  it('replays records the worker signed, idempotently', async () => {
    const sig = await signReplayRecord('test-secret', record);
    for (let i = 0; i < 2; i++) {
      const res = await post({ records: [{ record, sig }] });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ replayed: 1, skippedErased: 0 });
    }
    expect(await counts()).toEqual({ exposures: 1, conversions: 1, value: 12.5 });
  });

  it('refuses a forged or altered record and changes nothing', async () => {
    const before = await counts();
    const sig = await signReplayRecord('test-secret', record);
    const altered = {
      ...record,
      measurement: {
        ...record.measurement,
        conversions: [{ ...record.measurement.conversions[0]!, eventId: 'ev-forged', value: 1e6 }],
      },
    };
    expect((await post({ records: [{ record: altered, sig }] })).status).toBe(400);
    const other = await signReplayRecord('another-secret', altered);
    expect((await post({ records: [{ record: altered, sig: other }] })).status).toBe(400);
    // structurally invalid: SQL text where an id belongs
    const bad = { ...record, visitorId: "x'; DROP TABLE exposures; --" };
    expect((await post({ records: [{ record: bad, sig }] })).status).toBe(400);
    expect(await counts()).toEqual(before);
  });

  it('needs the bearer token', async () => {
    expect((await post({ records: [] }, {})).status).toBe(401);
  });
});
