/**
 * @module results
 * `GET /__hio/admin/results` (JSON, or CSV with `?format=csv`), `POST /__hio/admin/bandits` (recompute
 * bandit shares now) and `GET /__hio/admin/preview` (a signed, expiring QA preview link).
 */

import { updateBandits } from '../db/bandit-job.ts';
import { readRawCounts } from '../db/results.ts';
import type { Deps } from '../deps.ts';
import { PREVIEW_PARAM, signPreview } from '../edge/preview.ts';
import { buildReport, type Report } from '../engine/report.ts';
import { json, jsonError } from './json.ts';

export async function loadReport(
  deps: Deps,
): Promise<Report & { generatedAt: string; configVersion: number }> {
  const live = await deps.configRepo.live(deps.now(), deps.waitUntil);
  const raw = await readRawCounts(deps.env.HIO_DB);
  const report = buildReport(live.doc, raw, { banditWeights: live.bandit });
  return { generatedAt: new Date(deps.now()).toISOString(), configVersion: live.version, ...report };
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function reportCsv(report: Report): string {
  const rows: unknown[][] = [
    [
      'campaign',
      'variant',
      'control',
      'visitors',
      'impressions',
      'clicks',
      'goal',
      'conversions',
      'rate',
      'value',
      'revenue_per_visitor',
      'lift',
      'ci_low',
      'ci_high',
      'p_value',
      'adjusted_p_value',
      'sequential_p_value',
      'chance_to_beat_control',
      'expected_loss',
      'verdict',
      'srm_p_value',
    ],
  ];
  for (const c of report.campaigns) {
    for (const v of c.variants) {
      const goals = Object.entries(v.goals);
      for (const [goal, g] of goals.length ? goals : [['', undefined] as const]) {
        rows.push([
          c.id,
          v.id,
          v.control,
          v.visitors,
          v.impressions,
          v.clicks,
          goal,
          g?.conversions,
          g?.rate,
          g?.value,
          g?.revenuePerVisitor,
          g?.lift,
          g?.ci?.[0],
          g?.ci?.[1],
          g?.pValue,
          g?.adjustedPValue,
          g?.sequentialPValue,
          g?.chanceToBeatControl,
          g?.expectedLoss,
          g?.verdict,
          c.srm.pValue,
        ]);
      }
    }
    if (c.holdout.visitors > 0) {
      for (const [goal, g] of Object.entries(c.holdout.goals)) {
        rows.push([
          c.id,
          '__holdout',
          false,
          c.holdout.visitors,
          '',
          '',
          goal,
          g.conversions,
          g.rate,
          g.value,
        ]);
      }
    }
  }
  return `${rows.map((r) => r.map(csvCell).join(',')).join('\n')}\n`;
}

export async function handleResults(deps: Deps, req: Request): Promise<Response> {
  const report = await loadReport(deps);
  if (new URL(req.url).searchParams.get('format') === 'csv') {
    return new Response(reportCsv(report), {
      headers: {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="hio-results-${report.generatedAt.slice(0, 10)}.csv"`,
        'cache-control': 'no-store',
      },
    });
  }
  return json(report);
}

export async function handleBanditUpdate(deps: Deps): Promise<Response> {
  const live = await deps.configRepo.live(deps.now(), deps.waitUntil);
  const updated = await updateBandits(deps.env.HIO_DB, live.doc, deps.now());
  deps.configRepo.invalidate();
  return json({ updated });
}

export async function handlePreviewLink(deps: Deps, req: Request): Promise<Response> {
  const q = new URL(req.url).searchParams;
  const campaign = q.get('campaign');
  const variant = q.get('variant');
  const path = q.get('path') ?? '/';
  const ttl = Number(q.get('ttl') ?? 3600);
  if (!campaign || !variant) return jsonError(400, 'campaign and variant are required');
  if (!path.startsWith('/') || path.startsWith('//'))
    return jsonError(400, 'path must start with a single /');
  if (!Number.isFinite(ttl) || ttl <= 0 || ttl > 7 * 86_400)
    return jsonError(400, 'ttl must be 1..604800 seconds');
  const live = await deps.configRepo.live(deps.now(), deps.waitUntil);
  const c = live.doc.campaigns.find((x) => x.id === campaign);
  if (!c) return jsonError(404, `no campaign "${campaign}"`);
  if (!c.variants.some((v) => v.id === variant))
    return jsonError(404, `campaign "${campaign}" has no variant "${variant}"`);
  const exp = deps.now() + ttl * 1000;
  const token = await signPreview({ campaign, variant, exp }, deps.config.secret);
  const url = new URL(path, req.url);
  url.searchParams.set(PREVIEW_PARAM, token);
  return json({ url: url.href, expires: new Date(exp).toISOString() });
}
