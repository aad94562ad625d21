/**
 * A real shared cache in front of the worker: Debian's nginx with `proxy_cache` and its defaults (it
 * stores nothing `private`, `no-store` or with a `Set-Cookie`, takes freshness from `X-Accel-Expires`,
 * `Cache-Control` or `Expires`, keys on the URL and stores variants by `Vary`), then `wrangler dev`,
 * then an origin whose pages tell every cache, in every dialect, to store them for ten minutes.
 * Visitor A's personalized page must never come out of the cache for visitor B, and the page a known
 * visitor gets without a campaign is stored per cookie (before `Vary: Cookie`, visitor B got A's copy,
 * and a new visitor got it with no cookie at all).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startDevStack } from '../scripts/lib/dev-stack.mjs';

const NGINX = '/usr/sbin/nginx';
const TOKEN = 'cdn-token';
const PAGE =
  '<!doctype html><html><head><title>cdn</title></head><body><section id="hero">origin hero</section></body></html>';
const EVERYONE = {
  version: 1,
  campaigns: [
    {
      id: 'all',
      slot: { selector: '#hero', action: 'replace' },
      variants: [{ id: 'v', html: '<b>visit {{ pageviews }}</b>' }],
    },
  ],
};

interface Stack {
  workerUrl: string;
  stop(): Promise<void>;
}

let origin: Server;
let stack: Stack;
let nginx: ReturnType<typeof spawn> | null = null;
let dir: string;
let cdnUrl: string;

/** An origin that tells every cache, in every dialect, to store its page for ten minutes. */
function startOrigin(port: number): Promise<Server> {
  const srv = createServer(async (_req, res) => {
    await sleep(50);
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'public, max-age=600',
      'x-accel-expires': '600',
      'cdn-cache-control': 'max-age=600',
      'surrogate-control': 'max-age=600',
      expires: new Date(Date.now() + 600_000).toUTCString(),
      'last-modified': 'Wed, 21 Oct 2015 07:28:00 GMT',
      etag: '"v1"',
    });
    res.end(PAGE);
  });
  return new Promise((resolve) => srv.listen(port, '127.0.0.1', () => resolve(srv)));
}

async function startNginx(port: number, workerUrl: string): Promise<void> {
  dir = mkdtempSync(path.join(tmpdir(), 'hio-nginx-'));
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  proxy_cache_path ${dir}/cache levels=1 keys_zone=hio:1m max_size=10m inactive=10m use_temp_path=off;
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass ${workerUrl};
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_cache hio;
      add_header X-Cache-Status $upstream_cache_status always;
    }
  }
}
`,
  );
  nginx = spawn(NGINX, ['-p', dir, '-c', conf, '-e', `${dir}/error.log`], { stdio: 'ignore' });
  cdnUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 40; i++) {
    try {
      await fetch(`${cdnUrl}/__hio/health`);
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error('nginx did not start');
}

async function get(
  cookie?: string,
): Promise<{ status: string; cookie: string | null; body: string; res: Response }> {
  const res = await fetch(`${cdnUrl}/page`, {
    headers: {
      accept: 'text/html',
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0',
      ...(cookie ? { cookie } : {}),
    },
  });
  const set = res.headers.getSetCookie().find((c) => c.startsWith('hio_vid='));
  return {
    status: res.headers.get('x-cache-status') ?? '',
    cookie: set ? (set.split(';')[0] as string) : null,
    body: await res.text(),
    res,
  };
}

async function putConfig(doc: unknown): Promise<void> {
  const res = await fetch(`${stack.workerUrl}/__hio/admin/config`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(doc),
  });
  expect(res.status).toBe(200);
}

describe.skipIf(!existsSync(NGINX))('nginx proxy_cache in front of the worker', () => {
  beforeAll(async () => {
    const [originPort, shopPort, workerPort, cdnPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    origin = await startOrigin(originPort);
    stack = await startDevStack({
      shopPort,
      workerPort,
      adminToken: TOKEN,
      persistTo: true,
      campaigns: EVERYONE,
      vars: { ORIGIN_URL: `http://127.0.0.1:${originPort}` },
    });
    await startNginx(cdnPort, stack.workerUrl);
  }, 120_000);

  afterAll(async () => {
    if (nginx?.pid) nginx.kill('SIGTERM');
    await stack?.stop();
    await new Promise((r) => origin?.close(r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("never serves visitor A's personalized page, or A's cookie, to visitor B", {
    timeout: 60_000,
  }, async () => {
    await putConfig(EVERYONE);
    const a1 = await get();
    expect(a1.body).toContain('data-hio-campaign="all"');
    const cookieA = a1.cookie as string;
    expect(cookieA).toMatch(/^hio_vid=/);
    // A's next pages: personalized, no cookie set; the origin says "store for 10 minutes" (X-Accel-Expires)
    for (let i = 0; i < 2; i++) {
      const a = await get(cookieA);
      expect(a.body).toContain('data-hio-campaign="all"');
      expect(a.status).not.toBe('HIT');
      expect(a.res.headers.get('cache-control')).toBe('private, max-age=600');
    }
    const b = await get();
    expect(b.status).not.toBe('HIT');
    expect(b.cookie).toMatch(/^hio_vid=/);
    expect(b.cookie).not.toBe(cookieA);
  });

  it('stores the page a known visitor gets without a campaign, once per cookie', {
    timeout: 60_000,
  }, async () => {
    await putConfig({ version: 1, campaigns: [] });
    const a1 = await get();
    const cookieA = a1.cookie as string;
    const b1 = await get();
    const cookieB = b1.cookie as string;
    expect([a1.status, b1.status]).not.toContain('HIT');
    // stored once the worker decided before the origin answered (otherwise it streams at once,
    // conservatively private): the origin's 50 ms make that the usual case, as in production
    let stored = false;
    for (let i = 0; i < 5 && !stored; i++) {
      const r = await get(cookieA);
      expect(r.status).toBe('MISS');
      stored = r.res.headers.get('cache-control') === 'public, max-age=600';
    }
    expect(stored).toBe(true);
    const again = await get(cookieA);
    expect(again.status).toBe('HIT');
    expect(again.body).not.toContain('data-hio-campaign');
    // another visitor's cookie is another variant (Vary: Cookie), and a new visitor gets a cookie of its own
    expect((await get(cookieB)).status).toBe('MISS');
    const c = await get();
    expect(c.status).not.toBe('HIT');
    expect(c.cookie).not.toBeNull();
  });
});
