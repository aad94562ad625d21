/**
 * The co-view job on Miniflare's real R2, D1 and KV: NDJSON objects laid out as the event log writes
 * them, a catalogue in D1, the job run, and the model read back from KV. The sessions are built so
 * that each rule shows: pairs viewed together by three visitors are neighbours, a pair seen once is
 * not (minimum support 2), views more than the session timeout apart are two sessions, erased
 * visitors and items outside the catalogue are left out, and carted items of a purchasing session
 * are bought together.
 */
import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expandRecommendModel, parseDocument, type RecommendModel } from '../engine/index.ts';
import type { Bindings } from '../env.ts';
import { runScheduled } from '../scheduled.ts';
import { ADMIN, call, emptyEventLog, forgetRecsModel, putConfig } from '../test/helpers.ts';
import { createCatalogRepo } from './catalog-repo.ts';
import { dayPrefix, pseudonym } from './event-log.ts';
import { dayOf } from './measurement.ts';
import { RECS_COMPACT_KEY, RECS_MODEL_KEY, RECS_STAMP_KEY, readRecsModel, readRecsStamp } from './models.ts';
import { trainRecommendations } from './recs-job.ts';

const MIN = 60_000;
const DAY = 86_400_000;
// a fixed day long past, so these partitions are this test's own; a ten-minute mark (the cron's)
const NOW = Date.parse('2022-03-15T12:00:00Z');

const compiled = (() => {
  const r = parseDocument({ version: 1, campaigns: [] });
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.doc;
})();

const ITEMS = ['a', 'b', 'c', 'd', 'e'].map((id, i) => ({
  id,
  url: `/p/${id}`,
  title: `Item ${id}`,
  category: i < 2 ? 'shoes' : 'bags',
}));

async function putCatalogue(items: unknown[] = ITEMS) {
  await createCatalogRepo(env.HIO_DB).replaceUploaded(items as typeof ITEMS, NOW);
}

type Line = Record<string, unknown>;
let n = 0;
const view = (visitor: string, at: number, item?: string): Line => ({
  at,
  day: dayOf(at),
  visitor,
  t: 'pageview',
  id: `ev${n++}`,
  path: item ? `/p/${item}` : '/',
  ...(item && { item }),
});
const goal = (visitor: string, at: number, g: string): Line => ({
  at,
  day: dayOf(at),
  visitor,
  t: 'conversion',
  id: `ev${n++}`,
  goal: g,
});

