/**
 * @module dashboard-items
 * The dashboard's recommendation tables: per campaign, each variant's item click-through overall and
 * per list position, with the conversions attributed to item clicks (engine/item-results.ts); and one
 * card for the whole site, per strategy ("for-you", "similar", ...) over every campaign that uses it.
 */
import type { CampaignReport, ItemsResult, Report, StrategyResult } from '../engine/index.ts';
import { fmt, type Html, html, type Part, testId } from './dashboard-format.ts';

/** Positions shown as columns: at least the first four, at most twelve (the largest count a slot shows). */
const MIN_COLUMNS = 4;
const MAX_COLUMNS = 12;

const NOTE = html`<p class="small">Item click rate: clicks on the list's items per viewable impression of the slot (Wilson 95% interval), overall and at each position. Attributed: conversions the campaign counts, in the same visit after a click on one of its items (credited to the last clicked position), their value, and clicked items that were then bought. Attribution says what clicks led to, not what the list caused: read the variant's conversion rate against its control for that.</p>`;

function positionsOf(rows: readonly ItemsResult[]): number[] {
  const deepest = Math.max(MIN_COLUMNS, ...rows.flatMap((r) => r.positions.map((p) => p.position)));
  return Array.from({ length: Math.min(deepest, MAX_COLUMNS) }, (_, i) => i + 1);
}

function cells(prefix: string, id: string, r: ItemsResult, positions: readonly number[]): Html {
  const at = (p: number) => r.positions.find((x) => x.position === p);
  return html`<td data-testid="${testId(`${prefix}-clicks`, id)}">${fmt.count(r.clicks)}</td>
<td><span data-testid="${testId(`${prefix}-ctr`, id)}">${fmt.pct(r.ctr?.value)}</span>${r.ctr ? html`<br><span class="small">${fmt.rateCi(r.ctr.ci)}</span>` : ''}</td>
${positions.map((p) => html`<td data-testid="${testId(`${prefix}-ctr-at`, id, String(p))}">${fmt.pct(at(p)?.ctr?.value ?? (r.impressions ? 0 : null))}</td>`)}
<td data-testid="${testId(`${prefix}-conversions`, id)}">${fmt.count(r.conversions)}</td>
<td data-testid="${testId(`${prefix}-per-click`, id)}">${fmt.pct(r.perClick?.value)}</td>
<td data-testid="${testId(`${prefix}-value`, id)}">${fmt.money(r.value)}</td>
<td data-testid="${testId(`${prefix}-bought`, id)}">${fmt.count(r.itemsBought)}</td>`;
}

const head = (first: Part, positions: readonly number[]) =>
  html`<thead><tr>${first}<th>Item clicks</th><th>Item click rate [95%]</th>${positions.map((p) => html`<th>at ${p}</th>`)}<th>Attributed conversions</th><th>per click</th><th>Attributed value</th><th>Clicked items bought</th></tr></thead>`;

/** Per campaign: its variants with a recommendation, or a marked list that was clicked. */
export function itemsTable(c: CampaignReport, colors: Map<string, string>): Part {
  const rows = c.variants.filter((v) => v.items);
  if (!rows.length) return '';
  const positions = positionsOf(rows.map((v) => v.items as ItemsResult));
  const body = rows.map((v) => {
    const r = v.items as ItemsResult;
    const id = `${c.id}-${v.id}`;
    return html`<tr><td><span class="sw" style="background:${colors.get(v.id) ?? '#64748b'}"></span>${v.id}${v.control ? html` <span class="badge control">control</span>` : ''}</td>
<td>${r.strategy ?? html`<span class="small">marked list</span>`}</td>
<td data-testid="${testId('items-impressions', id)}">${fmt.count(r.impressions)}</td>${cells('items', id, r, positions)}</tr>`;
  });
  return html`<h3>Recommended items</h3>${NOTE}
<div class="table-wrap"><table data-testid="${testId('items', c.id)}">${head(html`<th>Variant</th><th>Strategy</th><th>Viewable impressions</th>`, positions)}<tbody>${body}</tbody></table></div>`;
}

/** The site's strategies, each over every campaign that uses it. */
export function strategiesSection(r: Pick<Report, 'strategies'>): Part {
  const list: readonly StrategyResult[] = r.strategies ?? [];
  if (!list.length) return '';
  const positions = positionsOf(list);
  const body = list.map((s) => {
    const id = s.strategy ?? 'marked-lists';
    const name = s.strategy ?? html`<span class="small">the site's own lists</span>`;
    return html`<tr><td>${name}</td><td class="small">${s.variants.join(', ')}</td><td data-testid="${testId('strategy-impressions', id)}">${fmt.count(s.impressions)}</td>${cells('strategy', id, s, positions)}</tr>`;
  });
  return html`<section class="card" data-testid="strategies"><h2>Recommendations by strategy</h2>
<p class="sub">Every campaign's recommendation variants, summed per strategy: which way of choosing items gets clicked, where in the list, and what the clicks lead to; last, the lists the site marks itself (the variants the recommendations are tested against), when they were clicked.</p>${NOTE}
<div class="table-wrap"><table>${head(html`<th>Strategy</th><th>Variants</th><th>Viewable impressions</th>`, positions)}<tbody>${body}</tbody></table></div></section>`;
}
