/**
 * @module bench/lib/report
 * Turns the raw samples into the figures of bench/results.json, checks them against the targets of
 * the performance issues, and renders the Markdown report (the table that goes into the README and
 * docs/performance.md).
 */
import os from 'node:os';
import { iqr, median, quantile, round } from './stats.mjs';

const MB = 1024;

const sum = (xs) => xs.reduce((a, b) => a + b, 0);
/** CPU milliseconds per page of one target over a page size: all its bursts' CPU over all their pages. */
const cpuMsPerPage = (m, field = 'cpuNs') => sum(m[field]) / sum(m.pages) / 1e6;

function ratio(rec, a, b) {
  const x = rec.get(a);
  const y = rec.get(b);
  const per = (xs, ys) => xs.map((v, i) => v / ys[i]);
  const spread = (vs) => iqr(vs).map((v) => round(v));
  const roundCpu = (m) => m.cpuNs.map((ns, i) => ns / m.pages[i]);
  return {
    cpuPerPage: round(cpuMsPerPage(x) / cpuMsPerPage(y)),
    cpuIqr: spread(per(roundCpu(x), roundCpu(y))),
    latencyP50: round(median(x.lat) / median(y.lat)),
    latencyIqr: spread(per(x.roundLat, y.roundLat)),
    ttfbP50: round(median(x.ttfb) / median(y.ttfb)),
    ttfbIqr: spread(per(x.roundTtfb, y.roundTtfb)),
    throughput: round(median(x.rps) / median(y.rps)),
    throughputIqr: spread(per(x.rps, y.rps)),
  };
}

export const STATE_FLOOR = 'HIO / floor+state';
export const RECS_RATIO = 'HIO+recs / HIO';

export const RATIOS = [
  [STATE_FLOOR, 'HIO', 'floor+state'],
  ['HIO / floor', 'HIO', 'floor'],
  ['HIO / pass-through', 'HIO', 'pass-through'],
  [RECS_RATIO, 'HIO+recs', 'HIO'],
  ['floor+state / floor', 'floor+state', 'floor'],
  ['floor′ / floor (A/A)', 'floor′', 'floor'],
];

/**
 * The guard on a recommendation slot's CPU, HIO+recs / HIO in CPU per page on the 20 KB page, where
 * the slot's fixed cost weighs most. The issue gives no number: this is the project's choice
 * (docs/performance.md). The first full run read 1.10 (+0.30 ms); 1.15 leaves room for this machine's
 * noise and still fails on any per-page reading or parsing of the model or the catalogue, which would
 * cost several times a page.
 */
export const RECS_CPU_MAX = 1.15;

/**
 * The targets of "Production scale and speed": what HIO's own logic may cost on top of what any
 * KV-backed streaming personalizer pays, on every page size.
 */
export const TARGETS = [
  { name: 'CPU per page HIO / (floor + state)', field: 'cpuPerPage', max: 1.25 },
  { name: 'p50 latency HIO / (floor + state)', field: 'latencyP50', max: 1.05 },
  { name: 'p50 TTFB HIO / (floor + state)', field: 'ttfbP50', max: 1.05 },
];

function checkTargets(r) {
  return TARGETS.map((t) => {
    const bySize = r.sizes.map((s) => {
      const value = s.ratios[STATE_FLOOR][t.field];
      return { size: s.name, value, pass: value !== null && value <= t.max };
    });
    return {
      target: `${t.name} ≤ ${t.max.toFixed(2)}`,
      ratio: STATE_FLOOR,
      field: t.field,
      max: t.max,
      sizes: bySize,
      pass: bySize.every((x) => x.pass),
    };
  });
}

