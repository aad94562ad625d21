#!/usr/bin/env node
/**
 * @module scripts/simulate-recs
 * `npm run simulate:recs`: the offline evaluation of the recommendation strategies on simulated sessions
 * whose item affinities are known (see scripts/lib/recommend-sim.ts and docs/recommendations.md).
 * Node cannot import the engine's TypeScript, so this bundles the simulation with esbuild into a temporary
 * directory and runs it (scripts/lib/run-simulation.mjs).
 *
 *   node scripts/simulate-recs.mjs [--seed N] [--sessions N] [--items N] [--min-support N] [--shrinkage X]
 *                                  [--interest-share X] [--scenario NAME]... [--json]
 */
import { runSimulation } from './lib/run-simulation.mjs';

await runSimulation({
  name: 'simulate-recs',
  entry: 'recommend-sim.ts',
  usage:
    'usage: node scripts/simulate-recs.mjs [--seed N] [--sessions N] [--items N] [--min-support N]\n' +
    '                                      [--shrinkage X] [--interest-share X] [--scenario NAME]... [--json]',
  numbers: ['seed', 'sessions', 'items', 'min-support', 'shrinkage', 'interest-share'],
  scenarios: (sim) => sim.REC_SCENARIOS,
  defaults: (sim) => sim.DEFAULT_REC_SIM,
  simulate: (sim, options) => sim.simulateRecommendations(options),
  json: (sim) => ({
    worstCaseModelBytes: {
      items: 5000,
      k: 20,
      bytes: sim.worstCaseModelBytes(),
      compactBytes: sim.worstCaseCompactBytes(),
    },
  }),
  text: (sim, results, seconds) => [
    'next-item prediction on held-out sessions (percent, 95 % intervals over sessions)\n',
    sim.renderRecTable(results),
    `oracle: ranks by the true next-item probabilities (the achievable). Largest model for 5,000 items ` +
      `× 20 neighbours: ${(sim.worstCaseModelBytes() / 1e6).toFixed(2)} MB as JSON, ` +
      `${(sim.worstCaseCompactBytes() / 1e6).toFixed(2)} MB compact (as KV stores it). ${seconds.toFixed(1)} s`,
  ],
});
