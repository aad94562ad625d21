/**
 * The benchmark harness (`npm run bench`), run as a short smoke run.
 *
 * Why: the benchmark is how the project guards speed, and it only runs on demand; if it silently broke
 * (a worker that no longer builds, a target whose bytes stopped matching, a malformed results file),
 * nobody would notice until the figures were needed. This checks that it runs end to end, verifies
 * its targets, prints its table and writes well-formed results. It never asserts a timing: this
 * machine is far too noisy for that, and a quick run's figures mean nothing.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleModules, selfTimes } from '../bench/lib/profile.mjs';

const root = path.resolve(import.meta.dirname, '..');
const committed = path.join(root, 'bench', 'results.json');

interface TargetFigures {
  latencyMs: { p50: number; p99: number };
  ttfbMs: { p50: number; p99: number };
  throughputRps: number;
  cpuMsPerPage: number;
  cpuStatMsPerPage: number;
  cpuPages: number;
  peakRssMb: number;
  samples: number;
}
interface Counts {
  pages: number;
  kvReads: number;
  kvKeysRead: number;
  kvWrites: number;
  kvDeletes: number;
  d1Statements: number;
}
interface Target {
  target: string;
  ratio: string;
  field: string;
  max: number;
  sizes: { size: string; value: number; pass: boolean }[];
  pass: boolean;
}
interface Results {
  quick: boolean;
  rounds: number;
  cpuSource: string;
  sizes: {
    name: string;
    pageBytes: number;
    plan: { seq: number; concurrency: number; perLoop: number };
    targets: Record<string, TargetFigures>;
    ratios: Record<
      string,
      { latencyP50: number; latencyIqr: number[]; ttfbP50: number; cpuPerPage: number; cpuIqr: number[] }
    >;
  }[];
  engine: Record<
    string,
    { campaigns: number; decide: { medianUs: number }; personalize: { medianUs: number } }
  >;
  state: Counts;
  recommendations: {
    catalogueItems: number;
    sessions: number;
    modelBytes: number;
    visitorViews: number;
    count: number;
    slot: string;
    state: Counts;
    reload: Counts;
    reloadRecs: Counts;
  };
  clientScript: { bytes: number; gzipBytes: number };
  targets: Target[];
  checks: { target: string; value: string; ok: boolean }[];
}

let dir: string;
let stdout: string;
let results: Results;
let committedBefore: number | null;

async function mtime(file: string): Promise<number | null> {
  return stat(file).then(
    (s) => s.mtimeMs,
    () => null,
  );
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'hio-bench-'));
  committedBefore = await mtime(committed);
  const out = path.join(dir, 'results.json');
  const run = await promisify(execFile)(process.execPath, ['bench/run.mjs', '--quick', '--out', out], {
    cwd: root,
    timeout: 150_000,
    maxBuffer: 1 << 24,
  });
  stdout = run.stdout;
  results = JSON.parse(await readFile(out, 'utf8')) as Results;
}, 180_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('npm run bench --quick', () => {
  it('prints the results table, the ratios, the engine figures and the target checks', () => {
    expect(stdout).toContain(
      '| page | target | p50 ms | p99 ms | TTFB p50 ms | CPU ms/page | req/s | peak RSS MB |',
    );
    for (const label of ['20 KB', '200 KB', '2 MB']) expect(stdout).toContain(`| ${label} | origin |`);
    expect(stdout).toContain('| page | ratio | p50 latency | p50 TTFB | CPU/page | throughput |');
    expect(stdout).toContain('| 20 KB | HIO / floor+state |');
    expect(stdout).toContain('| HIO / floor |');
    expect(stdout).toContain('| HIO / pass-through |');
    expect(stdout).toContain('| HIO+recs / HIO |');
    expect(stdout).toContain(
      '| page | CPU ms/page HIO · HIO+recs | slot: + ms/page | CPU HIO+recs / HIO | p50 latency | p50 TTFB |',
    );
    expect(stdout).toContain('| campaigns | targeted / shown |');
    expect(stdout).toMatch(/\| p50 latency HIO \/ floor ≤ 1\.10 on every page size \| .* \| [✓✗] \|/);
  });

  it('prints CPU per page of every worker and the floor + state targets, each ratio with PASS or MISS', () => {
    expect(stdout).toContain('| target | 20 KB | 200 KB | 2 MB |\n');
    for (const name of ['pass-through', 'floor', 'floor+state', 'HIO', 'HIO / floor+state'])
      expect(stdout).toMatch(new RegExp(`\\| ${name.replace(/[+/]/g, '\\$&')} \\| [\\d.]+ .*\\|\\n`));
    const cell = '[\\d.]+ (?:PASS|MISS)';
    for (const t of [
      'CPU per page HIO / \\(floor \\+ state\\) ≤ 1\\.25',
      'p50 latency HIO / \\(floor \\+ state\\) ≤ 1\\.05',
      'p50 TTFB HIO / \\(floor \\+ state\\) ≤ 1\\.05',
    ])
      expect(stdout).toMatch(
        new RegExp(`\\| ${t} \\| ${cell} \\| ${cell} \\| ${cell} \\| (?:PASS|MISS) \\|`),
      );
  });

  it('writes well-formed results for every page size and target', () => {
    expect(results.quick).toBe(true);
    expect(results.sizes.map((s) => s.name)).toEqual(['20k', '200k', '2m']);
    for (const size of results.sizes) {
      expect(Object.keys(size.targets)).toEqual([
        'origin',
        'pass-through',
        'floor',
        'floor′',
        'floor+state',
        'HIO',
        'HIO+recs',
      ]);
      for (const t of Object.values(size.targets)) {
        expect(t.samples).toBeGreaterThan(0);
        // every timed request is in one burst whose CPU was read
        expect(t.cpuPages).toBe(t.samples + size.plan.concurrency * size.plan.perLoop * results.rounds);
        for (const x of [
          t.latencyMs.p50,
          t.latencyMs.p99,
          t.ttfbMs.p50,
          t.throughputRps,
          t.cpuMsPerPage,
          t.peakRssMb,
        ])
          expect(Number.isFinite(x) && x > 0).toBe(true);
        expect(Number.isFinite(t.cpuStatMsPerPage)).toBe(true);
      }
      for (const label of [
        'HIO / floor+state',
        'HIO / floor',
        'HIO / pass-through',
        'HIO+recs / HIO',
        'floor′ / floor (A/A)',
      ]) {
        const r = size.ratios[label];
        expect(Number.isFinite(r?.latencyP50)).toBe(true);
        expect(r?.latencyIqr).toHaveLength(2);
        expect(Number.isFinite(r?.cpuPerPage) && (r?.cpuPerPage ?? 0) > 0).toBe(true);
        expect(r?.cpuIqr).toHaveLength(2);
      }
    }
    expect(['schedstat', 'stat']).toContain(results.cpuSource);
  });

  it('checks the floor + state targets on every page size, each verdict consistent with its ratio', () => {
    expect(results.targets.map((t) => [t.field, t.max])).toEqual([
      ['cpuPerPage', 1.25],
      ['latencyP50', 1.05],
      ['ttfbP50', 1.05],
    ]);
    for (const t of results.targets) {
      expect(t.ratio).toBe('HIO / floor+state');
      expect(t.sizes.map((x) => x.size)).toEqual(['20k', '200k', '2m']);
      for (const x of t.sizes) {
        const size = results.sizes.find((s) => s.name === x.size);
        const ratios: Record<string, unknown> = size?.ratios['HIO / floor+state'] ?? {};
        expect(x.value).toBe(ratios[t.field]);
        expect(x.pass).toBe(x.value <= t.max);
      }
      expect(t.pass).toBe(t.sizes.every((x) => x.pass));
      expect(results.checks.find((c) => c.target === `${t.target} on every page size`)?.ok).toBe(t.pass);
    }
  });

  it('reports the engine, the state reads, the script size and every target check', () => {
    expect(Object.keys(results.engine)).toEqual(['10', '100']);
    expect(results.engine['100']?.personalize.medianUs).toBeGreaterThan(0);
    // counted, not timed: exact whatever the machine's load. A returning visitor's page view reads
    // state once (one bulk KV get of both keys), writes nothing (its assignments are already stored,
    // so its plan has nothing to persist), and takes the campaign document from the isolate's cache
    // (no D1 query)
    const { pages, kvReads, kvKeysRead, kvWrites, kvDeletes, d1Statements } = results.state;
    expect(pages).toBe(5);
    expect({ kvReads, kvKeysRead, kvWrites, kvDeletes, d1Statements }).toEqual({
      kvReads: pages,
      kvKeysRead: 2 * pages,
      kvWrites: 0,
      kvDeletes: 0,
      d1Statements: 0,
    });
    expect(results.checks.find((c) => c.target.startsWith('one state read per page'))?.ok).toBe(true);
    expect(results.clientScript.gzipBytes).toBeGreaterThan(0);
    expect(results.clientScript.gzipBytes).toBeLessThan(results.clientScript.bytes);
    expect(results.checks).toHaveLength(11);
    for (const c of results.checks) expect(typeof c.ok).toBe('boolean');
  });

  it('measures the recommendation slot on a trained model, and counts that it adds no I/O per page', () => {
    const rec = results.recommendations;
    expect([rec.catalogueItems, rec.visitorViews, rec.count]).toEqual([5000, 8, 4]);
    expect(rec.modelBytes).toBeGreaterThan(100_000);
    // the run verified it, on every page size: the slot holds `count` items of the catalogue
    expect(rec.slot.match(/data-hio-item="sku-\d{5}"/g)).toHaveLength(rec.count);
    expect(rec.slot).toContain('data-hio-campaign="picked-for-you"');
    // counted, not timed: the same reads per page as without the slot, none for the slot itself
    const perPage = ({ pages, ...c }: Counts) => c;
    expect(perPage(rec.state)).toEqual(perPage(results.state));
    expect(rec.state.pages).toBe(results.state.pages);
    // a reload of the live config (once per isolate per TTL) reads the catalogue's fingerprint (one
    // D1 query) and the model's stamp (one KV read) besides what it reads without recommendations
    expect(rec.reloadRecs.d1Statements - rec.reload.d1Statements).toBe(1);
    expect(rec.reloadRecs.kvReads - rec.reload.kvReads).toBe(1);
    expect(rec.reload.d1Statements).toBeGreaterThan(0);
    expect(results.checks.find((c) => c.target.startsWith('a recommendation slot adds no I/O'))?.ok).toBe(
      true,
    );
    const guard = results.checks.find((c) => c.target.startsWith('CPU per page HIO+recs / HIO'));
    expect(guard?.value).toMatch(/^[\d.]+ \([\d.]+ · [\d.]+ · [\d.]+\)$/);
  });

  it('leaves the committed bench/results.json alone', async () => {
    expect(await mtime(committed)).toBe(committedBefore);
  });
});

describe('the profile summary (bench/lib/profile.mjs)', () => {
  const bundle = [
    'var helper = 1;',
    '// ../../main/node_modules/hono/dist/hono.js',
    'function route() {}',
    '// worker/edge/page.ts',
    'function handlePage() {}',
    '// worker/engine/plan.ts',
    'function planPage() {}',
  ].join('\n');

  it('names the module of a bundle line from the comments esbuild leaves', () => {
    const moduleOf = bundleModules(bundle);
    expect([0, 2, 4, 6].map(moduleOf)).toEqual([
      '(bundle)',
      'hono',
      'worker/edge/page.ts',
      'worker/engine/plan.ts',
    ]);
  });

  it('counts self samples per function and per module, idle left out of the shares', () => {
    const frame = (id: number, functionName: string, lineNumber = -1, url = 'index.js') => ({
      id,
      callFrame: { functionName, url: lineNumber < 0 ? '' : url, lineNumber, columnNumber: 0, scriptId: '1' },
    });
    const profile = {
      nodes: [
        frame(1, '(root)'),
        frame(2, '(idle)'),
        frame(3, 'handlePage', 4),
        frame(4, 'planPage', 6),
        frame(5, 'get'),
      ],
      // counted, not weighted by the deltas (wall time, which spans the time the isolate was not running)
      samples: [3, 4, 5, 2, 3],
      timeDeltas: [0, 5000, 100, 100, 100, 100],
    };
    const t = selfTimes(profile, (_url: string, line: number) => bundleModules(bundle)(line));
    expect([t.busySamples, t.idleSamples]).toEqual([4, 1]);
    type Fn = { name: string; module: string; share: number };
    expect(t.functions.map((f: Fn) => [f.name, f.module, f.share])).toEqual([
      ['handlePage', 'worker/edge/page.ts', 0.5],
      ['planPage', 'worker/engine/plan.ts', 0.25],
      ['get', '(native)', 0.25],
    ]);
    expect(t.modules[0]).toEqual({ module: 'worker/edge/page.ts', samples: 2, share: 0.5 });
  });
});
