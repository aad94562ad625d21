/**
 * @module bench/run
 * `npm run bench`: HIO's benchmark, in one process tree, interleaved, on workerd through Miniflare
 * (never `wrangler dev`, which adds its own heavy overhead).
 *
 * Targets, for pages of about 20 KB, 200 KB and 2 MB (bench/origin.mjs):
 *   origin       the Node origin alone
 *   pass-through a worker that forwards to the origin (bench/workers/passthrough.js)
 *   floor        the contract's "rewrite floor": HTMLRewriter injecting the same bytes at the same
 *                selectors, no state, no decision, no beacon (bench/workers/floor.js)
 *   floor′       a second, identical floor: the A/A pair that shows this run's noise
 *   floor+state  the floor plus one visitor-state read (the bulk KV get of the visitor's two keys HIO's
 *                store makes) started in parallel with the origin fetch: what any KV-backed
 *                personalizer pays (bench/workers/floor-state.js)
 *   HIO          HIO's production bundle (`wrangler deploy --dry-run`), KV state backend, with the five
 *                campaigns of bench/campaigns.json, three of which match the benchmark visitor
 *   HIO+recs     the same bundle and visitor with one more campaign, a recommendation slot
 *                (bench/recs-campaign.json: `for-you`, 4 items), a catalogue of 5,000 items uploaded
 *                through the admin API and a model learned from 40,000 synthetic sessions by the
 *                engine's learnNeighbours, written into its KV with its stamp (bench/recs.mjs)
 * Reported: p50/p99 latency (whole body), p50 TTFB (first body byte), throughput (concurrent burst),
 * CPU time per page of each target's own process (read before and after each of its bursts), peak
 * RSS of each workerd process per page size, the ratios HIO / (floor + state), HIO / floor, HIO /
 * pass-through and HIO+recs / HIO with the interquartile range of their per-round values, checked
 * against the targets; the engine alone (bench/engine.mjs); state and config reads per page, without
 * and with the recommendation slot, and what one reload of the live config reads
 * (bench/workers/hio-counted.js); the browser script's gzip size.
 *
 *   node bench/run.mjs [--rounds N] [--quick] [--out path]   (default out: bench/results.json)
 *   node bench/run.mjs --profile [--quick] [--out dir]        (default out: dist/bench/profiles)
 *
 * `--profile` times nothing: it CPU-profiles HIO and floor+state through workerd's inspector on each
 * page size (bench/lib/profile.mjs), writes one .cpuprofile per worker and size, and prints where
 * each one's CPU goes: per source module and the top functions by self time.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { Miniflare } from 'miniflare';
import {
  buildEngine,
  buildRecs,
  buildWorker,
  migrationStatements,
  QUIET_WRANGLER_ENV,
} from './lib/build.mjs';
import { createClient } from './lib/http-client.mjs';
import { measurePath } from './lib/measure.mjs';
import { childPids, cpuNs, cpuSource, createMemoryTracker, rssKb } from './lib/processes.mjs';
import { bundleModules, cpuProfiles, openInspector, renderProfiles, selfTimes } from './lib/profile.mjs';
import { renderReport, summarize } from './lib/report.mjs';
import { explain, floorWrites, loadCampaigns, putConfig, seedVisitor } from './lib/visitor.mjs';
import { buildPage, PAGE_SIZES } from './origin.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
Object.assign(process.env, QUIET_WRANGLER_ENV);

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    out: { type: 'string' },
    profile: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log('usage: node bench/run.mjs [--rounds N] [--quick] [--out path]');
  console.log('       node bench/run.mjs --profile [--quick] [--out dir]');
  process.exit(0);
}
const QUICK = opts.quick;
const DEFAULT_ROUNDS = 60;
const ROUNDS = opts.rounds ? Number(opts.rounds) : QUICK ? 2 : DEFAULT_ROUNDS;
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) {
  console.error(`--rounds must be a positive integer, got "${opts.rounds}"`);
  process.exit(2);
}
const PROFILE = opts.profile;
const OUT = path.resolve(
  opts.out ??
    (PROFILE ? path.join(root, 'dist', 'bench', 'profiles') : path.join(root, 'bench', 'results.json')),
);

/** Requests per target per round, per page size: sequential burst, then concurrency x perLoop. */
const PLANS = {
  '20k': { warmup: 30, seq: 16, concurrency: 8, perLoop: 3 },
  '200k': { warmup: 15, seq: 10, concurrency: 8, perLoop: 2 },
  '2m': { warmup: 5, seq: 5, concurrency: 4, perLoop: 1 },
};
const QUICK_PLAN = { warmup: 2, seq: 3, concurrency: 2, perLoop: 1 };

