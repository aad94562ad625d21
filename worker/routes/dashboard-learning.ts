/**
 * @module dashboard-learning
 * The dashboard's "Prediction and discovery" section: the trained propensity model's quality on the
 * rows it held back (AUC, calibration plot, the features that weigh most, conversion per decile) and
 * the discovered clusters (size, what sets each apart, conversion rate). Which variants win in each
 * cluster is in every campaign's "By segment" tables (dimension "cluster").
 */
import type { ClusterRecord, PropensityRecord } from '../engine/index.ts';
import { fmt, type Html, html, testId } from './dashboard-format.ts';

function calibrationPlot(record: PropensityRecord): Html {
  const W = 260;
  const H = 200;
  const pad = 30;
  const max = Math.max(0.05, ...record.calibration.flatMap((b) => [b.meanPredicted, b.observedRate]));
  const x = (v: number) => pad + (v / max) * (W - 2 * pad);
  const y = (v: number) => H - pad - (v / max) * (H - 2 * pad);
  const dots = record.calibration.map(
    (b) =>
      html`<circle cx="${x(b.meanPredicted).toFixed(1)}" cy="${y(b.observedRate).toFixed(1)}" r="${Math.min(9, 2.5 + Math.sqrt(b.n) / 6).toFixed(1)}" fill="#2563eb" fill-opacity="0.7"><title>predicted ${fmt.pct(b.meanPredicted)}, observed ${fmt.pct(b.observedRate)} (${b.n} visitors)</title></circle>`,
  );
  return html`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="calibration on held-back visitors" data-testid="calibration-plot">
<line class="axis" x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}"></line><line class="axis" x1="${pad}" y1="${pad}" x2="${pad}" y2="${H - pad}"></line>
<line class="zero" x1="${x(0)}" y1="${y(0)}" x2="${x(max)}" y2="${y(max)}"></line>
${dots}
<text class="tick" x="${W / 2}" y="${H - 6}" text-anchor="middle">predicted</text><text class="tick" x="10" y="${H / 2}" transform="rotate(-90 10 ${H / 2})" text-anchor="middle">observed</text>
<text class="tick" x="${W - pad}" y="${H - pad + 14}" text-anchor="end">${fmt.pct(max)}</text></svg>`;
}

function modelCard(record: PropensityRecord | null | undefined): Html {
  if (!record) {
    return html`<div class="card"><h2>Propensity model</h2><p class="sub" data-testid="model-none">No model trained yet: pages use the heuristic score until enough session starts have a known outcome (see settings.propensity).</p></div>`;
  }
  const top = record.importance.slice(0, 5);
  return html`<div class="card" data-testid="model"><h2>Propensity model: ${record.goal}</h2>
<p class="sub">Logistic regression trained ${new Date(record.trainedAt).toISOString().replace('T', ' ').slice(0, 16)} UTC on ${fmt.count(record.rows.train)} session starts; judged on the ${fmt.count(record.rows.holdout)} held back.</p>
<div class="stats"><div class="stat"><div class="k">AUC (held back)</div><div class="v" data-testid="model-auc">${fmt.decimal(record.auc, 3)}</div><div class="d">0.5 is a coin toss, 1 a perfect ranking</div></div>
<div class="stat"><div class="k">Calibration error</div><div class="v" data-testid="model-ece">${fmt.pct(record.ece)}</div><div class="d">mean gap between predicted and observed rates</div></div></div>
<div class="charts"><figure><figcaption>Calibration on held-back visitors</figcaption>${calibrationPlot(record)}</figure>
<figure><figcaption>Features that weigh most (per standard deviation)</figcaption><table><tr><th>feature</th><th>weight</th></tr>${top.map(
    (f, i) =>
      html`<tr><td>${f.name}</td><td data-testid="${testId('model-weight', String(i))}">${fmt.decimal(f.weight, 2)}</td></tr>`,
  )}</table></figure>
<figure><figcaption>Conversion rate per decile of the score</figcaption><table><tr><th>decile</th><th>score</th><th>visitors</th><th>converted</th></tr>${record.deciles.map(
    (d, i) =>
      html`<tr><td>${i + 1}</td><td>${fmt.pct(d.lo)}–${fmt.pct(d.hi)}</td><td>${fmt.count(d.n)}</td><td data-testid="${testId('model-decile', String(i + 1))}">${fmt.pct(d.rate)}</td></tr>`,
  )}</table></figure></div></div>`;
}

function clustersCard(record: ClusterRecord | null | undefined): Html {
  if (!record) {
    return html`<div class="card"><h2>Discovered segments</h2><p class="sub" data-testid="clusters-none">Not clustered yet: the scheduled job clusters visitors once it has enough session starts.</p></div>`;
  }
  return html`<div class="card" data-testid="clusters"><h2>Discovered segments</h2>
<p class="sub">${record.k} clusters of ${fmt.count(record.rows)} visitors by k-means over standardized behaviour at their session starts (k ${record.chosenBy === 'document' ? 'set in the document' : 'chosen by the silhouette'}); ids stay the same across re-clustering. Target one with <code>{ "cluster": "c0" }</code>, or use it as a contextual campaign's context.</p>
<div class="table-wrap"><table><tr><th>cluster</th><th>visitors</th><th>share</th><th>converted</th><th>what sets it apart</th></tr>${record.clusters.map(
    (c) =>
      html`<tr><td>c${c.id}</td><td data-testid="${testId('cluster-size', `c${c.id}`)}">${fmt.count(c.size)}</td><td>${fmt.pct(c.share)}</td><td data-testid="${testId('cluster-rate', `c${c.id}`)}">${fmt.pct(c.conversionRate)}</td><td class="small">${c.traits
        .map(
          (t) =>
            `${t.feature} ${t.z > 0 ? 'high' : 'low'} (${t.clusterMean.toFixed(1)} vs ${t.overallMean.toFixed(1)})`,
        )
        .join('; ')}</td></tr>`,
  )}</table></div></div>`;
}

export function learningSection(r: {
  model?: PropensityRecord | null;
  clusters?: ClusterRecord | null;
}): Html {
  return html`${modelCard(r.model)}${clustersCard(r.clusters)}`;
}
