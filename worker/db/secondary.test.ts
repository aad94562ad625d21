/**
 * Secondary metrics in D1 (Miniflare): the rows planBeacon emits, written by the measurement writer
 * into minute_counts and metric_daily. A resent batch counts once, a session whose start was not
 * counted for the campaign counts nothing, simulated sessions of known bounce probability come out
 * in the results with intervals that cover the truth, the bounce guardrail fires on a variant far
 * above its threshold but not on one just under it, and a pagesPerSession guardrail pauses a variant of
 * short sessions (leaving out what sessions do past their first timeout) with its evidence in the audit log.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { Report } from '../engine/index.ts';
import {
  applyOps,
  buildReport,
  type CompiledDocument,
  encodeAssignment,
  type FlatProfile,
  type HioEvent,
  mulberry32,
  parseBatch,
  parseDocument,
  planBeacon,
} from '../engine/index.ts';
import { ADMIN, call, collect, eventId, page, putConfig, settle, visitorCookie } from '../test/helpers.ts';
import { runGuardrails } from './guardrail-job.ts';
import { createMeasurementWriter } from './measurement.ts';
import { readRawCounts } from './results.ts';

const MIN = 60_000;

function compile(doc: unknown): CompiledDocument {
  const r = parseDocument(doc);
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.doc;
}

const campaign = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  slot: { selector: '#hero', action: 'replace' },
  variants: [{ id: 'a' }, { id: 'b', html: 'B' }],
  ...extra,
});

let n = 0;
function batch(events: unknown[]): HioEvent[] {
  const r = parseBatch({ v: 1, events });
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.batch.events;
}
const pv = () => ({ t: 'pageview', id: `pv-${++n}`, path: '/p' });
const engaged = (ms: number) => ({ t: 'engaged', id: `en-${++n}`, ms });

/** A visitor as the beacon path sees it: the plan against the stored profile, then the profile updated. */
function visitor(doc: CompiledDocument, id: string, stored: FlatProfile) {
  const w = createMeasurementWriter(env.HIO_DB, () => {});
  let profile = { ...stored };
  return {
    get profile() {
      return profile;
    },
    plan: (events: HioEvent[], now: number) =>
      planBeacon({ doc, visitorId: id, stored: profile, events, now }),
    async send(events: HioEvent[], now: number, times = 1) {
      const plan = planBeacon({ doc, visitorId: id, stored: profile, events, now });
      for (let i = 0; i < times; i++) await w.persist(plan);
      const next = { ...profile };
      applyOps(next, plan.profile?.groups ?? []);
      profile = next;
      return plan;
    },
    persist: (plan: ReturnType<typeof planBeacon>) => w.persist(plan),
  };
}

async function sums(table: 'minute_counts' | 'metric_daily', campaignId: string) {
  const rows = await env.HIO_DB.prepare(
    `SELECT variant_id AS v, metric, SUM(count) AS n FROM ${table} WHERE campaign_id = ?1 GROUP BY variant_id, metric`,
  )
    .bind(campaignId)
    .all<{ v: string; metric: string; n: number }>();
  const out: Record<string, Record<string, number>> = {};
  for (const r of rows.results) out[r.v] = { ...out[r.v], [r.metric]: r.n };
  return out;
}

