/**
 * `npm run load` itself, briefly: the full run (60 s, 300 visitors) is not part of `npm test`, but the
 * harness must keep working. A short run through the production bundle must end with zero errors and
 * every page personalized, and report what the README quotes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

describe('npm run load', () => {
  it('runs returning visitors through the worker with zero errors and every page personalized', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hio-load-test-'));
    const out = path.join(dir, 'load.json');
    try {
      const run = spawnSync(
        process.execPath,
        ['scripts/load.mjs', '--seconds', '4', '--visitors', '20', '--think-ms', '400', '--out', out],
        { encoding: 'utf8', timeout: 150_000 },
      );
      expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout).toContain('load: PASS');
      const report = JSON.parse(readFileSync(out, 'utf8'));
      expect(report.errors).toBe(0);
      expect(report.unpersonalized).toBe(0);
      expect(report.pages).toBeGreaterThan(20);
      expect(report.beacons).toBeGreaterThan(20);
      expect(report.latencyMs.page.p99).toBeGreaterThanOrEqual(report.latencyMs.page.p50);
      expect(report.memory.workerdRssPeakMb).toBeGreaterThan(0);
      expect(report.memory.kvEmulatorKeys).toBeGreaterThanOrEqual(20);
      // the beacons' rows reached D1: every visitor saw at least the footer campaign
      expect(report.stored.exposures).toBeGreaterThanOrEqual(20);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