function checks(r) {
  const by = (name) => r.sizes.find((s) => s.name === name);
  const lat = r.sizes.map((s) => s.ratios['HIO / floor'].latencyP50);
  const ttfb = r.sizes.map((s) => s.ratios['HIO / floor'].ttfbP50);
  const mem = (t) => [by('200k').targets[t].peakRssMb, by('2m').targets[t].peakRssMb];
  const growth = (t) => {
    const [a, b] = mem(t);
    return `${a.toFixed(0)} → ${b.toFixed(0)} MB (${signed(((b - a) / a) * 100)} %)`;
  };
  const perPage = r.state.kvReads / r.state.pages;
  const d1PerPage = r.state.d1Statements / r.state.pages;
  const decision = r.engine['100'].personalize.medianUs;
  const rec = r.recommendations;
  const io = (s) =>
    [s.kvReads, s.kvKeysRead, s.kvWrites, s.kvDeletes, s.d1Statements].map((x) => x / s.pages);
  const sameIo = io(rec.state).every((x, i) => x === io(r.state)[i]);
  const extra = (field) => rec.reloadRecs[field] - rec.reload[field];
  const recCpu = by('20k').ratios[RECS_RATIO].cpuPerPage;
  return [
    ...r.targets.map((t) => ({
      target: `${t.target} on every page size`,
      value: t.sizes.map((x) => `${f2(x.value)} ${x.pass ? 'PASS' : 'MISS'}`).join(' · '),
      ok: t.pass,
    })),
    {
      target: 'p50 latency HIO / floor ≤ 1.10 on every page size',
      value: lat.map((v) => v.toFixed(2)).join(' · '),
      ok: lat.every((v) => v <= 1.1),
    },
    {
      target: 'p50 TTFB HIO / floor ≤ 1.10 on every page size',
      value: ttfb.map((v) => v.toFixed(2)).join(' · '),
      ok: ttfb.every((v) => v <= 1.1),
    },
    {
      target: "HIO's peak memory flat from 200 KB to 2 MB pages (within 10 %)",
      value: `HIO ${growth('HIO')}; floor+state ${growth('floor+state')}; floor ${growth('floor')}`,
      ok: mem('HIO')[1] <= mem('HIO')[0] * 1.1,
    },
    {
      target: 'one state read per page request, config from the isolate cache',
      value: `per page: ${perPage.toFixed(2)} KV reads (${(r.state.kvKeysRead / Math.max(1, r.state.kvReads)).toFixed(0)} keys each), ${d1PerPage.toFixed(2)} D1 queries, ${(r.state.kvWrites / r.state.pages).toFixed(2)} KV writes (after the response)`,
      ok: perPage === 1 && d1PerPage <= 0.05,
    },
    {
      target: 'a recommendation slot adds no I/O per page (catalogue and model from the isolate)',
      value: `per page with the slot: ${(rec.state.kvReads / rec.state.pages).toFixed(2)} KV reads (${(rec.state.kvKeysRead / Math.max(1, rec.state.kvReads)).toFixed(0)} keys each), ${(rec.state.d1Statements / rec.state.pages).toFixed(2)} D1 queries, ${(rec.state.kvWrites / rec.state.pages).toFixed(2)} KV writes (${sameIo ? 'the same as' : 'NOT the same as'} without); per config reload: ${signedInt(extra('d1Statements'))} D1 queries, ${signedInt(extra('kvReads'))} KV reads`,
      ok: sameIo,
    },
    {
      target: `CPU per page HIO+recs / HIO ≤ ${RECS_CPU_MAX.toFixed(2)} (20 KB)`,
      value: `${f2(recCpu)} (${r.sizes.map((s) => f2(s.ratios[RECS_RATIO].cpuPerPage)).join(' · ')})`,
      ok: recCpu !== null && recCpu <= RECS_CPU_MAX,
    },
    {
      target: 'a decision for 100 campaigns under 0.2 ms (median, whole planPage())',
      value: `${(decision / 1000).toFixed(3)} ms`,
      ok: decision < 200,
    },
    {
      target: 'the browser script at most 2 KB gzip',
      value: `${r.clientScript.gzipBytes} B gzip (${r.clientScript.bytes} B)`,
      ok: r.clientScript.gzipBytes <= 2048,
    },
  ];
}

const signed = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
const signedInt = (x) => `${x >= 0 ? '+' : ''}${x}`;

