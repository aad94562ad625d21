/**
 * @module dashboard-view
 * The dashboard's HTML: the login form, and the results page rendered from the same report the results
 * API returns (programme-wide holdout lift, then per campaign the traffic, per goal a statistics table,
 * the cumulative rate chart and the lift forest plot; for adaptive campaigns first the results weighted by
 * the logged probabilities, and for contextual ones the shares and best variant per context and the
 * "what if" of other policies; the CUPED lift beside the plain one and a "By segment" section per device,
 * source, segment and cluster when the report has them; beside the traffic, the secondary metrics per
 * variant: sessions, bounce rate, pages and engaged time per session, CTR; for recommendation variants
 * their item click rate per position and attributed conversions, and per strategy for the site). Self-contained: inline CSS, no script, no
 * external asset. Every number cell has a stable `data-testid` (see `testId`).
 */
import type {
  CampaignReport,
  ClusterRecord,
  GoalResult,
  PropensityRecord,
  Report,
  SecondaryResult,
  VariantResult,
  VariantSeries,
} from '../engine/index.ts';
import type { AuditEntry } from './audit.ts';
import { forestPlot, HOLDOUT_ID, rateChart, variantColors, weightedLiftPlot } from './dashboard-charts.ts';
import { fmt, Html, html, type Part, testId, verdictLabel } from './dashboard-format.ts';
import { itemsTable, strategiesSection } from './dashboard-items.ts';
import { learningSection } from './dashboard-learning.ts';
import { minuteSection } from './dashboard-minutes.ts';

export const DASHBOARD_PATH = '/__hio/dashboard';
export const RESULTS_CSV_PATH = '/__hio/admin/results?format=csv';

export type DashboardReport = Report & {
  generatedAt: string;
  configVersion: number;
  /** automatic actions, newest first */
  audit?: AuditEntry[];
  /** per campaign and variant: the last hour per minute, 24 h per hour, 30 days per day */
  series?: Record<string, Record<string, VariantSeries>>;
  model?: PropensityRecord | null;
  clusters?: ClusterRecord | null;
};

const CSS = `
:root{--ink:#0f172a;--muted:#64748b;--line:#e2e8f0;--bg:#f8fafc;--card:#fff;--accent:#2563eb;--good:#15803d;--bad:#b91c1c;--warn:#b45309}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
a{color:var(--accent)}
.top{position:sticky;top:0;z-index:1;display:flex;flex-wrap:wrap;align-items:center;gap:8px 16px;padding:12px 24px;background:#0f172a;color:#e2e8f0}
.brand{font-weight:700;font-size:16px;letter-spacing:.02em}.brand span{font-weight:400;color:#94a3b8}
.meta{color:#94a3b8;font-size:12px;flex:1}
.top nav{display:flex;gap:8px;align-items:center}.top form{margin:0}
.btn{display:inline-block;padding:6px 12px;border-radius:6px;border:1px solid #334155;background:#1e293b;color:#e2e8f0;font:inherit;font-size:13px;text-decoration:none;cursor:pointer}
.btn:hover{background:#334155}.btn.primary{background:var(--accent);border-color:var(--accent);color:#fff}
main{max-width:1240px;margin:0 auto;padding:20px 24px 48px}
h1,h2,h3{margin:0;line-height:1.25}h2{font-size:18px}h3{font-size:15px;margin:22px 0 8px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin:0 0 20px}
.sub{color:var(--muted);margin:4px 0 12px}
.stats{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(300px,100%),1fr));gap:12px;margin:12px 0}
.stat{border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.stat .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.stat .v{font-size:24px;font-weight:650;margin:2px 0;font-variant-numeric:tabular-nums}
.stat .d{color:var(--muted);font-size:12px}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:7px 10px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th{font-size:12px;font-weight:600;color:var(--muted);background:#f1f5f9;white-space:normal;vertical-align:bottom}
th:first-child,td:first-child{text-align:left}
tr.holdout td{color:var(--muted);font-style:italic}
.sw{display:inline-block;width:10px;height:10px;border-radius:3px;margin-right:7px;vertical-align:-1px}
.small{font-size:12px;color:var(--muted)}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600;background:#e2e8f0;color:#334155;font-style:normal}
.badge.winner{background:#dcfce7;color:var(--good)}.badge.loser{background:#fee2e2;color:var(--bad)}
.badge.insufficient-data{background:#fef3c7;color:var(--warn)}.badge.control{background:#e0e7ff;color:#3730a3}
.campaign-head{display:flex;flex-wrap:wrap;gap:8px 12px;align-items:baseline}
.campaign-head .small{flex:1}
.banner{border-radius:8px;padding:10px 14px;margin:12px 0;border:1px solid}
.banner.srm{background:#fef2f2;border-color:#fecaca;color:#7f1d1d}
.banner.note{background:#f8fafc;border-color:var(--line);color:var(--muted)}
.charts.one{grid-template-columns:minmax(0,560px)}
.charts{display:grid;align-items:start;grid-template-columns:repeat(auto-fit,minmax(min(380px,100%),1fr));gap:16px;margin-top:12px}
figure{margin:0;border:1px solid var(--line);border-radius:8px;padding:10px 12px}
figcaption{font-size:12px;font-weight:600;color:var(--muted);margin-bottom:4px}
svg.chart{width:100%;height:auto;display:block}
svg .grid{stroke:#eef2f7}svg .axis{stroke:#cbd5e1}svg .zero{stroke:#0f172a;stroke-dasharray:4 3}
svg .tick{fill:#64748b;font-size:11px}svg .value{fill:#0f172a;font-size:12px;font-weight:600}svg .row-label{fill:#0f172a;font-size:12px}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px;color:var(--muted);margin-top:4px}
.hl{margin:8px 0 0;font-size:13px}
h2.seg-head{margin:26px 0 0;font-size:16px}
.badge.insufficient-data{white-space:normal}
details.help{margin:0 0 20px}details.help summary{cursor:pointer;font-weight:600}
details.help li{margin:4px 0}
.login{max-width:380px;margin:12vh auto;padding:28px}
.login label{display:block;font-weight:600;margin:14px 0 6px}
.login input{width:100%;padding:9px 10px;border:1px solid #cbd5e1;border-radius:6px;font:inherit}
.login .btn{margin-top:14px;width:100%;padding:9px}
.error{color:var(--bad);margin:10px 0 0}
@media (max-width:600px){main{padding:12px 10px 32px}.card{padding:14px 12px}.top{padding:10px 12px}}
`;

