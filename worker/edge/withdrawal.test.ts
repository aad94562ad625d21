/**
 * Privacy when it matters most: a visitor who turns on Global Privacy Control or withdraws consent is
 * forgotten at their first request; without a loaded document nobody is profiled; an erasure is not
 * undone by replaying old logs; per-visitor rows expire with the retention period.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createConfigRepo } from '../db/config-repo.ts';
import { createMeasurementWriter, signReplayRecord } from '../db/measurement.ts';
import {
  ADMIN,
  call,
  collect,
  eventId,
  me,
  page,
  putConfig,
  settle,
  visitorCookie,
} from '../test/helpers.ts';

const campaigns = [
  {
    id: 'all',
    slot: { selector: '#hero', action: 'replace' },
    variants: [{ id: 'v', html: '<b>hi</b>' }],
    goals: ['purchase'],
  },
];

async function converted(): Promise<{ cookie: string; id: string }> {
  const res = await page('/page');
  const cookie = visitorCookie(res);
  await res.text();
  await settle();
  expect(
    (await collect(cookie, { events: [{ t: 'conversion', id: eventId(), goal: 'purchase' }] })).status,
  ).toBe(204);
  await settle();
  return { cookie, id: cookie.slice('hio_vid='.length).split('.')[0] as string };
}

const rows = async (id: string) =>
  (
    await env.HIO_DB.prepare(
      'SELECT (SELECT COUNT(*) FROM exposures WHERE visitor_id = ?1) + (SELECT COUNT(*) FROM conversion_events WHERE visitor_id = ?1) AS n',
    )
      .bind(id)
      .first<{ n: number }>()
  )?.n;

describe('a visitor who withdraws', () => {
  it('turning on Global Privacy Control: cookie cleared, profile and rows erased at the first request', async () => {
    await putConfig({ version: 1, campaigns });
    const { cookie, id } = await converted();
    expect(await rows(id)).toBeGreaterThan(0);
    const res = await page('/page', cookie, { headers: { 'sec-gpc': '1' } });
    expect(await res.text()).not.toContain('/__hio/client.js');
    expect(res.headers.getSetCookie().some((c) => /^hio_vid=; Max-Age=0/.test(c))).toBe(true);
    await settle();
    expect((await me(cookie)).stored).toEqual({});
    expect(await rows(id)).toBe(0);
  });

  it('losing the consent cookie: the same', async () => {
    await putConfig({
      version: 1,
      settings: { privacy: { consentCookie: { name: 'consent', value: 'yes' } } },
      campaigns,
    });
    const first = await page('/page', 'consent=yes');
    const cookie = visitorCookie(first);
    await first.text();
    await settle();
    await collect(`${cookie}; consent=yes`, {
      events: [{ t: 'conversion', id: eventId(), goal: 'purchase' }],
    });
    expect(Object.keys((await me(cookie)).stored as object).length).toBeGreaterThan(0);
    const res = await page('/page', `${cookie}; consent=no`);
    expect(res.headers.getSetCookie().some((c) => /^hio_vid=; Max-Age=0/.test(c))).toBe(true);
    await res.text();
    await settle();
    expect((await me(cookie)).stored).toEqual({});
  });

  it('is not brought back by replaying a record logged before the erasure', async () => {
    await putConfig({ version: 1, campaigns });
    const { cookie, id } = await converted();
    const record = {
      visitorId: id,
      at: Date.now() - 60_000,
      measurement: {
        exposures: [{ campaignId: 'all', seed: 'all', variantId: 'v' }],
        conversions: [
          { eventId: 'ev-old-1', campaignId: 'all', seed: 'all', variantId: 'v', goal: 'purchase', value: 5 },
        ],
        slotEvents: [],
      },
    };
    expect((await call('/__hio/me', { method: 'DELETE', headers: { cookie } })).status).toBe(200);
    const res = await call('/__hio/admin/replay', {
      method: 'POST',
      headers: { ...ADMIN, 'content-type': 'application/json' },
      body: JSON.stringify({ records: [{ record, sig: await signReplayRecord('test-secret', record) }] }),
    });
    expect(await res.json()).toEqual({ replayed: 0, skippedErased: 1 });
    expect(await rows(id)).toBe(0);
  });
});

describe('without a loaded campaign document', () => {
  it('profiles nobody: no cookie, no script, and beacons are asked to come back later', async () => {
    await env.HIO_DB.prepare('DELETE FROM configs').run();
    createConfigRepo(env.HIO_DB, 0, () => {}).invalidate();
    const res = await page('/page');
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(await res.text()).not.toContain('/__hio/client.js');
    expect(res.headers.get('server-timing')).toContain('hio-skip;desc="no-document"');
    // a visitor from before (their cookie still valid) is not profiled either; the batch is kept by the script
    await putConfig({ version: 1, campaigns });
    const cookie = visitorCookie(await page('/page'));
    await env.HIO_DB.prepare('DELETE FROM configs').run();
    createConfigRepo(env.HIO_DB, 0, () => {}).invalidate();
    const beacon = await collect(cookie, { events: [{ t: 'conversion', id: eventId(), goal: 'purchase' }] });
    expect(beacon.status).toBe(503);
    expect(beacon.headers.get('retry-after')).not.toBeNull();
  });
});

describe('retention', () => {
  it('removes per-visitor rows older than the retention period, and keeps newer ones', async () => {
    const w = createMeasurementWriter(env.HIO_DB, () => {});
    const day = 86_400_000;
    const now = Date.now();
    const m = (campaignId: string) => ({
      exposures: [{ campaignId, seed: campaignId, variantId: 'v' }],
      conversions: [],
      slotEvents: [],
    });
    await w.persist({
      visitorId: 'OLDOLDOLDOLDOLDOLDOLD1',
      at: now - 91 * day,
      measurement: m('retention-old'),
    });
    await w.persist({
      visitorId: 'NEWNEWNEWNEWNEWNEWNEW1',
      at: now - 89 * day,
      measurement: m('retention-new'),
    });
    await w.purgeExpired(now, 90 * day);
    const left = await env.HIO_DB.prepare(
      "SELECT campaign_id AS c FROM exposures WHERE campaign_id LIKE 'retention-%'",
    ).all<{ c: string }>();
    expect(left.results.map((r) => r.c)).toEqual(['retention-new']);
  });
});
