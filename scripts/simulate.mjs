#!/usr/bin/env node
/**
 * @module scripts/simulate
 * `npm run simulate`: how much of the possible gain each allocation policy captures on simulated
 * populations whose best variant differs by context (see scripts/lib/simulator.ts and docs/learning.md).
 * Node cannot import the engine's TypeScript, so this bundles the simulator with esbuild into a temporary
 * directory and runs it.
 *
 *   node scripts/simulate.mjs [--seeds N] [--draws N] [--min-share X] [--discount X] [--exploration X]
 *                             [--max-prior-strength X] [--shorten K] [--scenario NAME]... [--json]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const { values: opts } = parseArgs({
  options: {
    seeds: { type: 'string' },
    draws: { type: 'string' },
    'min-share': { type: 'string' },
    discount: { type: 'string' },
    exploration: { type: 'string' },
    'max-prior-strength': { type: 'string' },
    shorten: { type: 'string' },
    scenario: { type: 'string', multiple: true },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log(
    'usage: node scripts/simulate.mjs [--seeds N] [--draws N] [--min-share X] [--discount X] [--exploration X]\n' +
      '                                 [--max-prior-strength X] [--shorten K] [--scenario NAME]... [--json]',
  );
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

const dir = await mkdtemp(path.join(os.tmpdir(), 'hio-simulate-'));
try {
  const outfile = path.join(dir, 'simulator.mjs');
  await esbuild.build({
    entryPoints: [path.join(root, 'scripts', 'lib', 'simulator.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
  const { DEFAULT_OPTIONS, SCENARIOS, renderTable, simulate } = await import(pathToFileURL(outfile).href);
  let scenarios = SCENARIOS;
  if (opts.scenario) {
    const unknown = opts.scenario.filter((n) => !SCENARIOS.some((s) => s.name === n));
    if (unknown.length > 0) {
      console.error(
        `unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`,
      );
      process.exit(2);
    }
    scenarios = SCENARIOS.filter((s) => opts.scenario.includes(s.name));
  }
  const options = {
    scenarios,
    seeds: num('seeds'),
    draws: num('draws'),
    minShare: num('min-share'),
    discount: num('discount'),
    exploration: num('exploration'),
    maxPriorStrength: num('max-prior-strength'),
    shorten: num('shorten'),
  };
  const started = process.hrtime.bigint();
  const results = simulate(options);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (opts.json) {
    console.log(
      JSON.stringify(
        {
          options: {
            ...DEFAULT_OPTIONS,
            ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
            scenarios: scenarios.map((s) => s.name),
          },
          results,
        },
        null,
        2,
      ),
    );
  } else {
    console.log("share of the oracle's lift over uniform captured (mean ± standard error over seeds)\n");
    console.log(renderTable(results));
    console.log(
      `\nceiling: what an oracle held to the minimum share per arm captures. ${seconds.toFixed(1)} s`,
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
