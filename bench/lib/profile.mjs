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
 * Opens a DevTools protocol session on the user worker `workerName` of a Miniflare instance started
 * with `inspectorPort`. Resolves to `{ send(method, params), close() }`.
 */
export async function openInspector(mf, workerName) {
  const WebSocket = loadWebSocket();
  const base = await mf.getInspectorURL();
  const list = await (await fetch(`http://${base.host}/json`)).json();
  const entry = list.find((t) => t.id === `core:user:${workerName}`);
  if (!entry) throw new Error(`no inspector target core:user:${workerName} (have ${list.map((t) => t.id)})`);
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

/** A CPU profile (DevTools `Profiler.Profile`) of whatever `run()` makes the worker do. */
export async function cpuProfile(session, run, intervalUs = 100) {
  await session.send('Profiler.enable');
  await session.send('Profiler.setSamplingInterval', { interval: intervalUs });
  await session.send('Profiler.start');
  let profile;
  try {
    await run();
  } finally {
    // stop whatever happened, so the isolate does not keep sampling
    ({ profile } = await session.send('Profiler.stop'));
  }
  await session.send('Profiler.disable');
  return profile;
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
 * Self time of a profile per function and per module, in ms, busiest first; `(idle)` is left out of
 * the shares. `moduleOf(url, line)` names a frame's module.
 */
export function selfTimes(profile, moduleOf) {
  const self = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    // a sample's delta is the time since the previous one: it belongs to the sample before it
    const dt = timeDeltas[i + 1] ?? 0;
    self.set(samples[i], (self.get(samples[i]) ?? 0) + dt);
  }
  const fns = new Map();
  const mods = new Map();
  let activeUs = 0;
  let idleUs = 0;
  for (const node of profile.nodes) {
    const us = self.get(node.id) ?? 0;
    if (!us) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    activeUs += us;
    const pseudo = PSEUDO.has(functionName);
    const module = pseudo ? functionName : url ? moduleOf(url, lineNumber) : '(native)';
    const name = pseudo ? functionName : functionName || '(anonymous)';
    const key = `${name}\u0000${module}\u0000${pseudo ? '' : lineNumber}`;
    const f = fns.get(key) ?? { name, module, line: pseudo || !url ? null : lineNumber + 1, us: 0 };
    f.us += us;
    fns.set(key, f);
    mods.set(module, (mods.get(module) ?? 0) + us);
  }
  const share = (us) => (activeUs ? us / activeUs : 0);
  const ms = (us) => us / 1000;
  return {
    activeMs: ms(activeUs),
    idleMs: ms(idleUs),
    functions: [...fns.values()]
      .sort((a, b) => b.us - a.us)
      .map((f) => ({ name: f.name, module: f.module, line: f.line, ms: ms(f.us), share: share(f.us) })),
    modules: [...mods.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([module, us]) => ({ module, ms: ms(us), share: share(us) })),
  };
}

/** Groups HIO's source modules into the parts of its page path; packages and pseudo-frames stay as they are. */
export function areaOf(module) {
  if (module === '(program)') return '(program): native work outside JS (HTMLRewriter parser, streams, I/O)';
  if (module === '(garbage collector)') return '(garbage collector)';
  if (module === '(native)')
    return 'runtime built-ins called from JS (Request, Headers, URL, KV get, rewriter API)';
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
 * The Markdown report of a profiling run: per page size, each worker's CPU per page (its process, and
 * its isolate as the profile saw it), then HIO's time per part of the page path, per module, and its
 * top functions by self time. `runs`: `{ worker, size, label, pages, processMsPerPage, times }`.
 */
export function renderProfiles(runs, { top = 15, command, files }) {
  const lines = [`## Where the CPU goes: \`${command}\``, ''];
  const sizes = [...new Set(runs.map((r) => r.size))];
  for (const size of sizes) {
    const here = runs.filter((r) => r.size === size);
    const hio = here.find((r) => r.worker === 'hio');
    lines.push(
      `### ${here[0].label}`,
      '',
      table(
        [
          'worker',
          'pages',
          'process CPU ms/page (profiling on)',
          'isolate active ms/page',
          'of which (program)',
          'GC',
        ],
        here.map((r) => {
          const part = (name) => (r.times.modules.find((m) => m.module === name)?.ms ?? 0) / r.pages;
          return [
            r.worker,
            String(r.pages),
            ms3(r.processMsPerPage),
            ms3(r.times.activeMs / r.pages),
            ms3(part('(program)')),
            ms3(part('(garbage collector)')),
          ];
        }),
      ),
      '',
    );
    if (!hio) continue;
    const areas = new Map();
    for (const m of hio.times.modules) areas.set(areaOf(m.module), (areas.get(areaOf(m.module)) ?? 0) + m.ms);
    lines.push(
      "HIO's isolate by part (self time):",
      '',
      table(
        ['part', 'ms/page', 'share'],
        [...areas.entries()]
          .sort((a, b) => b[1] - a[1])
          .map(([area, ms]) => [area, ms3(ms / hio.pages), pct(ms / hio.times.activeMs)]),
      ),
      '',
      `HIO's top ${top} functions by self time:`,
      '',
      table(
        ['function', 'module', 'ms/page', 'share'],
        hio.times.functions.slice(0, top).map((f) => [f.name, f.module, ms3(f.ms / hio.pages), pct(f.share)]),
      ),
      '',
    );
  }
  lines.push(`Profiles (open in Chrome DevTools or speedscope): ${files.join(', ')}`, '');
  return `${lines.join('\n')}\n`;
}
