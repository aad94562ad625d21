import { Miniflare } from 'miniflare';
import { spawn } from 'node:child_process';
import { createClient } from './lib/http-client.mjs';
import { median } from './lib/stats.mjs';
const root = process.cwd();
const child = spawn(process.execPath, ['bench/origin.mjs'], { stdio: ['pipe', 'pipe', 'inherit'] });
const originUrl = await new Promise((r) => child.stdout.once('data', (d) => r(JSON.parse(String(d)).url)));
const mf = new Miniflare({ modules: true, scriptPath: 'bench/_kvdiag.js', compatibilityDate: '2026-04-20', kvNamespaces: ['HIO_KV'], bindings: { ORIGIN_URL: originUrl }, cf: false, port: 0, host: '127.0.0.1' });
const url = String(await mf.ready);
const c = createClient(url);
for (let rep = 0; rep < 2; rep++)
for (const mode of ['floor', 'get', 'put']) {
  const lat = [], ttfb = [], st = [];
  for (let i = 0; i < 80; i++) {
    const r = await c.get('/p/20k?mode=' + mode);
    lat.push(r.totalMs); ttfb.push(r.ttfbMs);
    const m = /dur=([\d.]+)/.exec(String(r.headers['server-timing'] ?? '')); if (m) st.push(Number(m[1]));
  }
  console.log(mode, 'lat', median(lat).toFixed(2), 'ttfb', median(ttfb).toFixed(2), 'kv', median(st).toFixed(2));
}
c.close(); await mf.dispose(); child.kill();