export function summarize(input) {
  const { sizes, targets, idleKb } = input;
  const out = {
    schema: 1,
    date: new Date().toISOString(),
    command: input.command,
    quick: input.quick,
    rounds: input.rounds,
    seconds: round(input.seconds, 1),
    cpuSource: input.cpuSource,
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model ?? 'unknown',
      memoryGb: round(os.totalmem() / 2 ** 30, 1),
      node: process.version,
      platform: `${os.type()} ${os.release()}`,
    },
    sizes: sizes.map(({ size, plan, rec, peakKb, bytes }) => {
      const path = `/p/${size.name}`;
      const byTarget = {};
      for (const t of targets) {
        const m = rec.get(t.name);
        byTarget[t.name] = {
          latencyMs: { p50: round(median(m.lat)), p99: round(quantile(m.lat, 0.99)) },
          ttfbMs: { p50: round(median(m.ttfb)), p99: round(quantile(m.ttfb, 0.99)) },
          throughputRps: round(median(m.rps), 1),
          cpuMsPerPage: round(cpuMsPerPage(m), 4),
          cpuStatMsPerPage: round(cpuMsPerPage(m, 'cpuStatNs'), 4),
          cpuPages: sum(m.pages),
          peakRssMb: round(peakKb[t.name] / MB, 1),
          idleRssMb: round(idleKb[t.name] / MB, 1),
          responseBytes: t.expectedBytes[path],
          samples: m.lat.length,
          ...(m.server.length ? { serverTimingMsP50: round(median(m.server)) } : {}),
          deviations: t.deviations[path] ?? 0,
          retries: t.retries[path] ?? 0,
        };
      }
      return {
        name: size.name,
        label: size.label,
        pageBytes: bytes,
        plan,
        targets: byTarget,
        ratios: Object.fromEntries(RATIOS.map(([label, a, b]) => [label, ratio(rec, a, b)])),
      };
    }),
    engine: input.engine,
    state: input.state,
    recommendations: input.recommendations,
    clientScript: input.clientScript,
    warnings: input.warnings.slice(0, 50),
  };
  out.targets = checkTargets(out);
  out.checks = checks(out);
  return out;
}

const f2 = (x) => (x === null ? '–' : x.toFixed(2));
const f3 = (x) => (x === null || x === undefined ? '–' : x.toFixed(3));
const f1 = (x) => (x === null ? '–' : x.toFixed(1));
const spread = ([lo, hi]) => `[${f2(lo)}–${f2(hi)}]`;

