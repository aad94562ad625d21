/**
 * @module bench/lib/measure
 * The interleaved measurement of one page size. Each round visits every target in a rotated order,
 * twice: first a burst of sequential requests (latency and TTFB, nothing else in flight), then a
 * concurrent burst (throughput). Rotating the order spreads the machine's drifts (CPU frequency,
 * other tenants, GC, the origin's own state) evenly over the targets; per-round medians give the
 * spread of each ratio.
 *
 * CPU time is read phase by phase: each target's processes (its own workerd, or the origin's Node
 * process) before and after each of its bursts, so that only the time spent serving that target's
 * requests counts, whatever the other targets and the load generator did in between.
 */
import { performance } from 'node:perf_hooks';
import { cpuNs, cpuSource } from './processes.mjs';
import { median } from './stats.mjs';

const rotate = (list, by) => list.map((_, i) => list[(i + by) % list.length]);

/**
 * Fails on a non-200 answer; counts answers whose length differs from the one verified before timing
 * (for HIO: a page served unpersonalized, e.g. when the state read exceeded its budget).
 */
function expectSame(target, res, path) {
  if (res.status !== 200) throw new Error(`${target.name} ${path}: status ${res.status} during the run`);
  if (res.retried) target.retries[path] = (target.retries[path] ?? 0) + 1;
  if (res.bytes !== target.expectedBytes[path]) target.deviations[path] = (target.deviations[path] ?? 0) + 1;
}

/** HIO's own `server-timing: hio;desc="decide";dur=<ms>` (cookie, config, state read, decision). */
function serverTiming(res) {
  const m = /dur=([\d.]+)/.exec(String(res.headers['server-timing'] ?? ''));
  return m ? Number(m[1]) : undefined;
}

async function sequential(target, path, n) {
  const lat = [];
  const ttfb = [];
  const server = [];
  for (let i = 0; i < n; i++) {
    const res = await target.client.get(path, { headers: target.headers });
    expectSame(target, res, path);
    lat.push(res.totalMs);
    ttfb.push(res.ttfbMs);
    const st = serverTiming(res);
    if (st !== undefined) server.push(st);
  }
  return { lat, ttfb, server };
}

/** `concurrency` request loops of `perLoop` requests each; resolves to requests per second. */
async function concurrent(target, path, concurrency, perLoop) {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = 0; i < perLoop; i++) {
        expectSame(target, await target.client.get(path, { headers: target.headers }), path);
      }
    }),
  );
  return (concurrency * perLoop * 1000) / (performance.now() - started);
}

/**
 * Measures one page path on every target. `plan`: `{ warmup, seq, concurrency, perLoop }`.
 * Returns per target: all latency and TTFB samples, per-round medians, per-round throughput.
 */
/**
 * Runs one phase (a burst of requests to one target) between two readings of the target's CPU time.
 * Resolves to the phase's result and the CPU nanoseconds it cost, by the precise clock (`ns`) and by
 * utime + stime (`statNs`, the cross-check that also keeps the time of threads that ended).
 */
async function timed(target, source, phase) {
  const before = cpuNs(target.pids, source);
  const statBefore = cpuNs(target.pids, 'stat');
  const result = await phase();
  const ns = cpuNs(target.pids, source) - before;
  return { result, ns, statNs: cpuNs(target.pids, 'stat') - statBefore };
}

/**
 * Measures one page path on every target. `plan`: `{ warmup, seq, concurrency, perLoop }`.
 * Returns per target: all latency and TTFB samples, per-round medians, per-round throughput, and
 * per round the CPU nanoseconds both bursts cost (`cpuNs`, `cpuStatNs`) and the pages they served.
 */
export async function measurePath(targets, path, plan, rounds, onRound = () => {}) {
  const source = cpuSource();
  const rec = new Map(
    targets.map((t) => [
      t.name,
      {
        lat: [],
        ttfb: [],
        server: [],
        roundLat: [],
        roundTtfb: [],
        rps: [],
        cpuNs: [],
        cpuStatNs: [],
        pages: [],
      },
    ]),
  );
  for (const t of targets) {
    await sequential(t, path, plan.warmup);
    await concurrent(t, path, plan.concurrency, 1);
  }
  const pagesPerRound = plan.seq + plan.concurrency * plan.perLoop;
  for (let r = 0; r < rounds; r++) {
    const order = rotate(targets, r);
    const cpu = new Map();
    for (const t of order) {
      const seq = await timed(t, source, () => sequential(t, path, plan.seq));
      const { lat, ttfb, server } = seq.result;
      const m = rec.get(t.name);
      m.lat.push(...lat);
      m.ttfb.push(...ttfb);
      m.server.push(...server);
      m.roundLat.push(median(lat));
      m.roundTtfb.push(median(ttfb));
      cpu.set(t.name, seq);
    }
    for (const t of order) {
      const conc = await timed(t, source, () => concurrent(t, path, plan.concurrency, plan.perLoop));
      const m = rec.get(t.name);
      const seq = cpu.get(t.name);
      m.rps.push(conc.result);
      m.cpuNs.push(seq.ns + conc.ns);
      m.cpuStatNs.push(seq.statNs + conc.statNs);
      m.pages.push(pagesPerRound);
    }
    onRound(r);
  }
  return rec;
}
