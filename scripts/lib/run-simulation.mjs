/**
 * @module scripts/lib/run-simulation
 * The command line of the offline simulations (scripts/simulate.mjs, scripts/simulate-recs.mjs). Node cannot
 * import the engine's TypeScript, so this bundles the simulation module with esbuild into a temporary
 * directory and imports it, then: `--help` prints the usage; `--scenario NAME`... picks scenarios by name
 * (an unknown one exits 2); each numeric option is passed under its camel-cased name (undefined when absent,
 * exit 2 when not a number); the run is timed; `--json` prints the options (over the module's defaults)
 * and the results, otherwise the script's text lines are printed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** `min-share` -> `minShare`. */
const camel = (name) => name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());

/**
 * Runs one simulation script.
 * @param {object} spec
 * @param {string} spec.name the script's name (`simulate`): the temporary directory is `hio-<name>-…`
 * @param {string} spec.entry the module in scripts/lib to bundle (`simulator.ts`)
 * @param {string} spec.usage printed by `--help`
 * @param {string[]} spec.numbers the numeric options, in the order they are read and passed
 * @param {(sim: any) => {name: string}[]} spec.scenarios all the scenarios of the module
 * @param {(sim: any) => object} spec.defaults the module's default options (for `--json`)
 * @param {(sim: any, options: object) => unknown} spec.simulate the run, given `{ scenarios, ...numbers }`
 * @param {(sim: any, results: any) => object} [spec.json] more fields of the `--json` output
 * @param {(sim: any, results: any, seconds: number) => string[]} spec.text the lines printed without `--json`
 */
export async function runSimulation(spec) {
  const { values: opts } = parseArgs({
    options: {
      ...Object.fromEntries(spec.numbers.map((name) => [name, { type: 'string' }])),
      scenario: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (opts.help) {
    console.log(spec.usage);
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

  const dir = await mkdtemp(path.join(os.tmpdir(), `hio-${spec.name}-`));
  try {
    const outfile = path.join(dir, spec.entry.replace(/\.ts$/, '.mjs'));
    await esbuild.build({
      entryPoints: [path.join(root, 'scripts', 'lib', spec.entry)],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'warning',
    });
    const sim = await import(pathToFileURL(outfile).href);
    const all = spec.scenarios(sim);
    let scenarios = all;
    if (opts.scenario) {
      const unknown = opts.scenario.filter((n) => !all.some((s) => s.name === n));
      if (unknown.length > 0) {
        console.error(`unknown scenario ${unknown.join(', ')}; known: ${all.map((s) => s.name).join(', ')}`);
        process.exit(2);
      }
      scenarios = all.filter((s) => opts.scenario.includes(s.name));
    }
    const options = {
      scenarios,
      ...Object.fromEntries(spec.numbers.map((name) => [camel(name), num(name)])),
    };
    const started = process.hrtime.bigint();
    const results = spec.simulate(sim, options);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (opts.json) {
      console.log(
        JSON.stringify(
          {
            options: {
              ...spec.defaults(sim),
              ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
              scenarios: scenarios.map((s) => s.name),
            },
            results,
            ...spec.json?.(sim, results),
          },
          null,
          2,
        ),
      );
    } else {
      for (const line of spec.text(sim, results, seconds)) console.log(line);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
