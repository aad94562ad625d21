#!/usr/bin/env node
/**
 * @module scripts/simulate-recs
 * `npm run simulate:recs`: the offline evaluation of the recommendation strategies on simulated sessions
 * whose item affinities are known (see scripts/lib/recommend-sim.ts and docs/recommendations.md).
 * Node cannot import the engine's TypeScript, so this bundles the simulation with esbuild into a temporary
 * directory and runs it.
 *
 *   node scripts/simulate-recs.mjs [--seed N] [--sessions N] [--items N] [--min-support N] [--shrinkage X]
 *                                  [--scenario NAME]... [--json]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const usage =
  'usage: node scripts/simulate-recs.mjs [--seed N] [--sessions N] [--items N] [--min-support N]\n' +
  '                                      [--shrinkage X] [--interest-share X] [--scenario NAME]... [--json]';

const { values: opts } = parseArgs({
  options: {
    seed: { type: 'string' },
    sessions: { type: 'string' },
    items: { type: 'string' },
    'min-support': { type: 'string' },
    shrinkage: { type: 'string' },
    'interest-share': { type: 'string' },
    scenario: { type: 'string', multiple: true },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log(usage);
  process.exit(0);
}

/** A numeric option, or undefined when absent; exits with a message when it is not a number. */
function num(name) {
  const raw = opts[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) {
    console.error(`--${name} must be a number, got "${raw}"`);
    process.exit(2);
  }
  return value;
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'hio-simulate-recs-'));
try {
  const outfile = path.join(dir, 'recommend-sim.mjs');
  await esbuild.build({
    entryPoints: [path.join(root, 'scripts', 'lib', 'recommend-sim.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
  const {
    DEFAULT_REC_SIM,
    REC_SCENARIOS,
    renderRecTable,
    simulateRecommendations,
    worstCaseCompactBytes,
    worstCaseModelBytes,
  } = await import(pathToFileURL(outfile).href);
  let scenarios = REC_SCENARIOS;
  if (opts.scenario) {
    const unknown = opts.scenario.filter((n) => !REC_SCENARIOS.some((s) => s.name === n));
    if (unknown.length > 0) {
      console.error(
        `unknown scenario ${unknown.join(', ')}; known: ${REC_SCENARIOS.map((s) => s.name).join(', ')}`,
      );
      process.exit(2);
    }
    scenarios = REC_SCENARIOS.filter((s) => opts.scenario.includes(s.name));
  }
  const options = {
    scenarios,
    seed: num('seed'),
    sessions: num('sessions'),
    items: num('items'),
    minSupport: num('min-support'),
    shrinkage: num('shrinkage'),
    interestShare: num('interest-share'),
  };
  const started = process.hrtime.bigint();
  const results = simulateRecommendations(options);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const worst = worstCaseModelBytes();
  const worstCompact = worstCaseCompactBytes();
  if (opts.json) {
    console.log(
      JSON.stringify(
        {
          options: {
            ...DEFAULT_REC_SIM,
            ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
            scenarios: scenarios.map((s) => s.name),
          },
          results,
          worstCaseModelBytes: { items: 5000, k: 20, bytes: worst, compactBytes: worstCompact },
        },
        null,
        2,
      ),
    );
  } else {
    console.log('next-item prediction on held-out sessions (percent, 95 % intervals over sessions)\n');
    console.log(renderRecTable(results));
    console.log(
      `oracle: ranks by the true next-item probabilities (the achievable). Largest model for 5,000 items ` +
        `× 20 neighbours: ${(worst / 1e6).toFixed(2)} MB as JSON, ${(worstCompact / 1e6).toFixed(2)} MB compact ` +
        `(as KV stores it). ${seconds.toFixed(1)} s`,
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
