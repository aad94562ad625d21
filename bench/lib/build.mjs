/**
 * @module bench/lib/build
 * Building what the benchmark runs: HIO's production bundle (`wrangler deploy --dry-run`, exactly what
 * `npm run deploy` would upload), the counting variant of it, and the engine and recommendation
 * fixture bundles (esbuild).
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';

const run = promisify(execFile);

export const QUIET_WRANGLER_ENV = {
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  WRANGLER_HIDE_BANNER: 'true',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  UPSTASH_DISABLE_TELEMETRY: '1',
};

/** Bundles a worker with the repo's wrangler.toml into `outdir`; `entry` overrides `main`. Returns the script path. */
export async function buildWorker(root, outdir, entry) {
  const wrangler = path.join(root, 'node_modules', '.bin', 'wrangler');
  const args = ['deploy', '--dry-run', '--outdir', outdir, ...(entry ? [entry] : [])];
  try {
    await run(wrangler, args, {
      cwd: root,
      env: { ...process.env, ...QUIET_WRANGLER_ENV },
      maxBuffer: 1 << 24,
    });
  } catch (err) {
    throw new Error(`wrangler ${args.join(' ')} failed:\n${err.stderr || err.stdout || err.message}`);
  }
  const script = (await readdir(outdir)).find((f) => f.endsWith('.js'));
  if (!script) throw new Error(`wrangler wrote no script to ${outdir}`);
  return path.join(outdir, script);
}

/** Bundles bench/engine.mjs (the engine and its timing loop) into one Node module. */
export const buildEngine = (root, outfile) => buildNodeModule(root, 'engine.mjs', outfile);

/** Bundles bench/recs.mjs (the recommendation catalogue and model, learned by the engine) into one Node module. */
export const buildRecs = (root, outfile) => buildNodeModule(root, 'recs.mjs', outfile);

/** Bundles a bench/ entry that imports the worker's TypeScript into one Node module. */
async function buildNodeModule(root, entry, outfile) {
  await esbuild.build({
    entryPoints: [path.join(root, 'bench', entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
  return outfile;
}

/**
 * The statements of migrations/*.sql in order. drizzle-kit separates statements with
 * `--> statement-breakpoint`; a hand-written file without markers is split at `;` ending a line.
 */
export async function migrationStatements(root) {
  const dir = path.join(root, 'migrations');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const out = [];
  for (const f of files) {
    const sql = await readFile(path.join(dir, f), 'utf8');
    const parts = sql.includes('--> statement-breakpoint')
      ? sql.split('--> statement-breakpoint')
      : sql.split(/;\s*$/m);
    for (const p of parts) {
      const stmt = p.trim();
      if (stmt) out.push(stmt);
    }
  }
  return out;
}
