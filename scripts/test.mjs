#!/usr/bin/env node
/**
 * `npm test`: provisions what the suite needs on a fresh machine (Debian's redis-server and chromium,
 * installed with apt-get when missing and we are root), builds the browser script, and runs every
 * vitest project. Fails with one clear line when something cannot be provisioned.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const needs = [
  { pkg: 'redis-server', present: () => which('redis-server') },
  { pkg: 'chromium', present: () => existsSync('/usr/bin/chromium') },
  // a real shared cache in front of the worker (test/cdn-nginx.test.ts)
  { pkg: 'nginx', present: () => existsSync('/usr/sbin/nginx') },
];

function which(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

const missing = needs.filter((n) => !n.present()).map((n) => n.pkg);
if (missing.length) {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !which('apt-get')) {
    console.error(
      `npm test: missing ${missing.join(' and ')}: run \`sudo apt-get install -y ${missing.join(' ')}\``,
    );
    process.exit(1);
  }
  console.log(`npm test: installing ${missing.join(', ')} with apt-get`);
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', ...missing], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch {
    console.error(`npm test: could not install ${missing.join(' ')} with apt-get`);
    process.exit(1);
  }
}

const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  WRANGLER_HIDE_BANNER: 'true',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  UPSTASH_DISABLE_TELEMETRY: '1',
};

const build = spawnSync(process.execPath, ['scripts/build-client.mjs'], { stdio: 'inherit', env });
if (build.status !== 0) process.exit(build.status ?? 1);

const vitest = spawnSync('npx', ['vitest', 'run', ...process.argv.slice(2)], { stdio: 'inherit', env });
process.exit(vitest.status ?? 1);
