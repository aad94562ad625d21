// Starts the demo shop and the HIO worker in front of it (`wrangler dev`, local KV and D1) and stops both.
// Shared by `npm start` (scripts/start.mjs) and the end-to-end tests, so that both run the worker exactly the
// same way: migrations applied first, wrangler in its own process group (so stopping it leaves no workerd
// behind), readiness checked on /__hio/health, and the campaign document (and, when given, the item
// catalogue) loaded through the admin API.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startShop } from '../../examples/shop/server.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DEMO_CAMPAIGNS = path.join(ROOT, 'examples/shop/campaigns.json');
const WRANGLER = path.join(ROOT, 'node_modules/wrangler/bin/wrangler.js');

/** Environment for every wrangler run: no telemetry, no banner, no download of the `request.cf` object. */
export const WRANGLER_ENV = {
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  WRANGLER_HIDE_BANNER: 'true',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  UPSTASH_DISABLE_TELEMETRY: '1',
};

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal escape sequences is the point
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Keeps the last `max` lines of a process's output. */
function lineBuffer(max, onLine) {
  const lines = [];
  let partial = '';
  return {
    push(chunk, stream) {
      const parts = (partial + chunk.toString('utf8')).split(/\r?\n/);
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line.replace(ANSI, ''));
        if (lines.length > max) lines.shift();
        onLine?.(line, stream);
      }
    },
    tail(n = max) {
      return [...lines, ...(partial ? [partial.replace(ANSI, '')] : [])].slice(-n).join('\n');
    },
  };
}

/** Resolves with a port nobody listens on right now (the OS picks it). */
export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Rejects with a readable error when something already listens on `port`. */
function assertPortFree(port, host, what) {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', (err) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `port ${port} on ${host} is already in use (needed for ${what}); stop whatever runs there first`
            : `cannot listen on ${host}:${port} for ${what}: ${err.message}`,
        ),
      ),
    );
    srv.listen(port, host, () => srv.close(() => resolve()));
  });
}

/** Runs a wrangler command to completion; rejects with its output when it fails. */
export function runWrangler(args, { env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRANGLER, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...WRANGLER_ENV, CI: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = lineBuffer(200);
    child.stdout.on('data', (c) => out.push(c, 'stdout'));
    child.stderr.on('data', (c) => out.push(c, 'stderr'));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve(out.tail());
      else
        reject(
          new Error(`wrangler ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${out.tail(40)}`),
        );
    });
  });
}

/** Builds the browser script (scripts/build-client.mjs) when the project has that step. */
export function buildClient() {
  const script = path.join(ROOT, 'scripts/build-client.mjs');
  if (!existsSync(script)) return Promise.resolve(false);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { cwd: ROOT, stdio: 'inherit' });
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve(true) : reject(new Error(`scripts/build-client.mjs failed (exit ${code})`)),
    );
  });
}

/**
 * Starts the shop and `wrangler dev` in front of it, applies the D1 migrations, waits until the worker answers
 * /__hio/health and loads the campaign document.
 *
 * @param {object} [o]
 * @param {number} [o.shopPort=8788] 0 picks a free port
 * @param {number} [o.workerPort=8787] 0 picks a free port
 * @param {string} [o.host='127.0.0.1']
 * @param {string} [o.adminToken='dev-admin-token']
 * @param {string} [o.secret='dev-secret-change-me']
 * @param {object|string|null} [o.campaigns] a campaign document, or a path to one; nothing is loaded when absent
 * @param {object|null} [o.catalog] an item catalogue (`{ items: [...] }`) to upload for recommendations
 *   (`PUT /__hio/admin/catalog`); nothing is uploaded when absent
 * @param {string|true} [o.persistTo] directory for local KV/D1 state (default `.wrangler/state`, shared with
 *   `wrangler ... --local`); `true` makes a temporary one that `stop()` deletes. Tests should never share the
 *   demo's state.
 * @param {Record<string,string>} [o.vars] further `--var`s (e.g. `{ STATE_BACKEND: 'upstash', ... }`)
 * @param {boolean} [o.buildClient=false] run scripts/build-client.mjs first
 * @param {(line: string, stream: 'stdout'|'stderr') => void} [o.onOutput] every line wrangler prints
 * @param {number} [o.readyTimeoutMs=90000]
 * @returns {Promise<{ workerUrl: string, shopUrl: string, adminToken: string, secret: string,
 *   persistTo: string|null, pid: number, exited: Promise<{ code: number|null, signal: string|null }>,
 *   output: (lines?: number) => string, stop: () => Promise<void> }>}
 */
