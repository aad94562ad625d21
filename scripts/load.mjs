#!/usr/bin/env node
import { spawn } from 'node:child_process';
/**
 * @module load
 * `npm run load`: a sustained load test through the worker. HIO's production bundle (`wrangler deploy
 * --dry-run`, what `npm run deploy` uploads) runs on workerd through Miniflare with local KV and D1, in
 * front of the demo shop, with the demo's campaign document. A few hundred returning visitors browse
 * for a minute at a realistic pace: each opens a page (home, a category, a product), reads it for a
 * while (exponential think time), and its browser script reports the page (pageview, scroll, engaged
 * time, the slots' impressions, sometimes a click, an add-to-cart or a purchase) before the next one.
 *
 * Passes only with zero errors (every page 200, every beacon 204, no request failed) and every page
 * personalized (the page carries a campaign's marker and no `hio-skip`). Reports throughput, p50/p99
 * latency and time to first byte of pages and beacons, and the worker's memory: the workerd process's
 * resident set over the run, beside what the local KV, D1 and R2 emulators hold (they live in the same
 * process here; on Cloudflare they are remote). Measurement goes the production way: through the queue
 * (HIO_QUEUE, consumer batches into D1) with the raw events into the R2 event log (HIO_EVENTS).
 *
 *   node scripts/load.mjs [--seconds 60] [--visitors 300] [--think-ms 10000] [--out .tmp/load.json]
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Miniflare } from 'miniflare';
import { buildWorker, migrationStatements, QUIET_WRANGLER_ENV } from '../bench/lib/build.mjs';
import { createClient } from '../bench/lib/http-client.mjs';
import { childPids, rssKb } from '../bench/lib/processes.mjs';
import { openInspector } from '../bench/lib/profile.mjs';
import { quantile } from '../bench/lib/stats.mjs';
import { CATEGORIES, PRODUCTS } from '../examples/shop/catalog.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
Object.assign(process.env, QUIET_WRANGLER_ENV);

const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    visitors: { type: 'string', default: '300' },
    'think-ms': { type: 'string', default: '10000' },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log('usage: node scripts/load.mjs [--seconds 60] [--visitors 300] [--think-ms 10000] [--out file]');
  process.exit(0);
}
const SECONDS = Number(opts.seconds);
const VISITORS = Number(opts.visitors);
const THINK_MS = Number(opts['think-ms']);
for (const [name, v] of [
  ['--seconds', SECONDS],
  ['--visitors', VISITORS],
  ['--think-ms', THINK_MS],
]) {
  if (!Number.isFinite(v) || v <= 0) {
    console.error(`${name} must be a positive number`);
    process.exit(2);
  }
}
const OUT = path.resolve(opts.out ?? path.join(root, '.tmp', 'load.json'));
const SECRET = 'load-secret';
const ADMIN_TOKEN = 'load-admin-token';
const log = (msg) => process.stderr.write(`${msg}\n`);

/** The demo's document, every campaign on its variant (as the demo shows it), plus a footer note for everyone. */
async function loadDocument() {
  const doc = JSON.parse(await readFile(path.join(root, 'examples/shop/campaigns.json'), 'utf8'));
  doc.holdout = 0;
  for (const c of doc.campaigns) {
    if (c.allocation !== 'contextual')
      c.weights = c.variants.map((_, i) => (i === c.variants.length - 1 ? 1 : 0));
  }
  doc.campaigns.push({
    id: 'load-footer',
    status: 'active',
    slot: { selector: 'footer', action: 'append' },
    variants: [{ id: 'note', html: '<p class="hio-note">Hi {{ topInterest }} fan, visit {{ visits }}</p>' }],
    goals: ['purchase'],
    priority: 1,
  });
  return doc;
}

let seq = 0;
const eventId = () => `l${Date.now().toString(36)}${(seq++).toString(36)}`;
const pick = (xs) => xs[Math.floor(Math.random() * xs.length)];
const thinkTime = () => Math.min(10 * THINK_MS, -Math.log(1 - Math.random()) * THINK_MS);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const categories = Object.keys(CATEGORIES);
const products = [...PRODUCTS.values()];