function layout(title: string, body: Html, refreshSeconds?: number): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
${refreshSeconds ? html`<meta http-equiv="refresh" content="${refreshSeconds}">` : ''}
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="same-origin">
<link rel="icon" href="data:,">
<title>${title}</title>
<style>${new Html(CSS)}</style>
</head>
<body>
${body}
</body>
</html>
`.value;
}

/** The login form; `error` is shown under it. */
export function renderLogin(opts: { error?: string; notice?: string } = {}): string {
  return layout(
    'HIO dashboard · log in',
    html`<main><form class="card login" method="post" action="${DASHBOARD_PATH}/login" data-testid="login-form">
<h1>HIO dashboard</h1>
<p class="sub">Enter the admin token (the <code>HIO_ADMIN_TOKEN</code> secret) to see your results.</p>
${opts.notice ? html`<p class="small" data-testid="login-notice">${opts.notice}</p>` : ''}
<label for="password">Admin token</label>
<input id="password" name="password" type="password" autocomplete="current-password" required autofocus>
${opts.error ? html`<p class="error" role="alert" data-testid="login-error">${opts.error}</p>` : ''}
<button class="btn primary" type="submit">Log in</button>
</form></main>`,
  );
}

export function renderDisabled(): string {
  return layout(
    'HIO dashboard',
    html`<main><div class="card login"><h1>HIO dashboard</h1><p class="sub">The dashboard is disabled: set the <code>HIO_ADMIN_TOKEN</code> secret to use it.</p></div></main>`,
  );
}

const HELP = html`<details class="card help" data-testid="help"><summary>How to read this</summary>
<ul>
<li><b>Visitors</b> are unique people who were assigned to a variant (counted once, on their first exposure). <b>Rate</b> is converting visitors ÷ visitors.</li>
<li><b>Lift</b> is the variant's rate ÷ control's rate − 1, with its 95% interval in brackets. If the interval contains 0, the data cannot yet tell the variant from control.</li>
<li><b>Verdicts wait for a minimum sample</b> (shown per campaign) in every arm; until then a variant is "Collecting data", whatever its lift.</li>
<li><b>p (adj.)</b> is the p-value adjusted (Holm) for comparing several variants and goals at once: verdicts use it, so testing more things does not produce more false winners.</li>
<li><b>p (seq.)</b> is the sequential (always-valid) p-value: it stays honest however often you look, so use it when you check results every day and want to stop early.</li>
<li><b>Chance to beat control</b> is Bayesian: the probability, given the data so far, that the variant's true rate is higher. <b>Expected loss</b> is how much rate you would lose on average by choosing the variant if it is in fact worse.</li>
<li><b>SRM</b> (sample ratio mismatch): when the split of visitors differs from the configured weights beyond chance, assignment or tracking is broken, and the campaign's results are void until it is fixed.</li>
<li><b>Secondary metrics</b> count sessions (visits) that started while the visitor was in the campaign. <b>Bounce rate</b> is the share of those sessions with a single page; <b>pages</b> and <b>engaged time</b> (visible and active) are per session. They are guardrails to watch beside the goal, not goals: a variant can convert better and bounce more. A <code>bounce</code> guardrail can pause a variant whose bounce rate is clearly above a threshold.</li>
<li>The <b>holdout</b> sees the site without personalization: the lift against it is what HIO as a whole adds.</li>
<li><b>Small counts</b>: when a comparison has fewer than 5 expected conversions (or non-conversions) in an arm, the usual z-test and delta-method interval are unreliable, so the exact interval (Koopman's score interval, never below −100%) and Fisher's exact p-value are shown too, marked "small counts, exact". Otherwise the z-test and the delta-method interval apply.</li>
<li><b>By segment</b> splits each campaign by named segment, device, source and discovered cluster. Each comparison says its method: <b>Fisher exact test · Koopman interval</b> for small counts, <b>z-test · delta method</b> otherwise. Groups under the minimum sample are flagged as too small, and with many groups some look significant by chance: read <b>p (adj.)</b>, Holm-adjusted across all of them.</li>
<li><b>CUPED</b> (when each visitor's pageviews before exposure are recorded): the lift variance-reduced with that pre-exposure covariate (Deng et al. 2013). It estimates the same lift as the plain one, with a narrower interval the more the covariate predicts the outcome; "variance reduced by" says by how much.</li>
<li><b>Adaptive allocation</b> (bandit and contextual campaigns) moves traffic while it learns, so a variant's plain rate mixes visitors from different days and contexts in its own proportions, and plain rates cannot be compared. Their <b>weighted</b> rates count each visitor by 1 ÷ the probability they had of seeing their variant, which makes every variant stand for the same visitors: read those.</li>
</ul>
</details>`;

function programmeSection(r: DashboardReport): Html {
  const p = r.programme;
  const goals = Object.entries(p.goals);
  const intro = html`<p class="sub">${fmt.pct(p.holdoutShare)} of visitors are held out and see the site without any personalization; everyone else is treated.</p>`;
  if (p.holdout.visitors === 0 || goals.length === 0) {
    const why =
      p.holdoutShare === 0
        ? 'No global holdout: set "holdout" in the campaign document (e.g. 0.05) to measure what HIO adds overall.'
        : 'No conversions from both treated and held-out visitors yet.';
    return html`<section class="card" data-testid="programme"><h2>Programme: everything HIO does vs the global holdout</h2>${intro}<p class="banner note">${why}</p></section>`;
  }
  const cards = goals.map(
    ([g, s]) => html`<div class="stat">
<div class="k">${g}: lift vs holdout</div>
<div class="v" data-testid="${testId('programme-lift', g)}">${fmt.lift(s.lift)}</div>
<div class="d">95% interval <span data-testid="${testId('programme-ci', g)}">${fmt.ci(s.ci)}</span> · p-value <span data-testid="${testId('programme-p', g)}">${fmt.p(s.pValue)}</span></div>
</div>
<div class="stat">
<div class="k">${g}: conversions caused by HIO</div>
<div class="v" data-testid="${testId('programme-caused', g)}">${fmt.decimal(s.caused.conversions)}</div>
<div class="d">of <span data-testid="${testId('programme-total', g)}">${fmt.count(s.total.conversions)}</span> in total: what the treated visitors converted beyond the holdout's rate</div>
</div>
<div class="stat">
<div class="k">${g}: value caused by HIO</div>
<div class="v" data-testid="${testId('programme-caused-value', g)}">${fmt.money(s.caused.value)}</div>
<div class="d">of <span data-testid="${testId('programme-total-value', g)}">${fmt.money(s.total.value)}</span> in total</div>
</div>`,
  );
  const row = (name: string, a: typeof p.treated, key: string) =>
    html`<tr><td>${name}</td><td data-testid="${testId('programme-visitors', key)}">${fmt.count(a.visitors)}</td>${goals.map(
      ([g]) =>
        html`<td>${fmt.count(a.goals[g]?.conversions)}</td><td data-testid="${testId('programme-rate', key, g)}">${fmt.pct(a.goals[g]?.rate)}</td><td>${fmt.money(a.goals[g]?.value)}</td>`,
    )}</tr>`;
  return html`<section class="card" data-testid="programme"><h2>Programme: everything HIO does vs the global holdout</h2>${intro}
<div class="stats">${cards}</div>
<div class="table-wrap"><table><thead><tr><th>Group</th><th>Visitors</th>${goals.map(
    ([g]) => html`<th>${g} conv.</th><th>${g} rate</th><th>${g} value</th>`,
  )}</tr></thead>
<tbody>${row('Treated (personalized)', p.treated, 'treated')}${row('Holdout (unchanged site)', p.holdout, 'holdout')}</tbody></table></div>
</section>`;
}

const swatch = (color: string | undefined) =>
  html`<span class="sw" style="background:${color ?? '#64748b'}"></span>`;

function trafficTable(c: CampaignReport, colors: Map<string, string>): Html {
  const rows = c.variants.map(
    (
      v,
    ) => html`<tr><td>${swatch(colors.get(v.id))}${v.id}${v.control ? html` <span class="badge control">control</span>` : ''}</td>
<td data-testid="${testId('weight', c.id, v.id)}">${fmt.pct(v.weight)}</td>
<td data-testid="${testId('visitors', c.id, v.id)}">${fmt.count(v.visitors)}</td>
<td data-testid="${testId('impressions', c.id, v.id)}">${fmt.count(v.impressions)}</td>
<td data-testid="${testId('clicks', c.id, v.id)}">${fmt.count(v.clicks)}</td>
<td data-testid="${testId('ctr', c.id, v.id)}">${fmt.pct(v.clickRate)}</td></tr>`,
  );
  const holdout =
    c.holdout.visitors > 0
      ? html`<tr class="holdout"><td>${swatch(colors.get(HOLDOUT_ID))}holdout (not shown the campaign)</td><td>—</td><td data-testid="${testId('visitors', c.id, HOLDOUT_ID)}">${fmt.count(c.holdout.visitors)}</td><td>—</td><td>—</td><td>—</td></tr>`
      : '';
  return html`<div class="table-wrap"><table data-testid="${testId('traffic', c.id)}"><thead><tr><th>Variant</th><th>Traffic share</th><th>Visitors</th><th>Viewable impressions</th><th>Clicks</th><th>Click rate</th></tr></thead><tbody>${rows}${holdout}</tbody></table></div>`;
}

/** Per variant (and the holdout): sessions, bounce rate, pages and engaged time per session, CTR. */
function secondaryTable(c: CampaignReport, colors: Map<string, string>): Part {
  const arms: { id: string; name: Part; s: SecondaryResult; holdout?: boolean }[] = c.variants.map((v) => ({
    id: v.id,
    name: html`${swatch(colors.get(v.id))}${v.id}${v.control ? html` <span class="badge control">control</span>` : ''}`,
    s: v.secondary,
  }));
  if (c.holdout.secondary.sessions > 0) {
    arms.push({
      id: HOLDOUT_ID,
      name: html`${swatch(colors.get(HOLDOUT_ID))}holdout (not shown the campaign)`,
      s: c.holdout.secondary,
      holdout: true,
    });
  }
  if (arms.every((a) => a.s.sessions === 0)) return '';
  const cell = (kind: string, arm: string, value: string, ci: string | null) =>
    html`<td><span data-testid="${testId(kind, c.id, arm)}">${value}</span>${ci === null ? '' : html`<br><span class="small" data-testid="${testId(`${kind}-ci`, c.id, arm)}">${ci}</span>`}</td>`;
  const interval = (ci: readonly number[] | undefined, f: (x: number) => string) =>
    ci ? `[${f(ci[0] ?? 0)}, ${f(ci[1] ?? 0)}]` : null;
  const rows = arms.map(({ id, name, s, holdout }) => {
    const b = s.bounceRate;
    const pages = s.pagesPerSession;
    const t = s.engagedMsPerSession;
    return html`<tr${holdout ? new Html(' class="holdout"') : ''}><td>${name}</td>
<td data-testid="${testId('sessions', c.id, id)}">${fmt.count(s.sessions)}</td>
${cell('bounce', id, fmt.pct(b?.value), b ? fmt.rateCi(b.ci) : null)}
${cell(
  'pages',
  id,
  fmt.decimal(pages?.value, 2),
  interval(pages?.ci, (x) => fmt.decimal(x, 2)),
)}
${cell('engaged', id, fmt.seconds(t?.value), interval(t?.ci, fmt.seconds))}
${holdout ? html`<td>—</td>` : cell('secondary-ctr', id, fmt.pct(s.ctr?.value), s.ctr ? fmt.rateCi(s.ctr.ci) : null)}</tr>`;
  });
  return html`<h3>Secondary metrics</h3><p class="small">Per session (a visit: pages with no gap longer than the session timeout) that started while the visitor was in the campaign, counted by the day it started; the last half hour's sessions may still get a second page. Bounce: sessions of one page (Wilson interval). Pages and engaged time per session: means with a t interval. 95% intervals; a visitor's sessions are treated as independent, which narrows them somewhat.</p>
<div class="table-wrap"><table data-testid="${testId('secondary', c.id)}"><thead><tr><th>Variant</th><th>Sessions</th><th>Bounce rate [95%]</th><th>Pages / session [95%]</th><th>Engaged time / session [95%]</th><th>Click rate [95%]</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function verdictCell(c: CampaignReport, v: VariantResult, g: GoalResult | undefined, goal: string): Html {
  const id = testId('verdict', c.id, v.id, goal);
  if (v.control) return html`<td data-testid="${id}"><span class="badge control">baseline</span></td>`;
  const title = g?.verdict === 'insufficient-data' ? `needs ${c.minPerArm} visitors in every arm` : '';
  return html`<td data-testid="${id}"><span class="badge ${g?.verdict ?? ''}" title="${title}">${verdictLabel(g?.verdict)}</span></td>`;
}

type Cuped = NonNullable<GoalResult['cuped']>[number];

const cupedOf = (g: GoalResult | undefined, metric: Cuped['metric']): Cuped | undefined =>
  g?.cuped?.find((x) => x.metric === metric);

/** Names of the methods, as the help and the tables say them. */
const METHOD: Record<'fisher' | 'z-test', string> = {
  fisher: 'Fisher exact test · Koopman interval',
  'z-test': 'z-test · delta method',
};

function goalTable(c: CampaignReport, goal: string, colors: Map<string, string>): Html {
  const cell = (kind: string, v: string, text: string) =>
    html`<td data-testid="${testId(kind, c.id, v, goal)}">${text}</td>`;
  const span = (kind: string, v: string, text: string) =>
    html`<span data-testid="${testId(kind, c.id, v, goal)}">${text}</span>`;
  const hasCuped = (metric: Cuped['metric']) => c.variants.some((v) => cupedOf(v.goals[goal], metric));
  const cupedConversion = hasCuped('conversion');
  const cupedRevenue = hasCuped('revenue');
  const cupedCell = (v: VariantResult, metric: Cuped['metric'], prefix: string): Part => {
    const k = cupedOf(v.goals[goal], metric);
    if (v.control || !k) return html`<td>—</td>`;
    const plain =
      metric === 'revenue'
        ? html`<br><span class="small">plain ${span(`${prefix}-plain`, v.id, fmt.lift(k.plain.lift))} ${span(`${prefix}-plain-ci`, v.id, fmt.ci(k.plain.ci))}</span>`
        : '';
    return html`<td>${span(`${prefix}-lift`, v.id, fmt.lift(k.adjusted.lift))}<br><span class="small">${span(`${prefix}-ci`, v.id, fmt.ci(k.adjusted.ci))}</span>${plain}<br><span class="small">variance reduced by ${span(`${prefix}-vr`, v.id, fmt.pct(k.varianceReduction))} · ${span(`${prefix}-p`, v.id, fmt.pIs(k.adjusted.pValue))}</span></td>`;
  };
  const rows = c.variants.map((v) => {
    const g = v.goals[goal];
    const small = g?.smallSample
      ? html`<br><span class="small">small counts, exact: ${span('ci-exact', v.id, fmt.ci(g.smallSample.ci))} · Fisher ${span('p-exact', v.id, fmt.pIs(g.smallSample.pValue))}</span>`
      : '';
    return html`<tr><td>${swatch(colors.get(v.id))}${v.id}</td><td>${fmt.count(v.visitors)}</td>
${cell('conversions', v.id, fmt.count(g?.conversions))}${cell('rate', v.id, fmt.pct(g?.rate))}
<td><span data-testid="${testId('lift', c.id, v.id, goal)}">${fmt.lift(g?.lift)}</span>${v.control ? '' : html`<br><span class="small" data-testid="${testId('ci', c.id, v.id, goal)}">${fmt.ci(g?.ci)}</span>${small}`}</td>
${cupedConversion ? cupedCell(v, 'conversion', 'cuped') : ''}
${cell('p', v.id, fmt.p(g?.adjustedPValue))}${cell('seqp', v.id, fmt.p(g?.sequentialPValue))}
${cell('ctbc', v.id, fmt.pct(g?.chanceToBeatControl))}${cell('loss', v.id, fmt.pp(g?.expectedLoss))}
${cell('rpv', v.id, fmt.money(g?.revenuePerVisitor))}${cupedRevenue ? cupedCell(v, 'revenue', 'cuped-rev') : ''}${verdictCell(c, v, g, goal)}</tr>`;
  });
  const h = c.holdout;
  const holdout =
    h.visitors > 0
      ? html`<tr class="holdout"><td>${swatch(colors.get(HOLDOUT_ID))}holdout</td><td>${fmt.count(h.visitors)}</td>${cell('conversions', HOLDOUT_ID, fmt.count(h.goals[goal]?.conversions))}${cell('rate', HOLDOUT_ID, fmt.pct(h.goals[goal]?.rate))}<td colspan="${5 + (cupedConversion ? 1 : 0)}"></td><td>${fmt.money(h.visitors ? (h.goals[goal]?.value ?? 0) / h.visitors : null)}</td>${cupedRevenue ? html`<td></td>` : ''}<td></td></tr>`
      : '';
  const cupedNote =
    cupedConversion || cupedRevenue
      ? html`<p class="small" data-testid="${testId('cuped-note', c.id, goal)}">CUPED: variance-reduced with pre-exposure pageviews (CUPED, Deng et al. 2013). Same expected lift as the plain one, a narrower interval when pageviews before exposure predict the outcome.</p>`
      : '';
  return html`<div class="table-wrap"><table data-testid="${testId('goal', c.id, goal)}"><thead><tr><th>Variant</th><th>Visitors</th><th>Conversions</th><th>Rate</th><th>Lift [95% interval]</th>${cupedConversion ? html`<th>Lift, CUPED [95% interval]</th>` : ''}<th>p (adj.)</th><th>p (seq.)</th><th>Chance to beat control</th><th>Expected loss</th><th>Revenue / visitor</th>${cupedRevenue ? html`<th>Revenue lift, CUPED [95% interval]</th>` : ''}<th>Verdict</th></tr></thead><tbody>${rows}${holdout}</tbody></table></div>${cupedNote}`;
}

type Breakdown = NonNullable<CampaignReport['breakdowns']>[number];

/** How many values per dimension the page lists (most visitors first); the results API has them all. */
const MAX_BREAKDOWN_VALUES = 25;

const DIMENSION_NAMES: Record<Breakdown['dimension'], string> = {
  segment: 'Segment',
  device: 'Device',
  source: 'Source',
  cluster: 'Discovered cluster',
};

function breakdownTable(c: CampaignReport, dimension: Breakdown['dimension'], all: Breakdown[]): Html {
  const shown = all.slice(0, MAX_BREAKDOWN_VALUES);
  const id = (kind: string, b: Breakdown, ...rest: string[]) =>
    testId(kind, c.id, dimension, b.value, ...rest);
  const rows = shown.map((b) =>
    b.variants.map((v, i) => {
      const control = v.id === c.controlId;
      const head =
        i === 0
          ? html`<td rowspan="${b.variants.length}">${b.value === '' ? '(none)' : b.value}<br><span class="small" data-testid="${id('seg-total', b)}">${fmt.count(b.visitors)}</span><span class="small"> visitors</span>${(
              b.warning ?? []
            )
              .filter((w) => w.kind === 'small')
              .map(
                (w) =>
                  html`<br><span class="badge insufficient-data" data-testid="${id('seg-warning', b)}">${w.message}</span>`,
              )}</td>`
          : '';
      const goals = c.goals.map((goal) => {
        const g = v.goals[goal];
        const t = (kind: string) => id(kind, b, v.id, goal);
        if (control) {
          return html`<td data-testid="${t('seg-rate')}">${fmt.pct(g?.rate)}</td><td colspan="4"><span class="badge control">baseline</span></td>`;
        }
        return html`<td data-testid="${t('seg-rate')}">${fmt.pct(g?.rate)}</td>
<td><span data-testid="${t('seg-lift')}">${fmt.lift(g?.lift)}</span><br><span class="small" data-testid="${t('seg-ci')}">${fmt.ci(g?.ci)}</span></td>
<td class="small" data-testid="${t('seg-method')}">${g?.method ? METHOD[g.method] : '—'}</td>
<td data-testid="${t('seg-p')}">${fmt.p(g?.pValue)}</td><td data-testid="${t('seg-padj')}">${fmt.p(g?.adjustedPValue)}</td>`;
      });
      return html`<tr>${head}<td>${v.id}</td><td data-testid="${id('seg-visitors', b, v.id)}">${fmt.count(v.visitors)}</td>${goals}</tr>`;
    }),
  );
  const more =
    all.length > shown.length
      ? html`<p class="small">${fmt.count(all.length - shown.length)} more values with fewer visitors are in the results API.</p>`
      : '';
  const heads = c.goals.map(
    (g) =>
      html`<th>${g} rate</th><th>${g} lift [95% interval]</th><th>Method</th><th>p</th><th>p (adj.)</th>`,
  );
  return html`<h3>By ${DIMENSION_NAMES[dimension].toLowerCase()}</h3><div class="table-wrap"><table data-testid="${testId('seg', c.id, dimension)}"><thead><tr><th>${DIMENSION_NAMES[dimension]}</th><th>Variant</th><th>Visitors</th>${heads}</tr></thead><tbody>${rows}</tbody></table></div>${more}`;
}

function breakdownSection(c: CampaignReport): Part {
  const all = c.breakdowns;
  if (!all?.length) return '';
  const dims: Breakdown['dimension'][] = [];
  for (const b of all) if (!dims.includes(b.dimension)) dims.push(b.dimension);
  const many = all.flatMap((b) => b.warning ?? []).find((w) => w.kind === 'many');
  const banner = many
    ? html`<p class="banner note" role="note" data-testid="${testId('seg-many', c.id)}">${many.message[0]?.toUpperCase()}${many.message.slice(1)}.</p>`
    : '';
  return html`<h2 class="seg-head">By segment</h2><p class="sub">Each variant against control within the same group. Groups are small, so each comparison uses the method its counts call for (the Method column), and p (adj.) is Holm-adjusted across every comparison in this section.</p>${banner}${dims.map(
    (d) =>
      breakdownTable(
        c,
        d,
        all.filter((b) => b.dimension === d),
      ),
  )}`;
}

function legend(c: CampaignReport, colors: Map<string, string>): Html {
  const ids: string[] = c.variants.map((v) => v.id);
  if (c.daily.some((d) => d.variant === HOLDOUT_ID)) ids.push(HOLDOUT_ID);
  return html`<div class="legend">${ids.map((id) => html`<span>${swatch(colors.get(id))}${id === HOLDOUT_ID ? 'holdout' : id}</span>`)}</div>`;
}

function goalSection(c: CampaignReport, goal: string, colors: Map<string, string>): Html {
  const hl = c.holdout.lift[goal];
  const holdoutLine = hl
    ? html`<p class="hl">Campaign vs its holdout: <b data-testid="${testId('holdout-lift', c.id, goal)}">${fmt.lift(hl.lift)}</b> <span class="small">${fmt.ci(hl.ci)} · ${fmt.pIs(hl.pValue)}</span></p>`
    : '';
  const hasData = c.variants.some((v) => v.visitors > 0);
  const charts = hasData
    ? html`<div class="charts">
<figure><figcaption>Conversion rate over time (cumulative)</figcaption>${rateChart(c, goal, colors, testId('chart-rate', c.id, goal))}${legend(c, colors)}${new Set(c.daily.map((d) => d.day)).size === 1 ? html`<p class="small">One day of data so far: the lines start on the second day.</p>` : ''}</figure>
<figure><figcaption>Lift vs control, 95% interval (filled: interval excludes 0)</figcaption>${forestPlot(c, goal, colors, testId('chart-lift', c.id, goal))}</figure>
</div>`
    : '';
  const plain = c.note
    ? html`<p class="small" data-testid="${testId('plain-note', c.id, goal)}">Plain, unweighted numbers: traffic shares changed over time, so they are biased; ${c.adaptive ? 'read the weighted results above' : 'weighted results are not available'}.</p>`
    : '';
  return html`<h3>Goal: ${goal}</h3>${plain}${goalTable(c, goal, colors)}${holdoutLine}${charts}`;
}

type Adaptive = NonNullable<CampaignReport['adaptive']>;
type WhatIfKey = keyof NonNullable<Adaptive['whatIf']>;

/** How many contexts the page lists (most visitors first); the results API has them all. */
const MAX_CONTEXTS = 25;

const WHAT_IF: { key: WhatIfKey; name: string; what: string }[] = [
  { key: 'uniform', name: 'Uniform split', what: 'every variant shown equally often, to everyone' },
  { key: 'current', name: 'Current policy', what: 'the shares per context in force now' },
  {
    key: 'bestFixed',
    name: 'Best fixed variant per context',
    what: 'each context always shown its best variant below (optimistic: chosen on the same data)',
  },
  { key: 'logged', name: 'What happened (logged)', what: 'the plain conversion rate of the campaign so far' },
];

const isContextual = (c: CampaignReport) => String(c.allocation) === 'contextual';

function weightedTable(c: CampaignReport, a: Adaptive, colors: Map<string, string>): Html {
  const rows = a.variants.map(
    (
      v,
    ) => html`<tr><td>${swatch(colors.get(v.id))}${v.id}${v.id === c.controlId ? html` <span class="badge control">control</span>` : ''}</td>
<td data-testid="${testId('adaptive-visitors', c.id, v.id)}">${fmt.count(v.visitors)}</td>
<td data-testid="${testId('adaptive-rate', c.id, v.id)}">${fmt.pct(v.rate)}</td>
<td data-testid="${testId('adaptive-rate-ci', c.id, v.id)}">${fmt.rateCi(v.ci)}</td>
<td><span data-testid="${testId('adaptive-lift', c.id, v.id)}">${fmt.lift(v.lift)}</span>${v.liftCi ? html`<br><span class="small" data-testid="${testId('adaptive-lift-ci', c.id, v.id)}">${fmt.ci(v.liftCi)}</span>` : ''}</td></tr>`,
  );
  return html`<div class="table-wrap"><table data-testid="${testId('adaptive', c.id)}"><thead><tr><th>Variant</th><th>Visitors</th><th>Weighted rate</th><th>95% interval</th><th>Weighted lift [95% interval]</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function contextTable(c: CampaignReport, a: Adaptive, colors: Map<string, string>): Html {
  const contexts = a.contexts ?? [];
  if (!contexts.length) return html`<p class="banner note">No visitors with a context yet.</p>`;
  const shown = contexts.slice(0, MAX_CONTEXTS);
  const rows = shown.map((x) => {
    const cells = x.variants.map(
      (v) =>
        html`<td data-testid="${testId('ctx-share', c.id, x.key, v.id)}">${fmt.pct(v.share)}</td><td><span data-testid="${testId('ctx-rate', c.id, x.key, v.id)}">${fmt.pct(v.rate)}</span><br><span class="small" data-testid="${testId('ctx-rate-ci', c.id, x.key, v.id)}">${fmt.rateCi(v.ci)}</span></td>`,
    );
    const best = x.best
      ? html`<td>${swatch(colors.get(x.best.variant))}<span data-testid="${testId('ctx-best', c.id, x.key)}">${x.best.variant}</span></td><td><span data-testid="${testId('ctx-best-rate', c.id, x.key)}">${fmt.pct(x.best.rate)}</span><br><span class="small" data-testid="${testId('ctx-best-ci', c.id, x.key)}">${fmt.rateCi(x.best.ci)}</span></td>`
      : html`<td data-testid="${testId('ctx-best', c.id, x.key)}">—</td><td class="small">no conversions yet</td>`;
    const from =
      x.sharesFrom === 'pooled'
        ? html`<br><span class="small">pooled shares (too little data of its own)</span>`
        : '';
    return html`<tr><td>${fmt.context(x.key)}${from}</td><td data-testid="${testId('ctx-visitors', c.id, x.key)}">${fmt.count(x.visitors)}</td>${cells}${best}</tr>`;
  });
  const more =
    contexts.length > shown.length
      ? html`<p class="small">${fmt.count(contexts.length - shown.length)} more contexts with fewer visitors are in the results API.</p>`
      : '';
  const heads = a.variants.map((v) => html`<th>${v.id}: share now</th><th>${v.id}: weighted rate [95%]</th>`);
  return html`<div class="table-wrap"><table data-testid="${testId('contexts', c.id)}"><thead><tr><th>Context</th><th>Visitors</th>${heads}<th>Best variant</th><th>Its rate [95% interval]</th></tr></thead><tbody>${rows}</tbody></table></div>${more}`;
}

function whatIfTable(c: CampaignReport, a: Adaptive): Part {
  const w = a.whatIf;
  if (!w) return '';
  const rows = WHAT_IF.map(({ key, name, what }) => {
    const v = w[key];
    if (!v) {
      return html`<tr><td>${name}<br><span class="small">${what}</span></td><td data-testid="${testId('whatif-ips', c.id, key)}">—</td><td colspan="3" class="small">current shares not known</td></tr>`;
    }
    return html`<tr><td>${name}<br><span class="small">${what}</span></td>
<td data-testid="${testId('whatif-ips', c.id, key)}">${fmt.pct(v.ips)}</td>
<td data-testid="${testId('whatif-ci', c.id, key)}">${fmt.rateCi(v.ci)}</td>
<td data-testid="${testId('whatif-snips', c.id, key)}">${fmt.pct(v.snips)}</td>
<td data-testid="${testId('whatif-ess', c.id, key)}">${fmt.count(Math.round(v.ess))}</td></tr>`;
  });
  return html`<h3>What if: the estimated conversion rate of other policies on the same visitors</h3>
<p class="small">Off-policy estimates (inverse propensity scoring): each logged visitor counts by the probability the policy would have given their variant ÷ the probability they had. The interval is for the first estimate; the self-normalized one is steadier when the effective sample size is small.</p>
<div class="table-wrap"><table data-testid="${testId('whatif', c.id)}"><thead><tr><th>Policy</th><th>Estimated rate</th><th>95% interval</th><th>Self-normalized</th><th>Effective visitors</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function adaptiveSection(c: CampaignReport, colors: Map<string, string>): Part {
  const a = c.adaptive;
  if (!a) {
    return c.note
      ? html`<h3>Adaptive allocation</h3><p class="banner note" data-testid="${testId('adaptive-note', c.id)}">${c.note}</p>`
      : '';
  }
  const contextual = isContextual(c);
  const intro = html`<p class="sub" data-testid="${testId('adaptive-method', c.id)}">Goal <b>${a.goal}</b>. Rates weighted by the probability each visitor had of seeing their variant, because shares changed over time${contextual ? ' and differ by context' : ''} (inverse-probability weighting): each is the rate the variant would have had if all ${fmt.count(a.visitors)} visitors had seen it. The plain rates below compare visitors from different days${contextual ? ' and contexts' : ''} and are biased: read these.</p>`;
  const chart = a.variants.some((v) => v.id !== c.controlId && v.visitors > 0)
    ? html`<div class="charts one"><figure><figcaption>Weighted lift vs control, 95% interval (filled: interval excludes 0)</figcaption>${weightedLiftPlot(c, colors, testId('chart-adaptive-lift', c.id))}</figure></div>`
    : '';
  const perContext = contextual
    ? html`<h3>Per context: traffic share now and weighted rate</h3>${contextTable(c, a, colors)}${whatIfTable(c, a)}`
    : '';
  return html`<h3>Adaptive allocation: weighted results</h3>${intro}${weightedTable(c, a, colors)}${chart}${perContext}`;
}

/** The automatic actions (guardrails) on a campaign, newest first, with their evidence. */
function auditSection(c: CampaignReport, audit: readonly AuditEntry[]): Html | '' {
  const mine = audit.filter((a) => a.campaign === c.id);
  if (!mine.length) return '';
  const evidence = (e: unknown) => {
    const x = e as {
      observations?: number;
      successes?: number;
      bound?: number;
      threshold?: number;
      from?: number;
      to?: number;
      lagMinutes?: number;
      metric?: string;
      mean?: number;
    } | null;
    if (x && typeof x.from === 'number' && typeof x.to === 'number')
      return `share ${fmt.pct(x.from)} → ${fmt.pct(x.to)} (moves beyond ${fmt.pct(x.threshold)} are logged)`;
    const lag =
      x && typeof x.lagMinutes === 'number' ? ` (sessions started at least ${x.lagMinutes} min before)` : '';
    // pages or engaged seconds per session: a mean, not a rate
    if (x && typeof x.mean === 'number') {
      const unit = x.metric === 'engagedTime' ? ' s' : ' pages';
      const num = (v: number | undefined) => `${fmt.decimal(v, 2)}${unit}`;
      return `mean ${num(x.mean)} over ${fmt.count(x.observations)} sessions${lag}; bound ${num(x.bound)} vs threshold ${num(x.threshold)}`;
    }
    return x
      ? `${fmt.count(x.successes)} of ${fmt.count(x.observations)}${lag}; bound ${fmt.pct(x.bound)} vs threshold ${fmt.pct(x.threshold)}`
      : '';
  };
  return html`<h3>Automatic actions</h3><div class="table-wrap"><table data-testid="${testId('audit', c.id)}"><tr><th>when</th><th>variant</th><th>rule</th><th>action</th><th>evidence</th><th>state</th></tr>${mine.map(
    (a) =>
      html`<tr><td>${a.at.replace('T', ' ').slice(0, 16)}</td><td>${a.variant}</td><td>${a.rule}</td><td data-testid="${testId('audit-action', c.id, String(a.id))}">${a.action}${a.to ? ` → ${a.to}` : ''}</td><td class="small">${evidence(a.evidence)}</td><td>${a.undoneAt ? `undone ${a.undoneAt.replace('T', ' ').slice(0, 16)}` : a.action === 'share' ? 'record' : html`in force <span class="small">(undo: POST /__hio/admin/audit/${a.id}/undo)</span>`}</td></tr>`,
  )}</table></div>`;
}

function campaignSection(
  c: CampaignReport,
  audit: readonly AuditEntry[] = [],
  series?: Record<string, VariantSeries>,
): Html {
  const colors = variantColors(c);
  const srm = c.srm.warning
    ? html`<div class="banner srm" role="alert" data-testid="${testId('srm', c.id)}"><b>Sample ratio mismatch (${fmt.pIs(c.srm.pValue)}).</b> The visitors are not split as the weights say, so assignment or tracking is broken: do not trust these results until it is fixed.</div>`
    : '';
  const empty = c.variants.every((v) => v.visitors === 0)
    ? html`<p class="banner note">No visitors have been assigned yet.</p>`
    : '';
  const details: Part[] = [
    isContextual(c)
      ? 'contextual (traffic learned per context)'
      : c.allocation === 'bandit'
        ? 'bandit (adaptive traffic)'
        : 'A/B test',
    `goals: ${c.goals.length ? c.goals.join(', ') : 'none yet'}`,
    `verdicts after ${c.minPerArm} visitors per arm`,
    c.srm.pValue === null ? '' : `split check ${fmt.pIs(c.srm.pValue)}`,
  ];
  return html`<section class="card" id="${testId('c', c.id)}" data-testid="${testId('campaign', c.id)}">
<div class="campaign-head"><h2>${c.id}</h2><span class="badge">${c.status}</span><span class="small">${details.filter(Boolean).join(' · ')}</span></div>
${srm}${empty}${auditSection(c, audit)}${trafficTable(c, colors)}${secondaryTable(c, colors)}${itemsTable(c, colors)}${minuteSection(c.id, series, colors, c.goals)}${adaptiveSection(c, colors)}${c.goals.map((g) => goalSection(c, g, colors))}
${breakdownSection(c)}
</section>`;
}

/** The results page. */
export function renderDashboard(r: DashboardReport): string {
  const when = r.generatedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  const body = html`<header class="top"><div class="brand">HIO <span>results</span></div>
<div class="meta">campaign document v${r.configVersion} · generated ${when}</div>
<nav><a class="btn" href="${DASHBOARD_PATH}">Refresh</a><a class="btn" href="${RESULTS_CSV_PATH}" data-testid="csv" download>Download CSV</a>
<form method="post" action="${DASHBOARD_PATH}/logout"><button class="btn" type="submit">Log out</button></form></nav></header>
<main>
${programmeSection(r)}
${learningSection(r)}
${strategiesSection(r)}
${HELP}
${r.campaigns.length ? r.campaigns.map((c) => campaignSection(c, r.audit ?? [], r.series?.[c.id])) : html`<p class="card banner note">The live campaign document has no campaigns.</p>`}
</main>`;
  // the page follows what happens (guardrails act within a minute) without a script: it reloads itself
  return layout('HIO results', body, 60);
}