/** One object of the log, as the queue consumer writes it: `events/day=D/HHMM-<id>.ndjson`. */
async function putObject(lines: Line[], name = crypto.randomUUID()): Promise<string> {
  const first = lines[0]?.at as number;
  const hhmm = new Date(first).toISOString().slice(11, 16).replace(':', '');
  const key = `${dayPrefix(dayOf(first))}${hhmm}-${name}.ndjson`;
  await env.HIO_EVENTS.put(key, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  return key;
}

/** The stored model (format 2, compact), as the JSON model it stands for. */
async function storedModel(): Promise<RecommendModel | null> {
  const model = await readRecsModel(env.HIO_KV);
  return model && expandRecommendModel(model);
}

const neighbourIds = (m: RecommendModel, item: string) => (m.neighbours[item] ?? []).map(([id]) => id);

/** The co-view pattern the tests learn, spread over yesterday and today. */
async function seedPattern(): Promise<void> {
  const t = NOW - 3 * 60 * MIN;
  // a and b viewed together by three visitors (one of them yesterday), c and d by two
  await putObject([view('v1', t, 'a'), view('v1', t + MIN, 'b')]);
  await putObject([
    view('v2', t - DAY, 'b'),
    view('v2', t - DAY + 2 * MIN, 'x-page'),
    view('v2', t - DAY + 3 * MIN, 'a'),
  ]);
  await putObject([view('v3', t + 5 * MIN, 'a'), view('v3', t + 6 * MIN), view('v3', t + 7 * MIN, 'b')]);
  await putObject([view('v4', t, 'c'), view('v4', t + MIN, 'd')]);
  await putObject([view('v5', t, 'd'), view('v5', t + 20 * MIN, 'c')]);
  // a and c together once: below the minimum support
  await putObject([view('v6', t, 'a'), view('v6', t + MIN, 'c')]);
  // e then b, two hours apart, by two visitors: two sessions each, never a pair
  for (const v of ['v7', 'v8']) {
    await putObject([view(v, t - 2 * 60 * MIN, 'e')]);
    await putObject([view(v, t, 'b')]);
  }
  // items outside the catalogue are not learned: z with a, three times
  for (const v of ['v9', 'v10', 'v11']) await putObject([view(v, t, 'z'), view(v, t + MIN, 'a')]);
}

// R2 and KV outlive a test here: each test starts from an empty log and no model
beforeEach(async () => {
  await emptyEventLog();
  await forgetRecsModel();
  await env.HIO_DB.prepare('DELETE FROM erasures').run();
});

describe('trainRecommendations', () => {
  it('learns the neighbours of a known co-view pattern from the log and stores them in KV', async () => {
    await putCatalogue();
    await seedPattern();
    const r = await trainRecommendations(env as unknown as Bindings, compiled, NOW);
    expect(r).toMatchObject({ outcome: 'trained', truncated: false, trainedAt: NOW });
    expect(r.objects).toBe(13);
    const model = (await storedModel()) as RecommendModel;
    expect(model).not.toBeNull();
    expect(model.trainedAt).toBe(NOW);
    expect(neighbourIds(model, 'a')).toEqual(['b']);
    expect(neighbourIds(model, 'b')).toEqual(['a']);
    expect(neighbourIds(model, 'c')).toEqual(['d']);
    expect(neighbourIds(model, 'd')).toEqual(['c']);
    expect(model.neighbours.e).toBeUndefined();
    expect(model.neighbours.z).toBeUndefined();
    // 3 / sqrt(n_a n_b) with n_a = 7 (v1-v3, v6, v9-v11) and n_b = 5 (v1-v3, v7, v8), shrunk by 3 / 13
    expect(model.neighbours.a?.[0]?.[1]).toBeCloseTo((3 / Math.sqrt(7 * 5)) * (3 / 13), 2);
    // popularity per catalogue category
    expect(Object.keys(model.popular.byCategory).sort()).toEqual(['bags', 'shoes']);
    // stored compact (format 2) under its own key, its size as the result says; no JSON model written
    expect(await readRecsStamp(env.HIO_KV)).toEqual({ version: 2, trainedAt: NOW });
    expect((await env.HIO_KV.get(RECS_COMPACT_KEY, 'arrayBuffer'))?.byteLength).toBe(r.bytes);
    expect(await env.HIO_KV.get(RECS_MODEL_KEY)).toBeNull();
  });

  it('turns carted items of a purchasing session into co-purchases', async () => {
    await putCatalogue();
    const t = NOW - 60 * MIN;
    for (const v of ['p1', 'p2']) {
      await putObject([
        view(v, t, 'a'),
        goal(v, t + MIN, 'add_to_cart'),
        view(v, t + 2 * MIN, 'c'),
        goal(v, t + 3 * MIN, 'add_to_cart'),
        view(v, t + 4 * MIN, 'd'),
        view(v, t + 5 * MIN),
        goal(v, t + 6 * MIN, 'purchase'),
      ]);
    }
    // carted, never bought
    await putObject([view('p3', t, 'a'), goal('p3', t + MIN, 'add_to_cart'), view('p3', t + 2 * MIN, 'd')]);
    await trainRecommendations(env as unknown as Bindings, compiled, NOW);
    const model = (await storedModel()) as RecommendModel;
    expect(model.bought.a?.map(([id]) => id)).toEqual(['c']);
    expect(model.bought.c?.map(([id]) => id)).toEqual(['a']);
    expect(model.bought.d).toBeUndefined();
    expect(neighbourIds(model, 'a').sort()).toEqual(['c', 'd']);
  });

  it('leaves out erased visitors', async () => {
    await putCatalogue();
    const t = NOW - 60 * MIN;
    for (const id of ['gone-1', 'gone-2']) {
      await env.HIO_DB.prepare('INSERT INTO erasures (visitor_id, at) VALUES (?, ?)').bind(id, NOW).run();
      const visitor = await pseudonym('test-secret', id);
      await putObject([view(visitor, t, 'c'), view(visitor, t + MIN, 'e')]);
    }
    // the same pattern by visitors still here is learned
    for (const v of ['k1', 'k2']) await putObject([view(v, t, 'a'), view(v, t + MIN, 'd')]);
    await trainRecommendations(env as unknown as Bindings, compiled, NOW);
    const model = (await storedModel()) as RecommendModel;
    expect(model.neighbours.c).toBeUndefined();
    expect(model.neighbours.e).toBeUndefined();
    expect(neighbourIds(model, 'a')).toEqual(['d']);
  });

  it('reads the newest objects first and stops at its bounds', async () => {
    await putCatalogue();
    const t = NOW - 60 * MIN;
    // older: a with b; newer: a with c
    for (const v of ['o1', 'o2']) await putObject([view(v, t - 30 * MIN, 'a'), view(v, t - 29 * MIN, 'b')]);
    for (const v of ['n1', 'n2']) await putObject([view(v, t, 'a'), view(v, t + MIN, 'c')]);
    const r = await trainRecommendations(env as unknown as Bindings, compiled, NOW, { maxObjects: 2 });
    expect(r).toMatchObject({ outcome: 'trained', objects: 2, truncated: true });
    expect(neighbourIds((await storedModel()) as RecommendModel, 'a')).toEqual(['c']);
    const lines = await trainRecommendations(env as unknown as Bindings, compiled, NOW, { maxLines: 3 });
    expect(lines).toMatchObject({ lines: 3, truncated: true });
    // a day back only
    const old = await trainRecommendations(env as unknown as Bindings, compiled, NOW + 2 * DAY, { days: 1 });
    expect(old).toMatchObject({ outcome: 'skipped', objects: 0 });
  });

  it('skips cleanly without the event log, without a catalogue and without events', async () => {
    const noBucket = { ...env, HIO_EVENTS: undefined } as unknown as Bindings;
    expect(await trainRecommendations(noBucket, compiled, NOW)).toMatchObject({
      outcome: 'skipped',
      reason: expect.stringContaining('HIO_EVENTS'),
    });
    await putCatalogue([]);
    expect(await trainRecommendations(env as unknown as Bindings, compiled, NOW)).toMatchObject({
      outcome: 'skipped',
      reason: expect.stringContaining('catalogue is empty'),
    });
    await putCatalogue();
    const empty = await trainRecommendations(env as unknown as Bindings, compiled, NOW - 300 * DAY);
    expect(empty).toMatchObject({ outcome: 'skipped', reason: expect.stringContaining('no views') });
    expect(await env.HIO_KV.get(RECS_STAMP_KEY)).toBeNull();
  });

  it('runs in the scheduled job at a ten-minute mark and on POST /__hio/admin/train', async () => {
    expect((await putConfig({ version: 1, campaigns: [] })).status).toBe(200);
    await putCatalogue();
    await seedPattern();
    await runScheduled(env as unknown as Bindings, NOW);
    expect(neighbourIds((await storedModel()) as RecommendModel, 'c')).toEqual(['d']);
    await env.HIO_KV.delete(RECS_COMPACT_KEY);
    // the route trains with the real clock: today's partitions are empty, so it says why it skipped
    const res = await call('/__hio/admin/train', { method: 'POST', headers: ADMIN });
    const body = (await res.json()) as { recommendations: { outcome: string; reason?: string } };
    expect(body.recommendations.outcome).toBe('skipped');
    expect(body.recommendations.reason).toContain('no views');
  });
});