const SECRET = 'bench-secret';
const ADMIN_TOKEN = 'bench-admin-token';
const SCRIPT_TAG = '<script src="/__hio/client.js" defer></script>';
const MATCHING = ['returning-hero', 'shoes-offer', 'cta-badge'];
/** The HIO+recs target: the recommendation campaign it adds, and the items its slot shows. */
const RECS = 'HIO+recs';
const RECS_CAMPAIGN = 'picked-for-you';
const RECS_COUNT = 4;
/** The recommendation slot in a page (bench/origin.mjs), to compare HIO+recs' page with HIO's around it. */
const RECS_SLOT = /<ul id="recs"[^>]*>[\s\S]*?<\/ul>/;

const log = (msg) => process.stderr.write(`${msg}\n`);

/** Everything started, to stop in reverse order whatever happens. */
const cleanups = [];
let cleaning;
/** Runs once, whoever asks first (the end of main, an error or a signal); later callers wait for it. */
function cleanup() {
  cleaning ??= (async () => {
    while (cleanups.length) {
      try {
        await cleanups.pop()();
      } catch (err) {
        log(`cleanup: ${err instanceof Error ? err.message : err}`);
      }
    }
  })();
  return cleaning;
}

async function startOriginProcess() {
  const child = spawn(process.execPath, [path.join(root, 'bench', 'origin.mjs')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  cleanups.push(
    () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(undefined);
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  );
  const url = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const line = buf.split('\n')[0];
      if (buf.includes('\n')) resolve(JSON.parse(line).url);
    });
    child.once('exit', (code) => reject(new Error(`the origin exited with ${code} before listening`)));
  });
  return { url, pid: child.pid };
}

/** Starts one Miniflare instance (one workerd process) and returns its URL, workerd PIDs and log lines. */
async function startWorker(
  name,
  scriptPath,
  { bindings = {}, kv = false, d1 = false, inspector = false } = {},
) {
  const before = new Set(childPids('workerd'));
  const lines = [];
  const collect = (stream) => {
    let buf = '';
    stream.on('data', (d) => {
      buf += d;
      const parts = buf.split('\n');
      buf = parts.pop() ?? '';
      for (const l of parts) if (l.trim()) lines.push(l);
    });
  };
  const mf = new Miniflare({
    name,
    modules: true,
    scriptPath,
    modulesRoot: path.dirname(scriptPath),
    // the floors import a shared module: .js files are ES modules here, as in bench/workers
    modulesRules: [{ type: 'ESModule', include: ['**/*.js'] }],
    compatibilityDate: '2026-04-20',
    compatibilityFlags: ['nodejs_compat'],
    bindings,
    ...(kv ? { kvNamespaces: ['HIO_KV'] } : {}),
    ...(d1 ? { d1Databases: ['HIO_DB'] } : {}),
    cf: false,
    host: '127.0.0.1',
    port: 0,
    ...(inspector ? { inspectorPort: 0 } : {}),
    handleRuntimeStdio: (stdout, stderr) => {
      collect(stdout);
      collect(stderr);
    },
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await mf.dispose();
  };
  cleanups.push(stop);
  const url = String(await mf.ready);
  const pids = childPids('workerd').filter((p) => !before.has(p));
  if (d1) {
    const db = await mf.getD1Database('HIO_DB');
    for (const stmt of await migrationStatements(root)) await db.prepare(stmt).run();
  }
  return { name, mf, url, pids, lines, stop };
}

function hioBindings(originUrl) {
  return { ORIGIN_URL: originUrl, HIO_SECRET: SECRET, HIO_ADMIN_TOKEN: ADMIN_TOKEN, STATE_BACKEND: 'kv' };
}

async function runEngineBench(engineFile) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [engineFile, ...(QUICK ? ['--quick'] : [])], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    cleanups.push(() => {
      if (child.exitCode === null) child.kill('SIGTERM');
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`engine bench exited with ${code}`)),
    );
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a counting HIO (KV and D1 calls counted) with `bindings`, gives it its `setup` (the
 * recommendation catalogue and model, before the document is loaded), the document, and a visitor with
 * the earlier product views `items` who has seen one page; runs `fn(client, cookie)` and stops it.
 */