describe('secondary metrics in D1', () => {
  it('count a resent batch once, in the minute and day its session started', async () => {
    const doc = compile({ version: 1, campaigns: [campaign('s1')] });
    const t0 = Date.parse('2026-11-20T23:58:30Z');
    const v = visitor(doc, 'vis-s1', { 'a.s1': encodeAssignment('b', 's1') });
    const first = batch([pv(), engaged(12_500)]);
    await v.send(first, t0, 2);
    // three minutes later (past midnight UTC): the second and third pages of the same session, sent twice
    await v.send(batch([pv(), engaged(3_000), pv()]), t0 + 3 * MIN, 2);
    // the first batch again, as the client resends it after a lost reply: planned against a profile that
    // already holds it (so its rows differ), still guarded by its event ids
    await v.persist(v.plan(first, t0 + 4 * MIN));
    const want = {
      sessions: 1,
      multi_page_sessions: 1,
      pageviews: 3,
      pageviews_sq: 9,
      engaged_ms: 15_500,
      engaged_s2: 240,
    };
    expect(await sums('minute_counts', 's1')).toEqual({ b: want });
    expect(await sums('metric_daily', 's1')).toEqual({ b: want });
    // everything in the session's start minute and day
    const where = await env.HIO_DB.prepare(
      "SELECT DISTINCT minute FROM minute_counts WHERE campaign_id = 's1'",
    ).all<{ minute: number }>();
    expect(where.results).toEqual([{ minute: Math.floor(t0 / MIN) }]);
    const days = await env.HIO_DB.prepare(
      "SELECT DISTINCT day FROM metric_daily WHERE campaign_id = 's1'",
    ).all();
    expect(days.results).toEqual([{ day: '2026-11-20' }]);
    // the guard keys: one per event and campaign (an event counted for two campaigns counts for each),
    // and one for the session counted
    const keys = await env.HIO_DB.prepare(
      "SELECT event_id FROM seen_events WHERE visitor_id = 'vis-s1'",
    ).all<{ event_id: string }>();
    const ids = keys.results.map((k) => k.event_id);
    expect(ids.filter((k) => k.startsWith('m:s1:'))).toHaveLength(5);
    expect(ids.filter((k) => !k.startsWith('m:s1:'))).toEqual(['s:s1:s1:1']);
  });

  it('count nothing of a session the visitor was assigned in the middle of, and all of the next one', async () => {
    const doc = compile({ version: 1, campaigns: [campaign('s2')] });
    const t0 = Date.parse('2026-11-21T10:00:00Z');
    const v = visitor(doc, 'vis-s2', {});
    await v.send(batch([pv()]), t0);
    // the page assigns the campaign mid-session (its slot is on the second page)
    const assigned = { ...v.profile, 'a.s2': encodeAssignment('a', 's2') };
    const w = visitor(doc, 'vis-s2', assigned);
    await w.send(batch([pv(), engaged(5_000)]), t0 + MIN);
    expect(await sums('minute_counts', 's2')).toEqual({});
    // the next session is whole
    await w.send(batch([pv()]), t0 + 2 * MIN + doc.settings.sessionTimeoutMs);
    await w.send(batch([pv()]), t0 + 3 * MIN + doc.settings.sessionTimeoutMs);
    expect(await sums('minute_counts', 's2')).toEqual({
      a: { sessions: 1, multi_page_sessions: 1, pageviews: 2, pageviews_sq: 4 },
    });
  });

  it('give each variant its bounce rate, pages and engaged time per session; the bounce guardrail fires on the bad one only', {
    timeout: 120_000,
  }, async () => {
    const rule = { metric: 'bounce', above: 0.5, window: '30m', min: 200, action: 'pause' };
    const doc = compile({
      version: 1,
      campaigns: [campaign('s3', { guardrails: [rule] }), campaign('s4', { guardrails: [rule] })],
    });
    // true bounce probabilities: s3 b far above the threshold; s4 b a margin under it (an A/A-like check)
    const truth: Record<string, Record<string, number>> = { s3: { a: 0.4, b: 0.8 }, s4: { a: 0.4, b: 0.42 } };
    const rand = mulberry32(5);
    const t0 = Math.floor(Date.parse('2026-11-22T08:00:00Z') / MIN) * MIN;
    const tally: Record<string, { sessions: number; bounces: number; pages: number }> = {};
    for (let i = 0; i < 1200; i++) {
      const [c, variant] = [i % 2 ? 's3' : 's4', (i >> 1) % 2 ? 'b' : 'a'] as const;
      const key = `${c}/${variant}`;
      const t = tally[key] ?? { sessions: 0, bounces: 0, pages: 0 };
      tally[key] = t;
      const v = visitor(doc, `vis-${c}-${i}`, { [`a.${c}`]: encodeAssignment(variant, c) });
      // a session in the first 20 minutes, one engaged event per page, more pages with prob. 1 - bounce
      let now = t0 + Math.floor(rand() * 20 * MIN);
      let pages = 1;
      await v.send(batch([pv(), engaged(1_000 + Math.floor(rand() * 20_000))]), now);
      if (rand() >= (truth[c]?.[variant] ?? 0)) {
        do {
          now += MIN;
          pages++;
          await v.send(batch([pv(), engaged(1_000 + Math.floor(rand() * 20_000))]), now);
        } while (rand() < 0.5);
      } else t.bounces++;
      t.sessions++;
      t.pages += pages;
    }
    const report = buildReport(doc, await readRawCounts(env.HIO_DB));
    for (const c of report.campaigns) {
      for (const v of c.variants) {
        const t = tally[`${c.id}/${v.id}`];
        const s = v.secondary;
        // exactly what was simulated
        expect(s.sessions).toBe(t?.sessions);
        expect(s.bounceRate?.value).toBeCloseTo((t?.bounces ?? 0) / (t?.sessions ?? 1), 12);
        expect(s.pagesPerSession?.value).toBeCloseTo((t?.pages ?? 0) / (t?.sessions ?? 1), 12);
        // and the 95% intervals cover the truth: bounce p; pages 1 + (1 - p) * 2 (geometric, mean 2)
        const p = truth[c.id]?.[v.id] ?? 0;
        const [lo, hi] = s.bounceRate?.ci ?? [0, 0];
        expect(lo).toBeLessThan(p);
        expect(hi).toBeGreaterThan(p);
        const pages = s.pagesPerSession?.ci ?? [0, 0];
        expect(pages[0]).toBeLessThan(1 + (1 - p) * 2);
        expect(pages[1]).toBeGreaterThan(1 + (1 - p) * 2);
        // engaged: uniform 1-21 s per page, mean 11 s per page
        const engaged = s.engagedMsPerSession?.ci ?? [0, 0];
        expect(engaged[0]).toBeLessThan(11_000 * (1 + (1 - p) * 2));
        expect(engaged[1]).toBeGreaterThan(11_000 * (1 + (1 - p) * 2));
      }
    }

    // the guardrail, once the sessions are past the lag (session timeout + a minute) and in its window
    const before = await runGuardrails(env.HIO_DB, doc, t0 + 25 * MIN);
    expect(before).toEqual([]);
    const fired = await runGuardrails(env.HIO_DB, doc, t0 + 52 * MIN);
    expect(fired.map((a) => [a.campaign, a.variant, a.action])).toEqual([['s3', 'b', 'pause']]);
    expect(fired[0]?.evidence).toMatchObject({ metric: 'bounce', lagMinutes: 31, threshold: 0.5 });
    expect(fired[0]?.evidence.bound).toBeGreaterThan(0.5);
    expect(fired[0]?.evidence.observations).toBe(tally['s3/b']?.sessions);
  });

  it('pause a variant whose sessions are clearly shorter than a pagesPerSession rule, and say why in the audit log', {
    timeout: 120_000,
  }, async () => {
    const rule = { metric: 'pagesPerSession', below: 2.5, window: '30m', min: 200, action: 'pause' };
    const source = {
      version: 1,
      campaigns: [
        campaign('s6', {
          variants: [{ id: 'a' }, { id: 'short', html: 'S' }, { id: 'long', html: 'L' }],
          guardrails: [rule],
        }),
      ],
    };
    const doc = compile(source);
    const rand = mulberry32(6);
    const t0 = Math.floor(Date.parse('2026-11-23T08:00:00Z') / MIN) * MIN;
    const timeout = doc.settings.sessionTimeoutMs;
    const kept: Record<string, { sessions: number; pages: number }> = {};
    // `short`: 1 page, a second with probability 0.15; every 20th of them goes on past the first session
    // timeout with 25 more pages, which the rule leaves out. `long`: 3 to 5 pages (mean 4), well above
    // the threshold. The control: a few sessions (never evaluated).
    const plan = [
      ...new Array(320).fill('short'),
      ...new Array(120).fill('long'),
      ...new Array(20).fill('a'),
    ];
    for (const [i, variant] of plan.entries()) {
      const v = visitor(doc, `vis-s6-${i}`, { 'a.s6': encodeAssignment(variant, 's6') });
      let now = t0 + Math.floor(rand() * 20 * MIN);
      const start = now;
      const extra = variant === 'short' ? (rand() < 0.15 ? 1 : 0) : 2 + Math.floor(rand() * 3);
      await v.send(batch([pv(), engaged(2_000)]), now);
      for (let p = 0; p < extra; p++) {
        now += MIN;
        await v.send(batch([pv()]), now);
      }
      let pages = 1 + extra;
      if (variant === 'short' && i % 20 === 0) {
        // the same visit goes on: a page 20 minutes in (kept), then 25 more, a minute apart, from a
        // minute past the first session timeout (left out)
        await v.send(batch([pv()]), start + 20 * MIN);
        pages++;
        for (let p = 0; p < 25; p++) await v.send(batch([pv()]), start + timeout + (1 + p) * MIN);
      }
      const k = kept[variant] ?? { sessions: 0, pages: 0 };
      kept[variant] = { sessions: k.sessions + 1, pages: k.pages + pages };
    }
    // all of it is in the raw counters, the late pages as excess too
    const counted = await sums('minute_counts', 's6');
    expect(counted.short?.pageviews).toBe((kept.short?.pages ?? 0) + 16 * 25);
    expect(counted.short?.pageviews_excess).toBe(16 * 25);

    // sessions started in the first 20 minutes: not yet read 25 minutes in (the 31-minute lag), read
    // (all of them) at minute 52
    expect(await runGuardrails(env.HIO_DB, doc, t0 + 25 * MIN)).toEqual([]);
    const fired = await runGuardrails(env.HIO_DB, doc, t0 + 52 * MIN);
    expect(fired.map((a) => [a.campaign, a.variant, a.action])).toEqual([['s6', 'short', 'pause']]);

    const audit = (await (await call('/__hio/admin/audit', { headers: ADMIN })).json()) as {
      campaign: string;
      variant: string;
      action: string;
      rule: string;
      evidence: Record<string, unknown>;
    }[];
    const row = audit.find((a) => a.campaign === 's6');
    expect(row).toMatchObject({
      variant: 'short',
      action: 'pause',
      rule: 'pagesPerSession below 2.5 over 30m (min 200): pause',
    });
    // why: n sessions, their mean (what each did in its first session timeout), the bound, the test
    expect(row?.evidence).toMatchObject({
      metric: 'pagesPerSession',
      observations: kept.short?.sessions,
      threshold: 2.5,
      range: [1, 20],
      lagMinutes: 31,
    });
    expect(row?.evidence.mean).toBeCloseTo((kept.short?.pages ?? 0) / (kept.short?.sessions ?? 1), 12);
    expect(row?.evidence.bound).toBeLessThan(2.5);
    expect(row?.evidence.bound).toBeGreaterThan(row?.evidence.mean as number);
    expect(row?.evidence.method).toMatch(/exact test of a mean/);
    // a later minute does not pause it again
    expect(await runGuardrails(env.HIO_DB, doc, t0 + 53 * MIN)).toEqual([]);
    // the dashboard says it in words
    await putConfig(source);
    const dashboard = await (await call('/__hio/dashboard', { headers: ADMIN })).text();
    const mean = ((kept.short?.pages ?? 0) / (kept.short?.sessions ?? 1)).toFixed(2);
    expect(dashboard).toContain(
      `mean ${mean} pages over ${kept.short?.sessions} sessions (sessions started at least 31 min before); bound`,
    );
  });

  it('through the worker: a resent beacon counts once; the results API and the dashboard show the session', async () => {
    await putConfig({
      version: 1,
      holdout: 0,
      campaigns: [campaign('s5', { variants: [{ id: 'only', html: 'x' }] })],
    });
    const res = await page('/page');
    const cookie = visitorCookie(res);
    await res.text();
    await settle();
    const landing = { events: [{ t: 'pageview', id: eventId(), path: '/page' }] };
    for (let i = 0; i < 2; i++) {
      expect((await collect(cookie, landing)).status).toBe(204);
      await settle();
    }
    expect(await sums('metric_daily', 's5')).toEqual({
      only: { sessions: 1, pageviews: 1, pageviews_sq: 1 },
    });
    await (await page('/page', cookie)).text();
    await settle();
    const next = {
      events: [
        { t: 'pageview', id: eventId(), path: '/page' },
        { t: 'engaged', id: eventId(), ms: 4_000 },
      ],
    };
    for (let i = 0; i < 2; i++) {
      expect((await collect(cookie, next)).status).toBe(204);
      await settle();
    }
    const report = (await (await call('/__hio/admin/results', { headers: ADMIN })).json()) as Report;
    const s = report.campaigns.find((c) => c.id === 's5')?.variants[0]?.secondary;
    expect(s).toMatchObject({ sessions: 1, bounceRate: { value: 0 }, pagesPerSession: { value: 2 } });
    expect(s?.engagedMsPerSession?.value).toBe(4_000);
    const dashboard = await (await call('/__hio/dashboard', { headers: ADMIN })).text();
    expect(dashboard).toContain('data-testid="sessions-s5-only">1<');
    expect(dashboard).toContain('data-testid="bounce-s5-only">0.00%<');
    expect(dashboard).toContain('data-testid="pages-s5-only">2.00<');
    const csv = await (await call('/__hio/admin/results?format=csv', { headers: ADMIN })).text();
    const [header = '', ...rows] = csv.trim().split('\n');
    expect(header).toMatch(
      /,sessions,bounce_rate,bounce_ci_low,bounce_ci_high,pages_per_session,engaged_ms_per_session,/,
    );
    // every row has a cell for every column
    for (const row of rows) expect(row.split(',')).toHaveLength(header.split(',').length);
  });
});