function table(head, rows) {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

export function renderReport(r) {
  const lines = [];
  const m = r.machine;
  lines.push(
    `## HIO benchmark: ${r.rounds} interleaved rounds${r.quick ? ' (QUICK SMOKE RUN: figures not meaningful)' : ''}`,
    '',
    `\`${r.command}\` · ${r.date.slice(0, 10)} · ${m.cpus}× ${m.model} · Node ${m.node} · workerd via Miniflare · ${r.seconds} s`,
    '',
  );
  const rows = [];
  for (const s of r.sizes) {
    for (const [name, t] of Object.entries(s.targets)) {
      rows.push([
        name === 'origin' ? `${s.label}` : '',
        name,
        f2(t.latencyMs.p50),
        f2(t.latencyMs.p99),
        f2(t.ttfbMs.p50),
        f3(t.cpuMsPerPage),
        `${f1(t.throughputRps)} (c=${s.plan.concurrency})`,
        f1(t.peakRssMb),
      ]);
    }
  }
  lines.push(
    table(['page', 'target', 'p50 ms', 'p99 ms', 'TTFB p50 ms', 'CPU ms/page', 'req/s', 'peak RSS MB'], rows),
    '',
  );
  const names = Object.keys(r.sizes[0]?.targets ?? {});
  lines.push(
    `CPU time per page, ms: each target's own process (its workerd; the origin's Node process), read before and after each of its bursts (${r.cpuSource === 'schedstat' ? 'scheduler run time of every thread, ns' : 'utime + stime, 10 ms ticks'}), over all the pages of those bursts.`,
    '',
    table(
      ['target', ...r.sizes.map((s) => s.label)],
      [
        ...names.map((n) => [n, ...r.sizes.map((s) => f3(s.targets[n].cpuMsPerPage))]),
        ...RATIOS.map(([label]) => [
          label,
          ...r.sizes.map((s) => `${f2(s.ratios[label].cpuPerPage)} ${spread(s.ratios[label].cpuIqr)}`),
        ]),
      ],
    ),
    '',
    'Ratios: p50 over all samples (CPU: total over total), [interquartile range of the per-round ratios]. floor′ / floor is an A/A pair: the noise of this run.',
    '',
  );
  const ratioRows = [];
  for (const s of r.sizes) {
    for (const [label] of RATIOS) {
      const x = s.ratios[label];
      ratioRows.push([
        label === RATIOS[0][0] ? s.label : '',
        label,
        `${f2(x.latencyP50)} ${spread(x.latencyIqr)}`,
        `${f2(x.ttfbP50)} ${spread(x.ttfbIqr)}`,
        `${f2(x.cpuPerPage)} ${spread(x.cpuIqr)}`,
        `${f2(x.throughput)} ${spread(x.throughputIqr)}`,
      ]);
    }
  }
  lines.push(table(['page', 'ratio', 'p50 latency', 'p50 TTFB', 'CPU/page', 'throughput'], ratioRows), '');
  lines.push(
    'Targets: what HIO adds to what any KV-backed streaming personalizer pays (floor + state), on every page size.',
    '',
    table(
      ['target', ...r.sizes.map((s) => s.label), ''],
      r.targets.map((t) => [
        t.target,
        ...t.sizes.map((x) => `${f2(x.value)} ${x.pass ? 'PASS' : 'MISS'}`),
        t.pass ? 'PASS' : 'MISS',
      ]),
    ),
    '',
  );
  const rec = r.recommendations;
  lines.push(
    `Recommendation slot: HIO+recs is HIO with one more campaign, \`${rec.strategy}\` (${rec.count} items) in its own slot, a catalogue of ${rec.catalogueItems} items and a model learned from ${rec.sessions} sessions (${(rec.modelBytes / 1e6).toFixed(2)} MB, ${rec.neighbourLists} co-view lists); the visitor viewed ${rec.visitorViews} of the items before.`,
    '',
    table(
      [
        'page',
        'CPU ms/page HIO · HIO+recs',
        'slot: + ms/page',
        'CPU HIO+recs / HIO',
        'p50 latency',
        'p50 TTFB',
      ],
      r.sizes.map((s) => {
        const [a, b] = [s.targets.HIO.cpuMsPerPage, s.targets['HIO+recs'].cpuMsPerPage];
        const x = s.ratios[RECS_RATIO];
        return [
          s.label,
          `${f3(a)} · ${f3(b)}`,
          `${b - a >= 0 ? '+' : ''}${f3(b - a)}`,
          `${f2(x.cpuPerPage)} ${spread(x.cpuIqr)}`,
          `${f2(x.latencyP50)} ${spread(x.latencyIqr)}`,
          `${f2(x.ttfbP50)} ${spread(x.ttfbIqr)}`,
        ];
      }),
    ),
    '',
  );
  const engineRows = Object.values(r.engine).map((e) => [
    String(e.campaigns),
    `${e.targeted} / ${e.shown}`,
    f1(e.decide.medianUs),
    f1(e.decide.p99Us),
    f1(e.personalize.medianUs),
    f1(e.personalize.p99Us),
  ]);
  lines.push(
    'Engine alone, one returning visitor (µs per decision; planPage() = request facts + profile view + attributes + segments + decide + templates):',
    '',
    table(
      ['campaigns', 'targeted / shown', 'decide() p50', 'decide() p99', 'planPage() p50', 'planPage() p99'],
      engineRows,
    ),
    '',
  );
  lines.push(
    table(
      ['target', 'where we stand', ''],
      r.checks.map((c) => [c.target, c.value, c.ok ? '✓' : '✗']),
    ),
    '',
  );
  const dev = r.sizes.flatMap((s) =>
    Object.entries(s.targets)
      .filter(([, t]) => t.deviations)
      .map(([n, t]) => `${n} ${s.label}: ${t.deviations}`),
  );
  if (dev.length) lines.push(`Responses whose length differed from the verified one: ${dev.join(', ')}`, '');
  const retries = r.sizes.flatMap((s) =>
    Object.entries(s.targets)
      .filter(([, t]) => t.retries)
      .map(([n, t]) => `${n} ${s.label}: ${t.retries}`),
  );
  if (retries.length)
    lines.push(
      `Requests sent again after the server closed their keep-alive socket (timed from the new start): ${retries.join(', ')}`,
      '',
    );
  const [mid, big] = ['200k', '2m'].map((n) => r.sizes.find((s) => s.name === n)?.targets.HIO);
  if (mid && big)
    lines.push(
      `Streaming: from 200 KB to 2 MB pages HIO's p50 TTFB goes ${f2(mid.ttfbMs.p50)} → ${f2(big.ttfbMs.p50)} ms while its p50 latency goes ${f2(mid.latencyMs.p50)} → ${f2(big.latencyMs.p50)} ms.`,
      '',
    );
  const st = r.sizes.map((s) => s.targets.HIO.serverTimingMsP50).filter((x) => x !== undefined);
  if (st.length)
    lines.push(
      `HIO's own server-timing before the response starts (cookie, config, state read, decision), p50: ${st.map(f2).join(' · ')} ms (workerd's clock advances only on I/O: coarse).`,
      '',
    );
  if (r.warnings.length)
    lines.push(`Worker log lines during the run: ${r.warnings.length} (see results JSON)`, '');
  return `${lines.join('\n')}\n`;
}