async function withSeededCountingHio(name, countedScript, bindings, doc, { setup, items } = {}, fn) {
  const w = await startWorker(name, countedScript, { bindings, kv: true, d1: true });
  const client = createClient(w.url);
  try {
    await setup?.(w, client);
    await putConfig(client, doc, ADMIN_TOKEN);
    const cookie = await seedVisitor(client, '/p/20k', items);
    await client.get('/p/20k', { headers: { cookie } });
    return await fn(client, cookie);
  } finally {
    client.close();
    await w.stop();
  }
}

/** HIO with counting bindings: KV and D1 calls per page request, after the visitor is seeded. */
function countStateReads(countedScript, originUrl, doc, pages, opts = {}) {
  return withSeededCountingHio(
    'hio-counted',
    countedScript,
    hioBindings(originUrl),
    doc,
    opts,
    async (client, cookie) => {
      await sleep(200);
      await client.get('/__bench/counts?reset=1');
      for (let i = 0; i < pages; i++) await client.get('/p/20k', { headers: { cookie } });
      await sleep(300); // the pageview writes run after the response
      const res = await client.get('/__bench/counts', { keepBody: true });
      return { pages, ...JSON.parse(res.body.toString('utf8')) };
    },
  );
}

/**
 * What one reload of the live config reads (the campaign document with what is learned beside it,
 * and for a document with recommendation variants the catalogue's fingerprint and the model's stamp):
 * a counting HIO whose config lives 1 s, one page after it expired (served from the cached config,
 * which reloads in the background), minus that page's own state read. Counted, not timed.
 */
function countConfigReload(countedScript, originUrl, doc, opts = {}) {
  const bindings = { ...hioBindings(originUrl), CONFIG_TTL_SECONDS: '1' };
  return withSeededCountingHio(
    'hio-counted-reload',
    countedScript,
    bindings,
    doc,
    opts,
    async (client, cookie) => {
      await sleep(1200);
      await client.get('/__bench/counts?reset=1');
      await client.get('/p/20k', { headers: { cookie } });
      // the reload runs after the response (stale-while-revalidate): read until it has settled
      const read = async () =>
        (await client.get('/__bench/counts', { keepBody: true })).body.toString('utf8');
      let last = '';
      for (let i = 0; i < 50; i++) {
        await sleep(200);
        const now = await read();
        if (now === last && JSON.parse(now).d1Statements > 0) break;
        last = now;
      }
      const c = JSON.parse(last);
      // the page's own state read: one bulk get of the visitor's two keys
      return { ...c, kvReads: c.kvReads - 1, kvKeysRead: c.kvKeysRead - 2 };
    },
  );
}

/**
 * Gives a HIO instance what its recommendation slot draws from: the catalogue through the admin API
 * (as a site uploads it), then the model and its stamp into its KV, as the co-view job writes them
 * (the model first: a reader that sees the new stamp finds the new model).
 */
async function loadRecs(w, client, recs) {
  const res = await client.request('PUT', '/__hio/admin/catalog', {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(recs.fixture.catalogue),
    keepBody: true,
  });
  if (res.status !== 200) throw new Error(`PUT /__hio/admin/catalog: ${res.status} ${res.body}`);
  const kv = await w.mf.getKVNamespace('HIO_KV');
  await kv.put(recs.keys.model, recs.fixture.modelValue);
  await kv.put(recs.keys.stamp, JSON.stringify(recs.fixture.stamp));
}

/**
 * Loads the campaigns into HIO, seeds the benchmark visitor (with `items`, their earlier product
 * views) and checks what HIO shows them (`expected`, in decision order). Resolves to the visitor's
 * cookie, HIO's explanation (`/__hio/me`) and the writes the floors mirror.
 */
async function benchVisitor(hioClient, doc, items = [], expected = MATCHING) {
  await putConfig(hioClient, doc, ADMIN_TOKEN);
  const cookie = await seedVisitor(hioClient, '/p/20k', items);
  const me = await explain(hioClient, cookie);
  const shown = me.campaigns.filter((c) => c.status === 'assigned').map((c) => c.campaign);
  if (shown.join() !== expected.join())
    throw new Error(
      `the bench visitor sees [${shown}], expected [${expected}]: ${JSON.stringify(me.campaigns)}`,
    );
  if (expected !== MATCHING) return { cookie, me };
  // JSON bindings hold plain JSON: drop undefined fields
  const writes = JSON.parse(JSON.stringify(floorWrites(doc, me)));
  return { cookie, me, writes };
}

