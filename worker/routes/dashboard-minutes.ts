/**
 * @module dashboard-minutes
 * The dashboard's minute-level section of a campaign: per metric (exposures, viewable impressions,
 * clicks, CTR, converted visitors per goal, and sessions and bounce rate by session start once there
 * are sessions) a small line chart with one line per variant over the last
 * hour (a point a minute), the last 24 hours (an hour) and 30 days (a day); and per variant a p-chart of
 * its CTR per minute (engine/p-chart.ts: center line, 3-sigma limits, points out of control marked).
 * Server-rendered SVG; the page reloads itself every minute.
 */
import { type MinuteBucket, pChart, type SeriesPoint, type VariantSeries } from '../engine/index.ts';
import { fmt, Html, html, type Part, testId } from './dashboard-format.ts';

const W = 300;
const H = 90;
const PAD = 4;

type Resolution = 'minute' | 'hour' | 'day';
const TITLES: Record<Resolution, string> = {
  minute: 'last hour, per minute',
  hour: 'last 24 hours, per hour',
  day: 'last 30 days, per day',
};

function lines(series: readonly { id: string; color: string; values: (number | null)[] }[]): Html {
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const max = Math.max(0, ...all) || 1;
  const len = Math.max(1, ...series.map((s) => s.values.length));
  const x = (i: number) => PAD + (i * (W - 2 * PAD)) / Math.max(1, len - 1);
  const y = (v: number) => H - PAD - (v / max) * (H - 2 * PAD);
  const paths = series.map((s) => {
    let d = '';
    s.values.forEach((v, i) => {
      if (v === null) return;
      d += `${d && s.values[i - 1] !== null ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
    });
    return html`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"><title>${s.id}</title></path>`;
  });
  return html`<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img"><line x1="${PAD}" y1="${H - PAD}" x2="${W - PAD}" y2="${H - PAD}" stroke="#ccc"/>${paths}</svg>`;
}

const metricValue = (p: SeriesPoint, metric: string): number | null =>
  metric === 'ctr'
    ? p.ctr
    : metric === 'bounce'
      ? p.bounceRate
      : metric === 'exposures' || metric === 'impressions' || metric === 'clicks' || metric === 'sessions'
        ? p[metric]
        : (p.conversions[metric.slice('conversion:'.length)] ?? 0);

const metricLabel = (m: string) =>
  m === 'ctr'
    ? 'CTR'
    : m === 'bounce'
      ? 'bounce rate (by session start)'
      : m.startsWith('conversion:')
        ? `conversions (${m.slice(11)})`
        : m;

function resolutionCharts(
  campaign: string,
  series: Record<string, VariantSeries>,
  colors: Map<string, string>,
  goals: readonly string[],
  res: Resolution,
): Html {
  const ids = Object.keys(series);
  // sessions and bounce only once the campaign has sessions (secondary metrics)
  const sessions = ids.some((v) => (series[v]?.[res] ?? []).some((p) => p.sessions > 0));
  const metrics = [
    'exposures',
    'impressions',
    'clicks',
    'ctr',
    ...goals.map((g) => `conversion:${g}`),
    ...(sessions ? ['sessions', 'bounce'] : []),
  ];
  return html`<h4>${TITLES[res]}</h4><div class="charts" data-testid="${testId('series', campaign, res)}">${metrics.map(
    (m) => {
      const total =
        m === 'ctr' || m === 'bounce'
          ? ''
          : ids.reduce(
              (t, v) => t + (series[v]?.[res] ?? []).reduce((a, p) => a + (metricValue(p, m) ?? 0), 0),
              0,
            );
      return html`<figure class="mini"><figcaption>${metricLabel(m)}${total === '' ? '' : html` <span class="small" data-testid="${testId('series-total', campaign, res, m)}">${fmt.count(total)}</span>`}</figcaption>${lines(
        ids.map((v) => ({
          id: v,
          color: colors.get(v) ?? '#333',
          values: (series[v]?.[res] ?? []).map((p) => metricValue(p, m)),
        })),
      )}</figure>`;
    },
  )}</div>`;
}

/** The minute points of a variant as the p-chart's buckets. */
function bucketsOf(variant: string, points: readonly SeriesPoint[]): MinuteBucket[] {
  return points.map((p) => ({
    minute: Math.floor(Date.parse(p.at) / 60_000),
    variant,
    impressions: p.impressions,
    clicks: p.clicks,
    exposures: p.exposures,
    conversions: p.conversions,
  }));
}

function pChartSvg(campaign: string, variant: string, points: readonly SeriesPoint[]): Html {
  const chart = pChart(bucketsOf(variant, points), variant, 'ctr');
  const first = points.length ? Math.floor(Date.parse(points[0]?.at ?? '') / 60_000) : 0;
  const len = Math.max(1, points.length);
  const max = Math.min(1, Math.max(0.01, ...chart.points.map((p) => Math.max(p.rate, p.ucl))));
  const x = (m: number) => PAD + ((m - first) * (W - 2 * PAD)) / Math.max(1, len - 1);
  const y = (v: number) => H - PAD - (v / max) * (H - 2 * PAD);
  const step = (key: 'ucl' | 'lcl') =>
    chart.points.map((p, i) => `${i ? 'L' : 'M'}${x(p.minute).toFixed(1)},${y(p[key]).toFixed(1)}`).join('');
  const outs = chart.points.filter((p) => p.out).length;
  const dots = chart.points.map(
    (p) =>
      html`<circle cx="${x(p.minute).toFixed(1)}" cy="${y(p.rate).toFixed(1)}" r="${p.out ? 3 : 1.8}" fill="${p.out ? '#c0392b' : '#333'}"${p.out ? new Html(' data-out="1"') : ''}><title>${new Date(p.minute * 60_000).toISOString().slice(11, 16)}: ${fmt.pct(p.rate)} of ${fmt.count(p.n)} (limits ${fmt.pct(p.lcl)}–${fmt.pct(p.ucl)})${p.out ? ' — out of control' : ''}</title></circle>`,
  );
  return html`<figure class="mini" data-testid="${testId('pchart', campaign, variant)}" data-out="${outs}"><figcaption>${variant}: CTR p-chart, center ${fmt.pct(chart.center)}${outs ? html`, <b>${outs} out of control</b>` : ''}</figcaption><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img">${
    chart.points.length
      ? html`<line x1="${PAD}" x2="${W - PAD}" y1="${y(chart.center).toFixed(1)}" y2="${y(chart.center).toFixed(1)}" stroke="#2c7be5"/><path d="${step('ucl')}" fill="none" stroke="#e67e22" stroke-dasharray="3 2"/><path d="${step('lcl')}" fill="none" stroke="#e67e22" stroke-dasharray="3 2"/>`
      : ''
  }${dots}</svg></figure>`;
}

/** The campaign's minute-level section (nothing when the report carries no series for it). */
export function minuteSection(
  campaign: string,
  series: Record<string, VariantSeries> | undefined,
  colors: Map<string, string>,
  goals: readonly string[],
): Part {
  if (!series || !Object.keys(series).length) return '';
  return html`<h3>As it happens</h3><p class="small">Counts per variant from the minute counters (the same buckets the guardrails read). The p-charts flag minutes whose CTR is outside the variant's 3-sigma limits; they never act (see docs/guardrails.md).</p>
${resolutionCharts(campaign, series, colors, goals, 'minute')}
<h4>CTR per minute, control chart</h4><div class="charts">${Object.entries(series).map(([v, s]) => pChartSvg(campaign, v, s.minute))}</div>
${resolutionCharts(campaign, series, colors, goals, 'hour')}
${resolutionCharts(campaign, series, colors, goals, 'day')}`;
}
