#!/usr/bin/env node
/**
 * @module scripts/simulate
 * `npm run simulate`: how much of the possible gain each allocation policy captures on simulated
 * populations whose best variant differs by context (see scripts/lib/simulator.ts and docs/learning.md).
 * Node cannot import the engine's TypeScript, so this bundles the simulator with esbuild into a temporary
 * directory and runs it (scripts/lib/run-simulation.mjs).
 *
 *   node scripts/simulate.mjs [--seeds N] [--draws N] [--min-share X] [--discount X] [--exploration X]
 *                             [--max-prior-strength X] [--shorten K] [--scenario NAME]... [--json]
 */
import { runSimulation } from './lib/run-simulation.mjs';

await runSimulation({
  name: 'simulate',
  entry: 'simulator.ts',
  usage:
    'usage: node scripts/simulate.mjs [--seeds N] [--draws N] [--min-share X] [--discount X] [--exploration X]\n' +
    '                                 [--max-prior-strength X] [--shorten K] [--scenario NAME]... [--json]',
  numbers: ['seeds', 'draws', 'min-share', 'discount', 'exploration', 'max-prior-strength', 'shorten'],
  scenarios: (sim) => sim.SCENARIOS,
  defaults: (sim) => sim.DEFAULT_OPTIONS,
  simulate: (sim, options) => sim.simulate(options),
  text: (sim, results, seconds) => [
    "share of the oracle's lift over uniform captured (mean ± standard error over seeds)\n",
    sim.renderTable(results),
    `\nceiling: what an oracle held to the minimum share per arm captures. ${seconds.toFixed(1)} s`,
  ],
});
