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

const root = path.resolve(import.meta.dirname, '..');
const committed = path.join(root, 'bench', 'results.json');

interface TargetFigures {
  latencyMs: { p50: number; p99: number };
  ttfbMs: { p50: number; p99: number };
  throughputRps: number;
  peakRssMb: number;
  samples: number;
}
interface Results {
  quick: boolean;
  rounds: number;
  sizes: {
    name: string;
    pageBytes: number;
    targets: Record<string, TargetFigures>;
    ratios: Record<string, { latencyP50: number; latencyIqr: number[]; ttfbP50: number }>;
  }[];
  engine: Record<
    string,
    { campaigns: number; decide: { medianUs: number }; personalize: { medianUs: number } }
  >;
  state: {
    pages: number;
    kvReads: number;
    kvKeysRead: number;
    kvWrites: number;
    kvDeletes: number;
    d1Statements: number;
  };
  clientScript: { bytes: number; gzipBytes: number };
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
    expect(stdout).toContain('| page | target | p50 ms | p99 ms | TTFB p50 ms | req/s | peak RSS MB |');
    for (const label of ['20 KB', '200 KB', '2 MB']) expect(stdout).toContain(`| ${label} | origin |`);
    expect(stdout).toContain('| HIO / floor |');
    expect(stdout).toContain('| HIO / pass-through |');
    expect(stdout).toContain('| campaigns | targeted / shown |');
    expect(stdout).toMatch(/\| p50 latency HIO \/ floor ≤ 1\.10 on every page size \| .* \| [✓✗] \|/);
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
        'floor+KV',
        'HIO',
      ]);
      for (const t of Object.values(size.targets)) {
        expect(t.samples).toBeGreaterThan(0);
        for (const x of [t.latencyMs.p50, t.latencyMs.p99, t.ttfbMs.p50, t.throughputRps, t.peakRssMb])
          expect(Number.isFinite(x) && x > 0).toBe(true);
      }
      for (const label of ['HIO / floor', 'HIO / pass-through']) {
        const r = size.ratios[label];
        expect(Number.isFinite(r?.latencyP50)).toBe(true);
        expect(r?.latencyIqr).toHaveLength(2);
      }
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
    expect(results.checks).toHaveLength(6);
    for (const c of results.checks) expect(typeof c.ok).toBe('boolean');
  });

  it('leaves the committed bench/results.json alone', async () => {
    expect(await mtime(committed)).toBe(committedBefore);
  });
});
