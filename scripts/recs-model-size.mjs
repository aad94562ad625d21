#!/usr/bin/env node
/**
 * @module scripts/recs-model-size
 * `node scripts/recs-model-size.mjs`: the recommendation model's size in KV and in an isolate, its load
 * time and the cost of one recommend() call, JSON (format 1) against compact (format 2); the figures of
 * docs/recommendations.md. Bundles scripts/lib/recs-model-size.ts with esbuild (Node cannot import the
 * engine's TypeScript) and runs it in a Node started with --expose-gc.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = await mkdtemp(path.join(os.tmpdir(), 'hio-recs-model-size-'));
let status = 1;
try {
  const lib = path.join(dir, 'recs-model-size.mjs');
  await esbuild.build({
    entryPoints: [path.join(root, 'scripts', 'lib', 'recs-model-size.ts')],
    outfile: lib,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
  const main = path.join(dir, 'main.mjs');
  await writeFile(main, `import { measure } from './recs-model-size.mjs';\nconsole.log(measure());\n`);
  status = spawnSync(process.execPath, ['--expose-gc', main], { stdio: 'inherit' }).status ?? 1;
} finally {
  await rm(dir, { recursive: true, force: true });
}
process.exit(status);
