/**
 * @module results
 * `GET /__hio/admin/results`: the experiment report (JSON, or CSV with `?format=csv`), computed by the
 * engine from D1's aggregates.
 */

import { readBreakdowns, readCuped } from '../db/breakdowns.ts';
import { readRawCounts, readWeighted } from '../db/results.ts';
import { readSeries } from '../db/rollup.ts';
import { buildReport, type ItemsResult, type Report, type SecondaryResult } from '../engine/index.ts';
import type { Deps } from '../types.ts';
import { readAudit } from './audit.ts';
import type { DashboardReport } from './dashboard-view.ts';
import { json } from './json.ts';

export async function loadReport(deps: Deps): Promise<DashboardReport> {
  const live = await deps.configRepo.live(deps.now(), deps.waitUntil);
  const [raw, weighted, breakdowns, cuped] = await Promise.all([
    readRawCounts(deps.env.HIO_DB),
    readWeighted(deps.env.HIO_DB, live.doc),
    readBreakdowns(deps.env.HIO_DB, live.doc),
    readCuped(deps.env.HIO_DB, live.doc),
  ]);
  const report = buildReport(
    live.doc,
    { ...raw, weighted, breakdowns, cuped },
    { banditWeights: live.bandit, contextualShares: live.contextual },
  );
  const now = deps.now();
  const series = Object.fromEntries(
    await Promise.all(
      live.doc.campaigns.map(async (c) => [c.id, await readSeries(deps.env.HIO_DB, c, now)] as const),
    ),
  );
  return {
    generatedAt: new Date(deps.now()).toISOString(),
    configVersion: live.version,
    ...report,
    model: live.propensity,
    clusters: live.clusters,
    audit: await readAudit(deps.env.HIO_DB, 200),
    series,
  };
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
      'sessions',
      'bounce_rate',
      'bounce_ci_low',
      'bounce_ci_high',
      'pages_per_session',
      'engaged_ms_per_session',
      'strategy',
      'item_clicks',
      'item_ctr',
      'attributed_conversions',
      'attributed_value',
      'items_bought',
    ],
  ];
  const items = (i: ItemsResult | undefined) =>
    i
      ? [i.strategy ?? 'marked list', i.clicks, i.ctr?.value, i.conversions, i.value, i.itemsBought]
      : new Array(6).fill('');
  const secondary = (s: SecondaryResult) => [
    s.sessions,
    s.bounceRate?.value,
    s.bounceRate?.ci[0],
    s.bounceRate?.ci[1],
    s.pagesPerSession?.value,
    s.engagedMsPerSession?.value,
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
          ...secondary(v.secondary),
          ...items(v.items),
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
          ...new Array(11).fill(''),
          ...secondary(c.holdout.secondary),
          ...items(undefined),
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
