// `npm start`: the demo on a fresh machine. Builds the browser script, starts the demo shop (origin) on
// 127.0.0.1:8788 and the HIO worker (`wrangler dev`, local KV and D1, migrations applied) on 127.0.0.1:8787 in
// front of it, loads examples/shop/campaigns.json and the shop's item catalogue (examples/shop/catalog.mjs, for
// recommendations), prints where to look, and stops everything on Ctrl-C.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { hioCatalogue } from '../examples/shop/catalog.mjs';
import { buildClient, DEMO_CAMPAIGNS, ROOT, startDevStack } from './lib/dev-stack.mjs';

const SHOP_PORT = 8788;
const WORKER_PORT = 8787;

/** Reads KEY=VALUE lines of .dev.vars (which `wrangler dev` reads too), so the demo uses the same values. */
function devVars() {
  const file = path.join(ROOT, '.dev.vars');
  if (!existsSync(file)) return {};
  const vars = {};
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) vars[m[1]] = m[2].replace(/^(["'])(.*)\1$/, '$2');
  }
  return vars;
}

/**
 * The demo document. Every campaign in it is a 50/50 experiment. By default the demo gives all traffic to
 * each campaign's variant, so a walkthrough shows every step of the loop; `npm start -- --ab` (or
 * HIO_DEMO_AB=1) keeps the real splits, for the dashboard with `npm run demo:traffic`.
 */
function demoCampaigns() {
  const doc = JSON.parse(readFileSync(DEMO_CAMPAIGNS, 'utf8'));
  const showVariants = !(process.argv.includes('--ab') || process.env.HIO_DEMO_AB === '1');
  if (showVariants) {
    for (const c of doc.campaigns) {
      // adaptive campaigns learn their shares from traffic: that is what the demo shows of them
      if (c.allocation && c.allocation !== 'ab') continue;
      const first = c.variants.findIndex((v) => v.html !== undefined || v.value !== undefined);
      if (first >= 0) c.weights = c.variants.map((_, i) => (i === first ? 1 : 0));
    }
  }
  return { doc, showVariants };
}

const fileVars = devVars();
// Stable defaults on purpose: a secret that changed on every start would turn every visitor into a new one.
const secret = process.env.HIO_SECRET || fileVars.HIO_SECRET || 'dev-secret-change-me';
const adminToken = process.env.HIO_ADMIN_TOKEN || fileVars.HIO_ADMIN_TOKEN || 'dev-admin-token';

let stack = null;
let stopping = false;

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  // while still starting, exiting is enough: dev-stack's exit hook kills the wrangler process group
  if (stack) {
    console.log('\nStopping the worker and the shop...');
    await stack.stop().catch((err) => console.error(err.message));
  }
  process.exit(code);
}

process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));
process.on('SIGHUP', () => shutdown(0));

const { doc, showVariants } = demoCampaigns();

try {
  console.log('Building the browser script...');
  await buildClient();
  console.log('Applying D1 migrations and starting wrangler dev (local KV and D1)...');
  stack = await startDevStack({
    shopPort: SHOP_PORT,
    workerPort: WORKER_PORT,
    adminToken,
    secret,
    campaigns: doc,
    catalog: hioCatalogue(),
    onOutput: (line) => {
      if (line.trim()) console.log(`[wrangler] ${line}`);
    },
  });
} catch (err) {
  console.error(`\nnpm start failed: ${err.message}`);
  process.exit(1);
}

stack.exited.then(({ code, signal }) => {
  if (stopping) return;
  console.error(
    `\nwrangler dev exited unexpectedly (${signal ?? `exit ${code}`}). Last output:\n${stack.output(40)}`,
  );
  stopping = true;
  stack.stop().finally(() => process.exit(1));
});

const w = stack.workerUrl;
// wrangler dev does not fire cron triggers by itself: run the scheduled handler every minute, as the
// platform does (contextual shares, and every ten minutes bandits, the propensity model and clusters)
const cron = setInterval(() => {
  fetch(`${w}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*`).catch(() => {});
}, 60_000);
cron.unref();
console.log(`
  HIO demo is running.

  Shop with HIO (open this):  ${w}/
  Shop alone (the origin):    ${stack.shopUrl}/
  What HIO knows about you:   ${w}/__hio/me
  Results dashboard:          ${w}/__hio/dashboard
  Admin token:                ${adminToken}

  Campaigns loaded from examples/shop/campaigns.json${showVariants ? ' (every visitor sees the variants; `npm start -- --ab` for the real 50/50 splits)' : ''}.
  Walkthrough: examples/shop/README.md
  Try:  curl -H 'Authorization: Bearer ${adminToken}' ${w}/__hio/admin/results
  The scheduled jobs run every minute (recommendations are learned every ten); \`npm run demo:traffic\`
  also runs them when it is done, so the product pages' "You might also like" follows its co-views.

  Press Ctrl-C to stop.
`);
