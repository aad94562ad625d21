#!/usr/bin/env node
// Authoring campaign documents for a real site:
//
//   npm run campaigns -- check file.json            lint offline: what the worker would refuse, and warnings
//   npm run campaigns -- pull  file.json            write the live document to file.json (its version beside it)
//   npm run campaigns -- push  file.json [--force]  check, then PUT it with If-Match on the version pulled
//
// The worker's URL and token come from --url/--token or HIO_URL/HIO_ADMIN_TOKEN (default URL: the local
// demo, http://127.0.0.1:8787). `pull` keeps the live version in `file.json.etag`; `push` sends it as
// If-Match, so a document someone else saved since is not overwritten (412: pull again and reapply);
// --force replaces whatever is live. The lint is the worker's own (worker/engine/lint.ts): the same
// warnings come back from PUT beside the 200.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

let engine;
/** The engine's parser and lint, bundled on first use (the worker's TypeScript, run by Node). */
async function loadEngine() {
  if (engine) return engine;
  const built = await esbuild.build({
    stdin: {
      contents: `export { parseDocument } from './worker/engine/document.ts';
export { lintDocument } from './worker/engine/lint.ts';`,
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    logLevel: 'silent',
  });
  const code = built.outputFiles[0].text;
  engine = await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
  return engine;
}

/**
 * Lints a document given as text: `{ problems, warnings }`, where problems are what the worker refuses
 * (invalid JSON, schema problems, selectors a streaming parser cannot match) and warnings what it accepts.
 */
export async function checkDocument(text, now = Date.now()) {
  let body;
  try {
    body = JSON.parse(text);
  } catch (err) {
    return { problems: [`(document): not valid JSON (${err.message})`], warnings: [] };
  }
  const { parseDocument, lintDocument } = await loadEngine();
  const parsed = parseDocument(body);
  if (!parsed.ok) return { problems: parsed.problems, warnings: [] };
  const lint = lintDocument(parsed.doc, now);
  return {
    problems: lint.filter((w) => w.level === 'error').map((w) => `${w.path}: ${w.message}`),
    warnings: lint.filter((w) => w.level !== 'error'),
  };
}

const etagFile = (file) => `${file}.etag`;

async function admin(opts, method, body, headers = {}) {
  const res = await fetch(new URL('/__hio/admin/config', opts.url), {
    method,
    headers: { authorization: `Bearer ${opts.token}`, ...headers },
    body,
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, etag: res.headers.get('etag'), json, text };
}

/** Writes the live document to `file` and its version to `file.etag`. */
export async function pull(file, opts) {
  const r = await admin(opts, 'GET');
  if (r.status !== 200) throw new Error(`GET config answered ${r.status}: ${r.text.slice(0, 300)}`);
  writeFileSync(file, `${JSON.stringify(r.json, null, 2)}\n`);
  if (r.etag) writeFileSync(etagFile(file), `${r.etag}\n`);
  return { etag: r.etag };
}

/**
 * Checks `file`, then PUTs it with If-Match on the version last pulled (none with `force`). Returns
 * `{ status, version?, warnings, problems }`; a 412 means the live document changed since the pull.
 */
export async function push(file, opts) {
  const text = readFileSync(file, 'utf8');
  const local = await checkDocument(text);
  if (local.problems.length) return { status: 0, problems: local.problems, warnings: local.warnings };
  const headers = { 'content-type': 'application/json' };
  if (!opts.force && existsSync(etagFile(file)))
    headers['if-match'] = readFileSync(etagFile(file), 'utf8').trim();
  const r = await admin(opts, 'PUT', text, headers);
  if (r.status === 200 && r.etag) writeFileSync(etagFile(file), `${r.etag}\n`);
  return {
    status: r.status,
    version: r.json?.version,
    warnings: r.json?.warnings ?? [],
    problems: r.status === 200 ? [] : (r.json?.problems ?? [r.json?.error ?? r.text.slice(0, 300)]),
  };
}

function printWarnings(warnings) {
  for (const w of warnings)
    console.log(`${w.level === 'info' ? 'note' : 'warning'}: ${w.path}: ${w.message}`);
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string', default: process.env.HIO_URL ?? 'http://127.0.0.1:8787' },
      token: { type: 'string', default: process.env.HIO_ADMIN_TOKEN ?? '' },
      force: { type: 'boolean', default: false },
    },
  });
  const [command, file] = positionals;
  if (!['check', 'pull', 'push'].includes(command) || !file) {
    console.error(
      'usage: npm run campaigns -- check|pull|push file.json [--url URL] [--token TOKEN] [--force]',
    );
    return 2;
  }
  if (command === 'check') {
    const r = await checkDocument(readFileSync(file, 'utf8'));
    for (const p of r.problems) console.log(`error: ${p}`);
    printWarnings(r.warnings);
    const warned = r.warnings.filter((w) => w.level === 'warning').length;
    console.log(
      `${file}: ${r.problems.length} errors, ${warned} warnings, ${r.warnings.length - warned} notes`,
    );
    return r.problems.length ? 1 : 0;
  }
  if (!values.token) {
    console.error('the admin token is missing: pass --token or set HIO_ADMIN_TOKEN');
    return 2;
  }
  if (command === 'pull') {
    const r = await pull(file, values);
    console.log(`wrote ${file} (live version ${r.etag ?? 'unknown'})`);
    return 0;
  }
  const r = await push(file, values);
  for (const p of r.problems) console.log(`error: ${p}`);
  printWarnings(r.warnings);
  if (r.status === 200) {
    console.log(`pushed ${file}: live version ${r.version}`);
    return 0;
  }
  if (r.status === 412)
    console.log('the live document changed since your pull: pull it again and reapply your edit');
  else if (r.status !== 0) console.log(`PUT config answered ${r.status}`);
  return 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