export async function startDevStack({
  shopPort = 8788,
  workerPort = 8787,
  host = '127.0.0.1',
  adminToken = 'dev-admin-token',
  secret = 'dev-secret-change-me',
  campaigns,
  catalog,
  persistTo,
  vars = {},
  buildClient: build = false,
  onOutput,
  readyTimeoutMs = 90_000,
} = {}) {
  let doc = null;
  if (typeof campaigns === 'string') doc = readFileSync(path.resolve(ROOT, campaigns), 'utf8');
  else if (campaigns) doc = JSON.stringify(campaigns);

  let persistDir = null;
  let tempDir = null;
  if (persistTo === true) {
    tempDir = mkdtempSync(path.join(tmpdir(), 'hio-dev-'));
    persistDir = tempDir;
  } else if (typeof persistTo === 'string') {
    persistDir = path.resolve(ROOT, persistTo);
    mkdirSync(persistDir, { recursive: true });
  }
  const persistArgs = persistDir ? ['--persist-to', persistDir] : [];
  const removeTemp = () => {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  };

  if (build) await buildClient();

  const port = workerPort === 0 ? await freePort(host) : workerPort;
  await assertPortFree(port, host, 'the worker (wrangler dev)');

  const shop = await startShop({ port: shopPort, host }).catch((err) => {
    removeTemp();
    throw err.code === 'EADDRINUSE'
      ? new Error(
          `port ${shopPort} on ${host} is already in use (needed for the demo shop); stop whatever runs there first`,
        )
      : err;
  });

  let child = null;
  const exitGuard = () => {
    // last resort when the parent exits without stop(): never leave wrangler/workerd behind
    try {
      if (child?.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {}
  };
  let stopped = false;
  let exited;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {}
      const done = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
      if (!done) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {}
        await Promise.race([exited, sleep(2000)]);
      }
    }
    // workerd may outlive wrangler's node process by a moment: sweep the group once more
    try {
      if (child?.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {}
    process.off('exit', exitGuard);
    await shop.close();
    removeTemp();
  };

  try {
    await runWrangler(['d1', 'migrations', 'apply', 'hio', '--local', ...persistArgs]);

    const varArgs = Object.entries({
      ORIGIN_URL: shop.url,
      HIO_SECRET: secret,
      HIO_ADMIN_TOKEN: adminToken,
      ...vars,
    }).flatMap(([k, v]) => ['--var', `${k}:${v}`]);
    const args = [
      WRANGLER,
      'dev',
      '--ip',
      host,
      '--port',
      String(port),
      '--inspector-port',
      String(await freePort(host)),
      '--show-interactive-dev-session=false',
      '--log-level',
      'warn',
      ...persistArgs,
      ...varArgs,
    ];
    child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...WRANGLER_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    process.on('exit', exitGuard);
    const out = lineBuffer(300, onOutput);
    child.stdout.on('data', (c) => out.push(c, 'stdout'));
    child.stderr.on('data', (c) => out.push(c, 'stderr'));
    exited = new Promise((resolve) => {
      child.once('error', (err) => {
        out.push(`${err.message}\n`, 'stderr');
        resolve({ code: null, signal: null });
      });
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });

    const workerUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    await waitForHealth(workerUrl, exited, out, readyTimeoutMs);

    if (doc !== null) {
      const res = await fetch(`${workerUrl}/__hio/admin/config`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: doc,
      });
      if (!res.ok) {
        const body = await res.text();
        throw new Error(`PUT /__hio/admin/config was refused (${res.status}):\n${body}`);
      }
    }
    if (catalog) {
      const res = await fetch(`${workerUrl}/__hio/admin/catalog`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(catalog),
      });
      if (!res.ok) {
        const body = await res.text();
        throw new Error(`PUT /__hio/admin/catalog was refused (${res.status}):\n${body}`);
      }
    }

    return {
      workerUrl,
      shopUrl: shop.url,
      adminToken,
      secret,
      persistTo: persistDir,
      pid: child.pid,
      exited,
      output: (lines) => out.tail(lines),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitForHealth(workerUrl, exited, out, timeoutMs) {
  let dead = null;
  exited.then((r) => {
    dead = r;
  });
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (dead) {
      throw new Error(
        `wrangler dev exited (${dead.signal ?? `exit ${dead.code}`}) before the worker was ready:\n${out.tail(40)}`,
      );
    }
    try {
      const res = await fetch(`${workerUrl}/__hio/health`, { signal: AbortSignal.timeout(3000) });
      if (res.ok) return;
      last = `${res.status} ${(await res.text()).slice(0, 300)}`;
    } catch (err) {
      last = err.cause?.code ?? err.message;
    }
    await sleep(250);
  }
  throw new Error(
    `the worker did not answer GET /__hio/health within ${timeoutMs / 1000}s (last: ${last}):\n${out.tail(40)}`,
  );
}
