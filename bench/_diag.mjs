import { Miniflare } from 'miniflare';
import { spawn } from 'node:child_process';
import { createClient } from './lib/http-client.mjs';
import { migrationStatements, buildWorker } from './lib/build.mjs';
import { loadCampaigns, putConfig, seedVisitor } from './lib/visitor.mjs';
import { median } from './lib/stats.mjs';
const root = process.cwd();
const script = await buildWorker(root, root + '/dist/bench/diag');
const child = spawn(process.execPath, ['bench/origin.mjs'], { stdio: ['pipe', 'pipe', 'inherit'] });
const originUrl = await new Promise((r) => child.stdout.once('data', (d) => r(JSON.parse(String(d)).url)));
const mf = new Miniflare({ modules: true, scriptPath: script, modulesRoot: root + '/dist/bench/diag', compatibilityDate: '2026-04-20', compatibilityFlags: ['nodejs_compat'], kvNamespaces: ['HIO_KV'], d1Databases: ['HIO_DB'], bindings: { ORIGIN_URL: originUrl, HIO_SECRET: 's', HIO_ADMIN_TOKEN: 't', ...JSON.parse(process.env.EXTRA ?? '{}') }, cf: false, port: 0, host: '127.0.0.1' });
const url = String(await mf.ready);
const db = await mf.getD1Database('HIO_DB');
for (const s of await migrationStatements(root)) await db.prepare(s).run();
const c = createClient(url);
await putConfig(c, await loadCampaigns('bench/campaigns.json'), 't');
const cookie = await seedVisitor(c, '/p/20k');
for (const [label, headers, gap] of [['visitor', { cookie }, 0], ['visitor gap20', { cookie }, 20], ['no cookie', {}, 0], ['bot', { 'user-agent': 'Googlebot/2.1' }, 0]]) {
  const lat = [], ttfb = [], st = [];
  for (let i = 0; i < 60; i++) {
    const r = await c.get('/p/20k', { headers });
    lat.push(r.totalMs); ttfb.push(r.ttfbMs);
    const m = /dur=([\d.]+)/.exec(String(r.headers['server-timing'] ?? '')); if (m) st.push(Number(m[1]));
    if (gap) await new Promise((res) => setTimeout(res, gap));
  }
  console.log(label, 'lat', median(lat).toFixed(2), 'ttfb', median(ttfb).toFixed(2), 'server', median(st).toFixed(2));
}
c.close(); await mf.dispose(); child.kill();
