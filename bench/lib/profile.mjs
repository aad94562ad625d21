/**
 * @module bench/lib/profile
 * CPU profiles of a worker through workerd's inspector (Miniflare's `inspectorPort`), over the
 * DevTools protocol: `Profiler.start` / `Profiler.stop` around a burst of requests, the profile
 * written as a `.cpuprofile` (Chrome DevTools, speedscope), and its self time summed per function and
 * per source module. Modules come from the comments esbuild leaves before each module of an
 * unminified bundle (`// worker/edge/page.ts`), so a function's line in HIO's bundle says which
 * source file it is in.
 *
 * What the profile sees is the worker's own JavaScript isolate: its functions, the runtime's
 * built-ins it calls (`(native)`), garbage collection, and `(program)`, native work on that thread
 * outside JavaScript (HTMLRewriter's parser, streams, I/O). Not seen: Miniflare's entry worker and the
 * local KV emulator, other isolates of the same workerd process.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The `ws` client Miniflare itself depends on (Node 20 has no global WebSocket). */
function loadWebSocket() {
  return createRequire(require.resolve('miniflare'))('ws');
}

/**
 * Opens a DevTools protocol session on one isolate of a Miniflare instance started with
 * `inspectorPort`: `core:user:<name>` for a user worker, `core:entry` for Miniflare's entry worker
 * (which every request crosses first). Resolves to `{ send(method, params), close() }`.
 */
export async function openInspector(mf, targetId) {
  const WebSocket = loadWebSocket();
  const base = await mf.getInspectorURL();
  const list = await (await fetch(`http://${base.host}/json`)).json();
  const entry = list.find((t) => t.id === targetId);
  if (!entry) throw new Error(`no inspector target ${targetId} (have ${list.map((t) => t.id)})`);
  const ws = new WebSocket(entry.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let seq = 0;
  const pending = new Map();
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data));
    const done = msg.id !== undefined ? pending.get(msg.id) : undefined;
    if (!done) return;
    pending.delete(msg.id);
    if (msg.error) done.reject(new Error(`${done.method}: ${msg.error.message}`));
    else done.resolve(msg.result ?? {});
  });
  return {
    send: (method, params = {}) =>
      new Promise((resolve, reject) => {
        const id = ++seq;
        pending.set(id, { resolve, reject, method });
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}

export const SAMPLING_US = 100;

/** CPU profiles (DevTools `Profiler.Profile`), one per session, of whatever `run()` makes the isolates do. */
export async function cpuProfiles(sessions, run, intervalUs = SAMPLING_US) {
  for (const session of sessions) {
    await session.send('Profiler.enable');
    await session.send('Profiler.setSamplingInterval', { interval: intervalUs });
    await session.send('Profiler.start');
  }
  const profiles = [];
  try {
    await run();
  } finally {
    // stop whatever happened, so no isolate keeps sampling
    for (const session of sessions) profiles.push((await session.send('Profiler.stop')).profile);
  }
  for (const session of sessions) await session.send('Profiler.disable');
  return profiles;
}

const PSEUDO = new Set(['(program)', '(garbage collector)', '(idle)', '(root)']);

/** A function `line -> module` for an unminified esbuild bundle; packages are named by package. */
export function bundleModules(source) {
  const starts = [];
  const lines = source.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^\/\/ (\S+\.(?:[cm]?[jt]sx?|json))$/.exec(lines[i]);
    if (!m) continue;
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(m[1]);
    starts.push([i, pkg ? pkg[1] : m[1].replace(/^(\.\.\/)+/, '')]);
  }
  return (line) => {
    let lo = 0;
    let hi = starts.length - 1;
    let found = '(bundle)';
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid][0] <= line) {
        found = starts[mid][1];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
}

/**
 * Self time of a profile per function and per module, as sample counts and shares of the isolate's
 * busy samples, busiest first; `(idle)` is counted apart. `moduleOf(url, line)` names a frame's module.
 *
 * Samples are counted, not weighted by their wall-clock deltas (what DevTools shows): V8 samples an
 * isolate only while a thread holds it, so a delta also spans the time the isolate was not running
 * (workerd serving the entry worker or the KV emulator, the thread descheduled), and would hand that
 * to whatever function ran last. Counts are proportional to the time each function ran; they are no
 * absolute measure (the sampling thread itself falls behind on a loaded machine), hence shares.
 */
export function selfTimes(profile, moduleOf) {
  const count = new Map();
  for (const id of profile.samples) count.set(id, (count.get(id) ?? 0) + 1);
  const fns = new Map();
  const mods = new Map();
  let busy = 0;
  let idle = 0;
  for (const node of profile.nodes) {
    const n = count.get(node.id) ?? 0;
    if (!n) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idle += n;
      continue;
    }
    busy += n;
    const pseudo = PSEUDO.has(functionName);
    const module = pseudo ? functionName : url ? moduleOf(url, lineNumber) : '(native)';
    const name = pseudo ? functionName : functionName || '(anonymous)';
    const key = `${name}\u0000${module}\u0000${pseudo ? '' : lineNumber}`;
    const f = fns.get(key) ?? { name, module, line: pseudo || !url ? null : lineNumber + 1, samples: 0 };
    f.samples += n;
    fns.set(key, f);
    mods.set(module, (mods.get(module) ?? 0) + n);
  }
  const share = (n) => (busy ? n / busy : 0);
  return {
    busySamples: busy,
    idleSamples: idle,
    inclusive: inclusiveTimes(profile, count, moduleOf, share),
    functions: [...fns.values()]
      .sort((a, b) => b.samples - a.samples)
      .map((f) => ({ ...f, share: share(f.samples) })),
    modules: [...mods.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([module, samples]) => ({ module, samples, share: share(samples) })),
  };
}