/**
 * Copies the benchmark visitor's two state keys from HIO's KV into floor+state's, byte for byte, so
 * that both read the same values. Resolves to the bytes copied.
 */
async function copyState(hio, floorState, cookie) {
  await new Promise((r) => setTimeout(r, 300)); // HIO's writes after the response (waitUntil)
  const id = cookie.slice('hio_vid='.length).split('.')[0];
  const from = await hio.mf.getKVNamespace('HIO_KV');
  const to = await floorState.mf.getKVNamespace('HIO_KV');
  let bytes = 0;
  for (const key of [`p:${id}`, `b:${id}`]) {
    const value = await from.get(key, 'text');
    if (value === null) throw new Error(`HIO holds no ${key} for the bench visitor`);
    await to.put(key, value);
    bytes += value.length;
  }
  return bytes;
}

/**
 * Checks each target's response once per page and records its length (re-checked on every timed
 * request). Resolves to HIO+recs' recommendation slot as rendered on the first page.
 */
async function verify(targets, originPages, hioCookie) {
  const problems = [];
  let recsSlot;
  for (const size of PAGE_SIZES) {
    const p = `/p/${size.name}`;
    const origin = originPages.get(size.name);
    const bodies = {};
    for (const t of targets) {
      const res = await t.client.get(p, { headers: t.headers, keepBody: true });
      if (res.status !== 200) problems.push(`${t.name} ${p}: status ${res.status}`);
      bodies[t.name] = res.body.toString('utf8');
      t.expectedBytes[p] = res.bytes;
    }
    if (bodies.origin !== origin.toString('utf8')) problems.push(`origin ${p}: not the page bytes`);
    if (bodies['pass-through'] !== bodies.origin)
      problems.push(`pass-through ${p}: body differs from origin`);
    const hio = bodies.HIO;
    if (hio.split(SCRIPT_TAG).length !== 2 || !hio.includes(`${SCRIPT_TAG}</head>`))
      problems.push(`HIO ${p}: the script tag is not once at the end of <head>`);
    for (const id of MATCHING)
      if (!hio.includes(`data-hio-campaign="${id}"`)) problems.push(`HIO ${p}: campaign ${id} not shown`);
    for (const id of ['post-purchase', 'mobile-app'])
      if (hio.includes(`data-hio-campaign="${id}"`)) problems.push(`HIO ${p}: campaign ${id} shown`);
    for (const f of targets.filter((t) => t.name.startsWith('floor')))
      if (bodies[f.name] !== hio) problems.push(`${f.name} ${p}: body differs from HIO's`);
    // HIO+recs: HIO's page exactly, but for the recommendation slot, which holds RECS_COUNT items
    const recs = bodies[RECS];
    const slot = RECS_SLOT.exec(recs)?.[0] ?? '';
    recsSlot ??= slot;
    if (!slot.includes(`data-hio-campaign="${RECS_CAMPAIGN}"`))
      problems.push(`${RECS} ${p}: the recommendation slot is not marked with ${RECS_CAMPAIGN}`);
    if ((slot.match(/data-hio-item=/g) ?? []).length !== RECS_COUNT)
      problems.push(`${RECS} ${p}: the recommendation slot does not hold ${RECS_COUNT} items: ${slot}`);
    if (recs.replace(RECS_SLOT, '') !== hio.replace(RECS_SLOT, ''))
      problems.push(`${RECS} ${p}: the page differs from HIO's outside the recommendation slot`);
  }
  if (!hioCookie) problems.push('no visitor cookie');
  if (problems.length) throw new Error(`verification failed:\n  ${problems.join('\n  ')}`);
  return recsSlot;
}