/** A visitor's next page: mostly their favourite category and its products, sometimes home or elsewhere. */
function nextPath(v) {
  const r = Math.random();
  if (r < 0.2) return '/';
  const cat = Math.random() < 0.7 ? v.favourite : pick(categories);
  if (r < 0.55) return `/c/${cat}`;
  const inCat = products.filter((p) => p.category === cat);
  return `/p/${pick(inCat.length ? inCat : products).slug}`;
}

const categoryOf = (p) => {
  const c = /^\/c\/([a-z]+)/.exec(p)?.[1];
  if (c) return c;
  const slug = /^\/p\/([a-z0-9-]+)/.exec(p)?.[1];
  return slug ? PRODUCTS.get(slug)?.category : undefined;
};

/** The demo shop in a child process; resolves once it listens. */
function startShopProcess() {
  const code = `import(${JSON.stringify(pathToFileURL(path.join(root, 'examples/shop/server.mjs')).href)})
    .then((m) => m.startShop({ port: 0 }))
    .then((s) => console.log(JSON.stringify({ url: s.url })));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      if (!buf.includes('\n')) return;
      resolve({
        url: JSON.parse(buf.split('\n')[0]).url,
        close: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done(undefined);
            child.once('exit', done);
            child.kill('SIGTERM');
          }),
      });
    });
    child.once('exit', (c) => reject(new Error(`the shop exited with ${c} before listening`)));
  });
}

/** Bytes of the files under `dir`. */
async function sizeOnDisk(dir) {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (e.isFile()) total += (await stat(path.join(e.parentPath ?? e.path, e.name))).size;
  }
  return total;
}

const MARKER = /data-hio-campaign="([^"]+)" data-hio-variant="([^"]+)"/g;

async function main() {
  const work = await mkdtemp(path.join(tmpdir(), 'hio-load-'));
  const cleanups = [() => rm(work, { recursive: true, force: true })];
  const cleanup = async () => {
    while (cleanups.length) {
      const fn = cleanups.pop();
      await Promise.resolve()
        .then(fn)
        .catch(() => {});
    }
  };
  process.once('SIGINT', () => cleanup().then(() => process.exit(130)));
  try {
    log('load: building the production bundle (wrangler deploy --dry-run)...');
    const script = await buildWorker(root, path.join(work, 'dist'));
    // the shop in a process of its own, so that the load generator's work does not slow the origin down
    const shop = await startShopProcess();
    cleanups.push(() => shop.close());

    const before = new Set(childPids('workerd'));
    const mf = new Miniflare({
      name: 'hio',
      modules: true,
      scriptPath: script,
      modulesRoot: path.dirname(script),
      compatibilityDate: '2026-04-20',
      compatibilityFlags: ['nodejs_compat'],
      bindings: {
        ORIGIN_URL: shop.url,
        HIO_SECRET: SECRET,
        HIO_ADMIN_TOKEN: ADMIN_TOKEN,
        STATE_BACKEND: 'kv',
        // as the shipped wrangler.toml has it
        HTML_CACHE: 'on',
      },
      kvNamespaces: ['HIO_KV'],
      d1Databases: ['HIO_DB'],
      kvPersist: path.join(work, 'kv'),
      d1Persist: path.join(work, 'd1'),
      // the production path: measurement through the queue (as in wrangler.toml), raw events into R2
      queueProducers: { HIO_QUEUE: 'hio-measurement' },
      queueConsumers: {
        'hio-measurement': {
          maxBatchSize: 100,
          maxBatchTimeout: 1,
          maxRetries: 5,
          deadLetterQueue: 'hio-measurement-dlq',
        },
        'hio-measurement-dlq': { maxBatchSize: 100, maxBatchTimeout: 1, maxRetries: 2 },
      },
      r2Buckets: ['HIO_EVENTS'],
      r2Persist: path.join(work, 'r2'),
      cf: false,
      host: '127.0.0.1',
      port: 0,
      // the inspector tells the isolate's own heap apart from the process (which holds the emulators too)
      inspectorPort: 0,
      handleRuntimeStdio: (stdout, stderr) => {
        stdout.resume();
        stderr.resume();
      },
    });
    cleanups.push(() => mf.dispose());
    const url = String(await mf.ready);
    const pids = childPids('workerd').filter((p) => !before.has(p));
    const db = await mf.getD1Database('HIO_DB');
    for (const stmt of await migrationStatements(root)) await db.prepare(stmt).run();

    const client = createClient(url, { maxSockets: 64 });
    cleanups.push(() => client.close());
    const doc = await loadDocument();
    const put = await client.request('PUT', '/__hio/admin/config', {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(doc),
      keepBody: true,
    });
    if (put.status !== 200) throw new Error(`PUT /__hio/admin/config: ${put.status} ${put.body}`);

    const rss = () => pids.reduce((s, p) => s + (rssKb(p) || 0), 0);
    const inspector = await Promise.race([
      openInspector(mf, 'core:user:hio').catch((err) => {
        log(`load: no inspector (${err.message}); the isolate heap is not reported`);
        return null;
      }),
      sleep(5000).then(() => null),
    ]);
    cleanups.push(() => inspector?.close());
    /** The HIO isolate's JavaScript heap in use (MB), after a full collection when `gc` */
    const ask = (method) =>
      Promise.race([inspector.send(method).catch(() => null), sleep(3000).then(() => null)]);
    const heapMb = async (gc) => {
      if (!inspector) return null;
      if (gc) await ask('HeapProfiler.collectGarbage');
      const h = await ask('Runtime.getHeapUsage');
      return h?.usedSize ? Math.round(h.usedSize / 104_857.6) / 10 : null;
    };
    const heapStartMb = await heapMb(true);
    const memory = { startKb: rss(), peakKb: 0, samples: [] };
    const stats = {
      pages: [],
      pageTtfb: [],
      beacons: [],
      errors: [],
      unpersonalized: [],
      seeded: 0,
      resent: 0,
    };
    const error = (what) => {
      if (stats.errors.length < 20) stats.errors.push(what);
      else stats.errors.length++;
    };

    /**
     * A request whose connection was reset is sent once more, as a browser does when a kept-alive
     * connection it reused turns out closed (the batch's event ids make a resent beacon count once);
     * how often that happened is reported.
     */
    const again = async (send) => {
      try {
        return await send();
      } catch (err) {
        if (!/socket hang up|ECONNRESET|EPIPE/.test(String(err.message))) throw err;
        stats.resent++;
        return send();
      }
    };
    let end = Number.POSITIVE_INFINITY;

    /** One page and what its browser script reports after the visitor has read it. */
    async function visit(v, timed, read = thinkTime()) {
      const p = nextPath(v);
      let res;
      try {
        res = await again(() =>
          client.get(p, { headers: v.cookie ? { cookie: v.cookie } : {}, keepBody: true }),
        );
      } catch (err) {
        return error(`GET ${p}: ${err.message}`);
      }
      if (!v.cookie) {
        const set = [res.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('hio_vid='));
        if (set) v.cookie = set.split(';')[0];
      }
      if (res.status !== 200) return error(`GET ${p}: ${res.status}`);
      const html = res.body.toString('utf8');
      const slots = [...html.matchAll(MARKER)].map((m) => ({ campaign: m[1], variant: m[2] }));
      const skip = String(res.headers['server-timing'] ?? '').match(/hio-skip;desc="([^"]+)"/)?.[1];
      if (timed) {
        stats.pages.push(res.totalMs);
        stats.pageTtfb.push(res.ttfbMs);
        if (skip || slots.length === 0) stats.unpersonalized.push(`${p}: ${skip ?? 'no slot marked'}`);
      }
      // the run ends on time: a visitor still reading at the end sends what the page left behind then
      await sleep(timed ? Math.max(0, Math.min(read, end - performance.now())) : read);
      const events = [
        { t: 'pageview', id: eventId(), path: p, category: categoryOf(p) },
        { t: 'scroll', id: eventId(), depth: pick([25, 50, 75, 90, 100]) },
        { t: 'engaged', id: eventId(), ms: Math.round(read * (0.3 + 0.6 * Math.random())) },
        ...slots.map((s) => ({ t: 'impression', id: eventId(), ...s })),
      ];
      if (slots.length && Math.random() < 0.1) events.push({ t: 'click', id: eventId(), ...pick(slots) });
      if (p.startsWith('/p/') && Math.random() < 0.08) {
        events.push({ t: 'conversion', id: eventId(), goal: 'add_to_cart' });
        if (Math.random() < 0.4)
          events.push({ t: 'conversion', id: eventId(), goal: 'purchase', value: 120 });
      }
      let b;
      try {
        b = await again(() =>
          client.request('POST', '/__hio/collect', {
            headers: { cookie: v.cookie, 'content-type': 'text/plain;charset=UTF-8' },
            body: JSON.stringify({ v: 1, events }),
            keepBody: true,
          }),
        );
      } catch (err) {
        return error(`POST /__hio/collect: ${err.message}`);
      }
      if (b.status !== 204) return error(`POST /__hio/collect: ${b.status} ${b.body}`);
      if (timed) stats.beacons.push(b.totalMs);
    }

    // returning visitors: each has been here before (a first page and its beacon)
    log(`load: seeding ${VISITORS} returning visitors...`);
    const visitors = Array.from({ length: VISITORS }, () => ({ cookie: '', favourite: pick(categories) }));
    for (let i = 0; i < visitors.length; i += 50) {
      await Promise.all(
        visitors.slice(i, i + 50).map(async (v) => {
          // a short first page: what matters is that the visitor has a cookie and a profile
          await visit(v, false, 50);
          stats.seeded++;
        }),
      );
    }
    if (stats.errors.length) throw new Error(`seeding failed: ${stats.errors.join('; ')}`);

    log(`load: ${SECONDS} s of ${VISITORS} visitors browsing (mean think time ${THINK_MS} ms)...`);
    const sampler = setInterval(() => {
      const kb = rss();
      memory.samples.push(kb);
      memory.peakKb = Math.max(memory.peakKb, kb);
    }, 500);
    const started = performance.now();
    end = started + SECONDS * 1000;
    await Promise.all(
      visitors.map(async (v) => {
        // spread the first pages over one think time, as returning visitors arrive
        await sleep(Math.random() * THINK_MS);
        while (performance.now() < end) await visit(v, true);
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const endKb = rss();
    const heapPeakishMb = await heapMb(false);

    // the queue delivers the last rows a batch timeout later: wait until D1 stops growing (at most 30 s)
    const count = async () =>
      Number((await db.prepare('SELECT COUNT(*) AS n FROM seen_events').first())?.n ?? 0);
    let last = -1;
    for (let waited = 0; waited < 30_000; waited += 1500) {
      const n = await count();
      if (n === last) break;
      last = n;
      await sleep(1500);
    }
    const bucket = await mf.getR2Bucket('HIO_EVENTS');
    let r2Objects = 0;
    let r2Bytes = 0;
    let r2Cursor;
    do {
      const listed = await bucket.list({ cursor: r2Cursor, limit: 1000 });
      for (const o of listed.objects) {
        r2Objects++;
        r2Bytes += o.size;
      }
      r2Cursor = listed.truncated ? listed.cursor : undefined;
    } while (r2Cursor);

    // what the local emulators hold, in this same process: the KV values and the D1 database
    const kv = await mf.getKVNamespace('HIO_KV');
    let kvBytes = 0;
    let kvKeys = 0;
    let cursor;
    do {
      const page = await kv.list({ cursor, limit: 1000 });
      for (const k of page.keys) {
        const value = await kv.get(k.name);
        kvBytes += k.name.length + (value?.length ?? 0);
        kvKeys++;
      }
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor);
    // D1 allows no PRAGMA: the emulator's database is measured on disk (it persists into the run's directory)
    const d1Bytes = await sizeOnDisk(path.join(work, 'd1'));
    const exposures = await db.prepare('SELECT COUNT(*) AS n FROM exposures').first();
    const conversions = await db.prepare('SELECT COUNT(*) AS n FROM conversion_events').first();

    const ms = (xs, q) => Math.round(quantile(xs, q) * 100) / 100;
    const report = {
      at: new Date().toISOString(),
      seconds: Math.round(elapsed * 10) / 10,
      visitors: VISITORS,
      thinkMs: THINK_MS,
      pages: stats.pages.length,
      beacons: stats.beacons.length,
      throughput: {
        pagesPerSecond: Math.round((stats.pages.length / elapsed) * 10) / 10,
        beaconsPerSecond: Math.round((stats.beacons.length / elapsed) * 10) / 10,
      },
      latencyMs: {
        page: { p50: ms(stats.pages, 0.5), p99: ms(stats.pages, 0.99) },
        pageTtfb: { p50: ms(stats.pageTtfb, 0.5), p99: ms(stats.pageTtfb, 0.99) },
        beacon: { p50: ms(stats.beacons, 0.5), p99: ms(stats.beacons, 0.99) },
      },
      errors: stats.errors.length,
      resentAfterConnectionReset: stats.resent,
      errorSamples: stats.errors.filter(Boolean).slice(0, 20),
      unpersonalized: stats.unpersonalized.length,
      unpersonalizedSamples: stats.unpersonalized.slice(0, 20),
      memory: {
        isolateHeapStartMb: heapStartMb,
        isolateHeapEndMb: heapPeakishMb,
        isolateHeapEndAfterGcMb: await heapMb(true),
        workerdRssStartMb: Math.round(memory.startKb / 102.4) / 10,
        workerdRssPeakMb: Math.round(memory.peakKb / 102.4) / 10,
        workerdRssEndMb: Math.round(endKb / 102.4) / 10,
        kvEmulatorKeys: kvKeys,
        kvEmulatorDataKb: Math.round(kvBytes / 102.4) / 10,
        r2EventLogObjects: r2Objects,
        r2EventLogKb: Math.round(r2Bytes / 102.4) / 10,
        d1EmulatorDiskMb: Math.round(d1Bytes / 104_857.6) / 10,
      },
      stored: { exposures: Number(exposures?.n ?? 0), conversions: Number(conversions?.n ?? 0) },
    };
    await mkdir(path.dirname(OUT), { recursive: true });
    await writeFile(OUT, `${JSON.stringify(report, null, 2)}\n`);

    const m = report.memory;
    console.log(`
HIO load test: ${report.visitors} returning visitors, ${report.seconds} s, mean think time ${THINK_MS} ms
  pages     ${report.pages} (${report.throughput.pagesPerSecond}/s)  p50 ${report.latencyMs.page.p50} ms  p99 ${report.latencyMs.page.p99} ms  TTFB p50 ${report.latencyMs.pageTtfb.p50} ms  p99 ${report.latencyMs.pageTtfb.p99} ms
  beacons   ${report.beacons} (${report.throughput.beaconsPerSecond}/s)  p50 ${report.latencyMs.beacon.p50} ms  p99 ${report.latencyMs.beacon.p99} ms
  errors    ${report.errors}    unpersonalized pages ${report.unpersonalized}    requests resent after a connection reset ${report.resentAfterConnectionReset}
  memory    HIO's isolate heap ${m.isolateHeapStartMb} MB at start, ${m.isolateHeapEndMb} MB at the end (${m.isolateHeapEndAfterGcMb} MB after a full GC)
            workerd RSS ${m.workerdRssStartMb} MB at start, ${m.workerdRssPeakMb} MB peak, ${m.workerdRssEndMb} MB at the end
            of which the local emulators hold: KV ${m.kvEmulatorKeys} keys, ${m.kvEmulatorDataKb} kB of data; D1 ${m.d1EmulatorDiskMb} MB; R2 event log ${m.r2EventLogObjects} objects, ${m.r2EventLogKb} kB
  stored    ${report.stored.exposures} exposures, ${report.stored.conversions} conversion rows
  written to ${path.relative(process.cwd(), OUT)}`);
    for (const e of report.errorSamples) console.log(`  error: ${e}`);
    for (const u of report.unpersonalizedSamples) console.log(`  unpersonalized: ${u}`);
    const ok = report.errors === 0 && report.unpersonalized === 0 && report.pages > 0;
    console.log(ok ? 'load: PASS' : 'load: FAIL');
    return ok;
  } finally {
    await cleanup();
  }
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  (err) => {
    console.error(`load: ${err instanceof Error ? (err.stack ?? err.message) : err}`);
    process.exit(1);
  },
);