/**
 * Total (inclusive) samples of each JavaScript function of the worker's own code: the samples in which
 * it is anywhere on the stack, once per sample even when recursive. Says what a whole step costs
 * (`planPage` with everything it calls), where self time says which leaf is hot.
 */
function inclusiveTimes(profile, count, moduleOf, share) {
  const parent = new Map();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const keyOf = new Map();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    if (!url || PSEUDO.has(functionName)) continue;
    const module = moduleOf(url, lineNumber);
    keyOf.set(node.id, {
      key: `${functionName}\u0000${module}\u0000${lineNumber}`,
      name: functionName || '(anonymous)',
      module,
    });
  }
  const totals = new Map();
  for (const [id, n] of count) {
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const k = keyOf.get(cur);
      if (!k || seen.has(k.key)) continue;
      seen.add(k.key);
      const t = totals.get(k.key) ?? { name: k.name, module: k.module, samples: 0 };
      t.samples += n;
      totals.set(k.key, t);
    }
  }
  return [...totals.values()]
    .sort((a, b) => b.samples - a.samples)
    .map((t) => ({ ...t, share: share(t.samples) }));
}

/** Groups HIO's source modules into the parts of its page path; packages and pseudo-frames stay as they are. */
export function areaOf(module) {
  if (module === '(program)') return '(program): native work outside JS (HTMLRewriter parser, streams, I/O)';
  if (module === '(garbage collector)') return '(garbage collector)';
  if (module === '(native)')
    return 'runtime built-ins called from JS (Request, Headers, URL, KV get, rewriter API)';
  if (/^(node|cloudflare)-internal:/.test(module)) return `runtime JS: ${module}`;
  if (module.startsWith('worker/engine/')) return 'worker/engine: decision, profile view, templates';
  if (module === 'worker/edge/rewrite.ts') return 'worker/edge/rewrite.ts: rewriter handlers';
  if (module.startsWith('worker/edge/')) return 'worker/edge (other): page path, proxy, cookie';
  if (module.startsWith('worker/state/')) return 'worker/state: state store';
  if (module.startsWith('worker/db/')) return 'worker/db: config cache';
  if (module.startsWith('worker/')) return 'worker (app, deps, env)';
  return module;
}

const pct = (x) => `${(x * 100).toFixed(1)} %`;
const ms3 = (x) => x.toFixed(3);

function table(head, rows) {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/**
 * The Markdown report of a profiling run: per page size, each worker's CPU per page (its whole
 * process) and busy samples per page (its isolate), then the shares of HIO's isolate per part of the
 * page path and its top functions by self time. `runs`: `{ worker, size, label, pages,
 * processMsPerPage, times }`.
 */
export function renderProfiles(runs, { top = 15, command, files, intervalUs = SAMPLING_US }) {
  const lines = [
    `## Where the CPU goes: \`${command}\``,
    '',
    `Sampled every ${intervalUs} µs. Process CPU: the worker's whole workerd process over the profiled pages, profiler on. Busy samples: the worker's own isolate, and Miniflare's entry worker in the same process, profiled at once (counts to compare, not absolute time; the shares below are of the worker's isolate).`,
    '',
  ];
  const sizes = [...new Set(runs.map((r) => r.size))];
  for (const size of sizes) {
    const here = runs.filter((r) => r.size === size);
    const hio = here.find((r) => r.worker === 'hio');
    const floor = here.find((r) => r.worker !== 'hio');
    const share = (r, name) => r.times.modules.find((m) => m.module === name)?.share ?? 0;
    lines.push(
      `### ${here[0].label}`,
      '',
      table(
        [
          'worker',
          'pages',
          'process CPU ms/page',
          'isolate busy samples/page',
          'entry worker busy samples/page',
          '(program)',
          'GC',
        ],
        here.map((r) => [
          r.worker,
          String(r.pages),
          ms3(r.processMsPerPage),
          (r.times.busySamples / r.pages).toFixed(1),
          (r.entryBusySamples / r.pages).toFixed(1),
          pct(share(r, '(program)')),
          pct(share(r, '(garbage collector)')),
        ]),
      ),
      '',
    );
    if (!hio) continue;
    if (floor)
      lines.push(
        `HIO's isolate takes ${(hio.times.busySamples / hio.pages / (floor.times.busySamples / floor.pages)).toFixed(2)}× the busy samples per page of floor+state's.`,
        '',
      );
    const areas = new Map();
    for (const m of hio.times.modules)
      areas.set(areaOf(m.module), (areas.get(areaOf(m.module)) ?? 0) + m.share);
    lines.push(
      "HIO's isolate by part (self time):",
      '',
      table(
        ['part', 'share'],
        [...areas.entries()].sort((a, b) => b[1] - a[1]).map(([area, x]) => [area, pct(x)]),
      ),
      '',
      `HIO's top ${top} functions by total time (with what they call; they nest, so shares overlap):`,
      '',
      table(
        ['function', 'module', 'share'],
        hio.times.inclusive.slice(0, top).map((f) => [f.name, f.module, pct(f.share)]),
      ),
      '',
      `HIO's top ${top} functions by self time:`,
      '',
      table(
        ['function', 'module', 'share'],
        hio.times.functions.slice(0, top).map((f) => [f.name, f.module, pct(f.share)]),
      ),
      '',
    );
  }
  lines.push(`Profiles (open in Chrome DevTools or speedscope): ${files.join(', ')}`, '');
  return `${lines.join('\n')}\n`;
}
