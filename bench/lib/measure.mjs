/**
 * @module bench/lib/measure
 * The interleaved measurement of one page size. Each round visits every target in a rotated order,
 * twice: first a burst of sequential requests (latency and TTFB, nothing else in flight), then a
 * concurrent burst (throughput). Rotating the order spreads the machine's drifts (CPU frequency,
 * other tenants, GC, the origin's own state) evenly over the targets; per-round medians give the
 * spread of each ratio.
 */
import { performance } from 'node:perf_hooks';
import { median } from './stats.mjs';

const rotate = (list, by) => list.map((_, i) => list[(i + by) % list.length]);

/**
 * Fails on a non-200 answer; counts answers whose length differs from the one verified before timing
 * (for HIO: a page served unpersonalized, e.g. when the state read exceeded its budget).
 */
function expectSame(target, res, path) {
  if (res.status !== 200) throw new Error(`${target.name} ${path}: status ${res.status} during the run`);
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
export async function measurePath(targets, path, plan, rounds, onRound = () => {}) {
  const rec = new Map(
    targets.map((t) => [t.name, { lat: [], ttfb: [], server: [], roundLat: [], roundTtfb: [], rps: [] }]),
  );
  for (const t of targets) {
    await sequential(t, path, plan.warmup);
    await concurrent(t, path, plan.concurrency, 1);
  }
  for (let r = 0; r < rounds; r++) {
    const order = rotate(targets, r);
    for (const t of order) {
      const { lat, ttfb, server } = await sequential(t, path, plan.seq);
      const m = rec.get(t.name);
      m.lat.push(...lat);
      m.ttfb.push(...ttfb);
      m.server.push(...server);
      m.roundLat.push(median(lat));
      m.roundTtfb.push(median(ttfb));
    }
    for (const t of order) {
      rec.get(t.name).rps.push(await concurrent(t, path, plan.concurrency, plan.perLoop));
    }
    onRound(r);
  }
  return rec;
}