async function main() {
  const started = Date.now();
  const doc = await loadCampaigns(path.join(root, 'bench', 'campaigns.json'));
  await mkdir(path.join(root, 'dist', 'bench'), { recursive: true });
  const buildDir = await mkdtemp(path.join(root, 'dist', 'bench', 'run-'));
  cleanups.push(() => rm(buildDir, { recursive: true, force: true }));

  const recsCampaign = await loadCampaigns(path.join(root, 'bench', 'recs-campaign.json'));
  const recsDoc = { ...doc, campaigns: [...doc.campaigns, recsCampaign] };
  // what HIO+recs shows the visitor, in decision order (by priority)
  const recsMatching = recsDoc.campaigns
    .filter((c) => MATCHING.includes(c.id) || c.id === RECS_CAMPAIGN)
    .sort((a, b) => b.priority - a.priority)
    .map((c) => c.id);

  log(
    'building HIO (wrangler deploy --dry-run), its counting variant, the engine and recommendation bundles ...',
  );
  const [hioScript, countedScript, engineFile, recsFile] = await Promise.all([
    buildWorker(root, path.join(buildDir, 'hio')),
    buildWorker(root, path.join(buildDir, 'hio-counted'), 'bench/workers/hio-counted.js'),
    buildEngine(root, path.join(buildDir, 'engine.mjs')),
    buildRecs(root, path.join(buildDir, 'recs.mjs')),
  ]);

  log('engine alone ...');
  const engine = await runEngineBench(engineFile);

  log('the recommendation catalogue and model (learnNeighbours on synthetic sessions) ...');
  const recsModule = await import(pathToFileURL(recsFile).href);
  const recs = {
    fixture: recsModule.recsFixture(),
    keys: { model: recsModule.RECS_MODEL_KEY, stamp: recsModule.RECS_STAMP_KEY },
  };
  const items = recs.fixture.visitorItems;
  const withRecs = { setup: (w, client) => loadRecs(w, client, recs), items };

  const origin = await startOriginProcess();
  // the same bytes the child serves (deterministic), to check bodies against
  const originPages = new Map(PAGE_SIZES.map((s) => [s.name, buildPage(s.bytes)]));

  log('state and config reads per page and per config reload, without and with recommendations ...');
  const pages = QUICK ? 5 : 40;
  // counted, not timed: the four instances run side by side
  const [state, stateRecs, reload, reloadRecs] = await Promise.all([
    countStateReads(countedScript, origin.url, doc, pages, { items }),
    countStateReads(countedScript, origin.url, recsDoc, pages, withRecs),
    countConfigReload(countedScript, origin.url, doc, { items }),
    countConfigReload(countedScript, origin.url, recsDoc, withRecs),
  ]);

  log('starting the workers ...');
  const hio = await startWorker('hio', hioScript, {
    bindings: hioBindings(origin.url),
    kv: true,
    d1: true,
  });
  const hioClient = createClient(hio.url);
  const { cookie, writes } = await benchVisitor(hioClient, doc, items);
  const hioRecs = await startWorker('hio-recs', hioScript, {
    bindings: hioBindings(origin.url),
    kv: true,
    d1: true,
  });
  const hioRecsClient = createClient(hioRecs.url);
  await loadRecs(hioRecs, hioRecsClient, recs);
  const { cookie: recsCookie } = await benchVisitor(hioRecsClient, recsDoc, items, recsMatching);
  const workersDir = path.join(root, 'bench', 'workers');
  const pass = await startWorker('pass-through', path.join(workersDir, 'passthrough.js'), {
    bindings: { ORIGIN_URL: origin.url },
  });
  const floor = await startWorker('floor', path.join(workersDir, 'floor.js'), {
    bindings: { ORIGIN_URL: origin.url, FLOOR_WRITES: writes },
  });
  const floorB = await startWorker('floor-b', path.join(workersDir, 'floor.js'), {
    bindings: { ORIGIN_URL: origin.url, FLOOR_WRITES: writes },
  });
  const floorState = await startWorker('floor-state', path.join(workersDir, 'floor-state.js'), {
    bindings: { ORIGIN_URL: origin.url, FLOOR_WRITES: writes },
    kv: true,
  });

  const script = await hioClient.get('/__hio/client.js', { keepBody: true, headers: { accept: '*/*' } });
  const clientScript = { bytes: script.bytes, gzipBytes: gzipSync(script.body, { level: 9 }).length };

  // every target gets byte-identical requests: same headers, the visitor's cookie included
  const headers = { cookie };
  const target = (name, url, pids, own = headers) => ({
    name,
    client: createClient(url, { maxSockets: 16 }),
    headers: own,
    pids,
    expectedBytes: {},
    deviations: {},
    retries: {},
  });
  const targets = [
    target('origin', origin.url, [origin.pid]),
    target('pass-through', pass.url, pass.pids),
    target('floor', floor.url, floor.pids),
    target('floor′', floorB.url, floorB.pids),
    target('floor+state', floorState.url, floorState.pids),
    target('HIO', hio.url, hio.pids),
    // its own visitor (same seeding, same profile but for ids and times): a cookie is signed per instance
    target(RECS, hioRecs.url, hioRecs.pids, { cookie: recsCookie }),
  ];
  cleanups.push(() => {
    for (const t of targets) t.client.close();
    hioClient.close();
    hioRecsClient.close();
  });
  const recsSlot = await verify(targets, originPages, cookie);
  log(`verified: HIO shows ${MATCHING.join(', ')} and the script tag; the floors return HIO's exact bytes`);
  log(`verified: ${RECS} returns HIO's page with ${RECS_COUNT} recommended items in its slot`);
  // after the verifying page views, whose exposures HIO may still have been storing
  const stateBytes = await copyState(hio, floorState, cookie);
  log(`floor+state reads the visitor's state as HIO stores it (${stateBytes} bytes)`);

  const idleKb = Object.fromEntries(targets.map((t) => [t.name, t.pids.reduce((s, p) => s + rssKb(p), 0)]));
  const memory = createMemoryTracker(Object.fromEntries(targets.map((t) => [t.name, t.pids])));
  const sizes = [];
  for (const size of PAGE_SIZES) {
    const plan = QUICK ? QUICK_PLAN : PLANS[size.name];
    const t0 = Date.now();
    memory.start();
    const rec = await measurePath(targets, `/p/${size.name}`, plan, ROUNDS, (r) => {
      if (!QUICK && (r + 1) % 10 === 0) log(`  ${size.label}: round ${r + 1}/${ROUNDS}`);
    });
    const peakKb = memory.stop();
    log(`${size.label}: ${ROUNDS} rounds in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    sizes.push({ size, plan, rec, peakKb, bytes: originPages.get(size.name).length });
  }

  const warnings = [hio, hioRecs, pass, floor, floorB, floorState].flatMap((w) =>
    w.lines.map((l) => `${w.name}: ${l}`),
  );
  const results = summarize({
    command: QUICK
      ? `node bench/run.mjs --quick${opts.rounds ? ` --rounds ${ROUNDS}` : ''}`
      : `npm run bench${ROUNDS === DEFAULT_ROUNDS ? '' : ` -- --rounds ${ROUNDS}`}`,
    quick: QUICK,
    rounds: ROUNDS,
    cpuSource: cpuSource(),
    sizes,
    targets,
    idleKb,
    engine,
    state,
    recommendations: {
      catalogueItems: recs.fixture.catalogue.items.length,
      sessions: recs.fixture.sessions,
      modelBytes: recs.fixture.modelBytes,
      neighbourLists: recs.fixture.neighbourLists,
      visitorViews: items.length,
      strategy: recsCampaign.variants[0].recommend.strategy,
      count: RECS_COUNT,
      slot: recsSlot,
      state: stateRecs,
      reload,
      reloadRecs,
    },
    clientScript,
    warnings,
    seconds: (Date.now() - started) / 1000,
  });
  await mkdir(path.dirname(OUT), { recursive: true });
  await writeFile(OUT, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(renderReport(results));
  log(`wrote ${path.relative(process.cwd(), OUT) || OUT}`);
}

/** Sequential page requests profiled per worker and page size (after a warm-up of 30). */
const PROFILE_PAGES = { '20k': 1500, '200k': 400, '2m': 60 };
const QUICK_PROFILE_PAGES = { '20k': 20, '200k': 10, '2m': 4 };

/**
 * `--profile`: CPU profiles of HIO and of floor+state through workerd's inspector, one per page size,
 * written to OUT with HIO's bundle (the profiles' line numbers point into it); prints where the CPU goes.
 */
async function profileMain() {
  const started = Date.now();
  const doc = await loadCampaigns(path.join(root, 'bench', 'campaigns.json'));
  await mkdir(path.join(root, 'dist', 'bench'), { recursive: true });
  const buildDir = await mkdtemp(path.join(root, 'dist', 'bench', 'run-'));
  cleanups.push(() => rm(buildDir, { recursive: true, force: true }));
  log('building HIO (wrangler deploy --dry-run) ...');
  const [hioScript, recsFile] = await Promise.all([
    buildWorker(root, path.join(buildDir, 'hio')),
    buildRecs(root, path.join(buildDir, 'recs.mjs')),
  ]);
  // the timed run's visitor: the same earlier product views
  const { visitorItems } = (await import(pathToFileURL(recsFile).href)).recsFixture({ model: false });
  const origin = await startOriginProcess();
  const hio = await startWorker('hio', hioScript, {
    bindings: hioBindings(origin.url),
    kv: true,
    d1: true,
    inspector: true,
  });
  const hioClient = createClient(hio.url);
  const { cookie, writes } = await benchVisitor(hioClient, doc, visitorItems);
  const floorState = await startWorker('floor-state', path.join(root, 'bench', 'workers', 'floor-state.js'), {
    bindings: { ORIGIN_URL: origin.url, FLOOR_WRITES: writes },
    kv: true,
    inspector: true,
  });
  const floorClient = createClient(floorState.url);
  cleanups.push(() => {
    hioClient.close();
    floorClient.close();
  });
  const headers = { cookie };
  for (const size of PAGE_SIZES) {
    const p = `/p/${size.name}`;
    const [a, b] = await Promise.all(
      [hioClient, floorClient].map((c) => c.get(p, { headers, keepBody: true })),
    );
    if (a.status !== 200 || !a.body.equals(b.body)) throw new Error(`${p}: floor+state's body is not HIO's`);
  }
  await copyState(hio, floorState, cookie);

  await mkdir(OUT, { recursive: true });
  const bundleCopy = path.join(OUT, 'hio-bundle.js');
  const bundle = await readFile(hioScript, 'utf8');
  await writeFile(bundleCopy, bundle);
  const hioModules = bundleModules(bundle);
  const workers = [
    {
      name: 'hio',
      w: hio,
      client: hioClient,
      // the bundle by its esbuild comments; the runtime's own JS modules (node-internal:...) by name
      moduleOf: (url, line) => (url === path.basename(hioScript) ? hioModules(line) : url),
    },
    { name: 'floor+state', w: floorState, client: floorClient, moduleOf: (url) => path.basename(url) },
  ];
  const runs = [];
  const files = [path.relative(process.cwd(), bundleCopy)];
  for (const size of PAGE_SIZES) {
    const p = `/p/${size.name}`;
    const pages = (QUICK ? QUICK_PROFILE_PAGES : PROFILE_PAGES)[size.name];
    for (const { name, w, client, moduleOf } of workers) {
      log(`profiling ${name} on ${size.label}: ${pages} pages ...`);
      const sessions = [
        await openInspector(w.mf, `core:user:${w.name}`),
        await openInspector(w.mf, 'core:entry'),
      ];
      try {
        for (let i = 0; i < 30; i++) await client.get(p, { headers });
        const cpu0 = cpuNs(w.pids);
        const [profile, entryProfile] = await cpuProfiles(sessions, async () => {
          for (let i = 0; i < pages; i++) {
            const res = await client.get(p, { headers });
            if (res.status !== 200) throw new Error(`${name} ${p}: status ${res.status} while profiling`);
          }
        });
        const processMsPerPage = (cpuNs(w.pids) - cpu0) / 1e6 / pages;
        const file = path.join(OUT, `${name.replace('+', '-')}-${size.name}.cpuprofile`);
        await writeFile(file, JSON.stringify(profile));
        files.push(path.relative(process.cwd(), file));
        runs.push({
          worker: name,
          size: size.name,
          label: size.label,
          pages,
          processMsPerPage,
          times: selfTimes(profile, moduleOf),
          entryBusySamples: selfTimes(entryProfile, () => 'entry').busySamples,
        });
      } finally {
        for (const s of sessions) s.close();
      }
    }
  }
  const command = `node bench/run.mjs --profile${QUICK ? ' --quick' : ''}`;
  const summary = {
    date: new Date().toISOString(),
    command,
    seconds: (Date.now() - started) / 1000,
    runs: runs.map((r) => ({ ...r, times: { ...r.times, functions: r.times.functions.slice(0, 60) } })),
  };
  await writeFile(path.join(OUT, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(renderProfiles(runs, { command, files }));
  log(`wrote ${path.relative(process.cwd(), OUT) || OUT}`);
}

let exitCode = 0;
const interrupted = () => {
  log('interrupted: stopping everything started');
  cleanup().finally(() => process.exit(130));
};
process.once('SIGINT', interrupted);
process.once('SIGTERM', interrupted);
try {
  await (PROFILE ? profileMain() : main());
} catch (err) {
  log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : err}`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
