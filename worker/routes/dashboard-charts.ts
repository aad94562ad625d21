/**
 * @module dashboard-charts
 * The dashboard's two charts, drawn on the server as inline SVG (no script, no dependency, readable
 * without JavaScript): the cumulative conversion rate by day per variant, and a forest plot of each
 * variant's lift against control with its interval (plain, and for adaptive campaigns weighted by the
 * logged probabilities). Each point carries a `<title>` as its tooltip.
 */
import type { CampaignReport } from '../engine/index.ts';
import { fmt, type Html, html } from './dashboard-format.ts';

export const HOLDOUT_ID = '__holdout';
const CONTROL_COLOR = '#64748b';
const HOLDOUT_COLOR = '#a8a29e';
const PALETTE = ['#2563eb', '#ea580c', '#16a34a', '#9333ea', '#0891b2', '#db2777', '#ca8a04', '#4f46e5'];

/** One colour per variant, the same in every table and chart of a campaign. */
export function variantColors(c: CampaignReport): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  for (const v of c.variants) {
    out.set(v.id, v.control ? CONTROL_COLOR : (PALETTE[i++ % PALETTE.length] as string));
  }
  out.set(HOLDOUT_ID, HOLDOUT_COLOR);
  return out;
}

/** A round step that splits `range` into about `count` parts. */
function niceStep(range: number, count: number): number {
  const raw = range / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10) * mag;
}

const r1 = (x: number) => Math.round(x * 10) / 10;

/** "12%" or "1.5%": axis labels without noise */
function axisPct(x: number, signed = false): string {
  const v = Math.round(x * 1000) / 10;
  const s = Number.isInteger(v) ? v.toFixed(0) : v.toFixed(1);
  return `${signed && v > 0 ? '+' : ''}${s}%`;
}

export interface SeriesPoint {
  day: string;
  visitors: number;
  conversions: number;
  rate: number;
}

/** Cumulative visitors, conversions and rate per variant and day, from the report's `daily` rows. */
export function cumulativeRates(
  c: CampaignReport,
  goal: string,
): { days: string[]; series: Map<string, SeriesPoint[]> } {
  const days = [...new Set(c.daily.map((d) => d.day))].sort();
  const ids = [
    ...c.variants.map((v) => v.id),
    ...(c.daily.some((d) => d.variant === HOLDOUT_ID) ? [HOLDOUT_ID] : []),
  ];
  const series = new Map<string, SeriesPoint[]>();
  for (const id of ids) {
    let visitors = 0;
    let conversions = 0;
    const points: SeriesPoint[] = [];
    for (const day of days) {
      const row = c.daily.find((d) => d.day === day && d.variant === id);
      visitors += row?.visitors ?? 0;
      conversions += row?.conversions[goal] ?? 0;
      if (visitors > 0)
        points.push({ day, visitors, conversions, rate: Math.min(1, conversions / visitors) });
    }
    if (points.length) series.set(id, points);
  }
  return { days, series };
}

const label = (id: string) => (id === HOLDOUT_ID ? 'holdout' : id);

/** Cumulative conversion rate over time, one line per variant (the holdout dashed). */
export function rateChart(
  c: CampaignReport,
  goal: string,
  colors: Map<string, string>,
  testId: string,
): Html {
  const { days, series } = cumulativeRates(c, goal);
  const W = 520;
  const H = 240;
  const m = { l: 52, r: 18, t: 14, b: 30 };
  const w = W - m.l - m.r;
  const h = H - m.t - m.b;
  let max = 0;
  for (const pts of series.values()) for (const p of pts) max = Math.max(max, p.rate);
  const step = niceStep(Math.max(max * 1.1, 0.01), 4);
  const top = Math.max(step, Math.ceil((max * 1.1) / step) * step);
  const x = (i: number) => r1(days.length === 1 ? m.l + w / 2 : m.l + (i * w) / (days.length - 1));
  const y = (rate: number) => r1(m.t + h - (rate / top) * h);

  const grid: Html[] = [];
  for (let v = 0; v <= top + step / 2; v += step) {
    grid.push(
      html`<line class="grid" x1="${m.l}" x2="${W - m.r}" y1="${y(v)}" y2="${y(v)}"></line><text class="tick" x="${m.l - 6}" y="${y(v) + 4}" text-anchor="end">${axisPct(v)}</text>`,
    );
  }
  const every = Math.max(1, Math.ceil(days.length / 6));
  const xLabels = days.map((d, i) =>
    i % every === 0 || i === days.length - 1
      ? html`<text class="tick" x="${x(i)}" y="${H - 10}" text-anchor="middle">${d.slice(5)}</text>`
      : null,
  );
  const lines = [...series].map(([id, pts]) => {
    const color = colors.get(id) ?? CONTROL_COLOR;
    const xy = pts.map((p) => [x(days.indexOf(p.day)), y(p.rate)] as const);
    const d = xy.map(([px, py], i) => `${i ? 'L' : 'M'}${px},${py}`).join(' ');
    const dots = pts.map(
      (p, i) =>
        html`<circle class="pt" cx="${xy[i]?.[0]}" cy="${xy[i]?.[1]}" r="3.2" fill="${color}"><title>${label(id)} · ${p.day}: ${fmt.pct(p.rate)} (${fmt.count(p.conversions)} of ${fmt.count(p.visitors)} visitors so far)</title></circle>`,
    );
    return html`<g class="series" data-series="${id}"><path d="${d}" fill="none" stroke="${color}" stroke-width="2.2" stroke-linejoin="round"${id === HOLDOUT_ID ? html` stroke-dasharray="5 4"` : ''}></path>${dots}</g>`;
  });
  return html`<svg class="chart" data-testid="${testId}" viewBox="0 0 ${W} ${H}" role="img" aria-label="Cumulative conversion rate of ${goal} by day, per variant">${grid}<line class="axis" x1="${m.l}" x2="${W - m.r}" y1="${y(0)}" y2="${y(0)}"></line>${xLabels}${lines}</svg>`;
}

interface ForestRow {
  id: string;
  label: string;
  lift: number | null;
  ci: readonly (number | null)[] | null;
  color: string;
}

/** Lift against control with its interval per variant, plus the campaign against its holdout. */
export function forestPlot(
  c: CampaignReport,
  goal: string,
  colors: Map<string, string>,
  testId: string,
): Html {
  const rows: ForestRow[] = [];
  for (const v of c.variants) {
    const g = v.goals[goal];
    if (v.control || !g) continue;
    rows.push({
      id: v.id,
      label: v.id,
      lift: g.lift ?? null,
      ci: g.ci ?? null,
      color: colors.get(v.id) ?? CONTROL_COLOR,
    });
  }
  const hl = c.holdout.lift[goal];
  if (hl) rows.push({ id: HOLDOUT_ID, label: 'all vs holdout', lift: hl.lift, ci: hl.ci, color: '#57534e' });
  return liftPlot(rows, testId, `Lift of ${goal} against control with 95% intervals`);
}

/** The weighted lift of each variant of an adaptive campaign against control, with its interval. */
export function weightedLiftPlot(c: CampaignReport, colors: Map<string, string>, testId: string): Html {
  const rows: ForestRow[] = (c.adaptive?.variants ?? [])
    .filter((v) => v.id !== c.controlId)
    .map((v) => ({
      id: v.id,
      label: v.id,
      lift: v.lift ?? null,
      ci: v.liftCi ?? null,
      color: colors.get(v.id) ?? CONTROL_COLOR,
    }));
  return liftPlot(
    rows,
    testId,
    `Weighted lift of ${c.adaptive?.goal ?? ''} against control with 95% intervals`,
  );
}

/** A forest plot: a dot per row at its lift, a bar for its interval, the dashed line at zero. */
function liftPlot(rows: readonly ForestRow[], testId: string, ariaLabel: string): Html {
  const W = 520;
  const rowH = 34;
  const m = { l: 128, r: 78, t: 10, b: 30 };
  const H = m.t + Math.max(1, rows.length) * rowH + m.b;
  const w = W - m.l - m.r;
  const finite = (n: number | null | undefined): n is number => typeof n === 'number' && Number.isFinite(n);
  const values = [0];
  for (const r of rows) for (const n of [r.lift, r.ci?.[0], r.ci?.[1]]) if (finite(n)) values.push(n);
  // keep absurd upper ends (tiny control rates) from flattening everything else
  const CAP = 3;
  let lo = Math.max(-1, Math.min(...values));
  let hi = Math.min(CAP, Math.max(...values));
  if (hi - lo < 0.1) {
    lo -= 0.05;
    hi += 0.05;
  }
  const step = niceStep(hi - lo, 5);
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  const x = (v: number) => r1(m.l + ((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * w);
  const bottom = H - m.b;

  const ticks: Html[] = [];
  for (let v = lo; v <= hi + step / 2; v += step) {
    ticks.push(
      html`<line class="grid" x1="${x(v)}" x2="${x(v)}" y1="${m.t}" y2="${bottom}"></line><text class="tick" x="${x(v)}" y="${H - 10}" text-anchor="middle">${axisPct(v, true)}</text>`,
    );
  }
  const marks = rows.map((r, i) => {
    const cy = r1(m.t + i * rowH + rowH / 2);
    const name = r.label.length > 16 ? `${r.label.slice(0, 15)}…` : r.label;
    const text = html`<text class="row-label" x="${m.l - 10}" y="${cy + 4}" text-anchor="end">${name}<title>${r.label}</title></text>`;
    if (!finite(r.lift)) {
      return html`<g class="row" data-series="${r.id}">${text}<text class="tick" x="${m.l + 6}" y="${cy + 4}">no control conversions yet</text></g>`;
    }
    const cl = finite(r.ci?.[0]) ? r.ci[0] : -1;
    const ch = finite(r.ci?.[1]) ? r.ci[1] : Number.POSITIVE_INFINITY;
    const x1 = x(cl);
    const x2 = x(ch);
    const clipped = ch > hi;
    const significant = cl > 0 || ch < 0;
    const tip = `${r.label}: ${fmt.lift(r.lift)} ${fmt.ci([r.ci?.[0] ?? null, r.ci?.[1] ?? null])}`;
    return html`<g class="row" data-series="${r.id}">${text}<path class="ci" d="M${x1},${cy} L${x2},${cy}${clipped ? '' : ` M${x2},${cy - 6} L${x2},${cy + 6}`} M${x1},${cy - 6} L${x1},${cy + 6}" stroke="${r.color}" stroke-width="2.2" fill="none"></path>${clipped ? html`<path d="M${x2 - 7},${cy - 5} L${x2},${cy} L${x2 - 7},${cy + 5}" stroke="${r.color}" stroke-width="2.2" fill="none"></path>` : ''}<circle class="pt" cx="${x(r.lift)}" cy="${cy}" r="5.5" fill="${significant ? r.color : '#fff'}" stroke="${r.color}" stroke-width="2.2"><title>${tip}</title></circle><text class="value" x="${W - m.r + 8}" y="${cy + 4}">${fmt.lift(r.lift)}</text></g>`;
  });
  return html`<svg class="chart" data-testid="${testId}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${ariaLabel}">${ticks}<line class="zero" x1="${x(0)}" x2="${x(0)}" y1="${m.t - 4}" y2="${bottom}"></line>${marks}</svg>`;
}
