/**
 * The privacy page in Chromium: the demo shop behind the worker under `wrangler dev` (with the page's
 * form routes, see support/privacy-entry.mjs). A visitor browses, opens `/__hio/me`, reads what is stored
 * and why, turns personalization off and on, and erases everything; a form posted from another site is
 * refused and changes nothing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShop } from '../examples/shop/server.mjs';
import { freePort, ROOT, runWrangler, WRANGLER_ENV } from '../scripts/lib/dev-stack.mjs';
import { launchBrowser } from './support/browser.ts';

const TOKEN = 'privacy-admin-token';
const DOC = {
  version: 1,
  holdout: 0,
  campaigns: [
    {
      id: 'hero-live',
      slot: { selector: '#hero', action: 'replace' },
      variants: [{ id: 'bold', html: '<section id="hero"><h1>Hello again</h1></section>' }],
      goals: ['purchase'],
    },
    {
      id: 'secret-draft-sale',
      status: 'draft',
      slot: { selector: '#hero', action: 'replace' },
      variants: [{ id: 'seventy-off', html: '<p>70% off</p>' }],
    },
  ],
};

let shop: { url: string; close(): Promise<void> };
let wrangler: ReturnType<typeof spawn>;
let exited: Promise<void>;
let persist: string;
let workerUrl: string;
let other: Server;
let otherUrl: string;
let browser: Browser;
let context: BrowserContext;
let tab: Page;
let output = '';

async function startWorker(): Promise<void> {
  persist = mkdtempSync(path.join(tmpdir(), 'hio-privacy-'));
  await runWrangler(['d1', 'migrations', 'apply', 'hio', '--local', '--persist-to', persist]);
  const port = await freePort();
  wrangler = spawn(
    process.execPath,
    [
      path.join(ROOT, 'node_modules/wrangler/bin/wrangler.js'),
      'dev',
      'test/support/privacy-entry.mjs',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-port',
      String(await freePort()),
      '--show-interactive-dev-session=false',
      '--log-level',
      'warn',
      '--persist-to',
      persist,
      ...['ORIGIN_URL', shop.url, 'HIO_SECRET', 'privacy-secret', 'HIO_ADMIN_TOKEN', TOKEN].flatMap(
        (v, i, a) => (i % 2 ? [] : ['--var', `${v}:${a[i + 1]}`]),
      ),
    ],
    {
      cwd: ROOT,
      env: { ...process.env, ...WRANGLER_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  const keep = (c: Buffer) => {
    output = (output + c.toString()).slice(-4000);
  };
  wrangler.stdout?.on('data', keep);
  wrangler.stderr?.on('data', keep);
  exited = new Promise((resolve) => wrangler.once('exit', () => resolve()));
  workerUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (wrangler.exitCode !== null) throw new Error(`wrangler dev exited:\n${output}`);
    const ok = await fetch(`${workerUrl}/__hio/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`the worker did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const put = await fetch(`${workerUrl}/__hio/admin/config`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(DOC),
  });
  if (!put.ok) throw new Error(`PUT config: ${put.status} ${await put.text()}`);
}

async function stopWorker(): Promise<void> {
  if (wrangler?.pid && wrangler.exitCode === null) {
    try {
      process.kill(-wrangler.pid, 'SIGTERM');
    } catch {}
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    try {
      process.kill(-wrangler.pid, 'SIGKILL');
    } catch {}
  }
  if (persist) rmSync(persist, { recursive: true, force: true });
}

/** The stored profile of the visitor whose cookie is `cookie`, through the JSON API. */
async function storedOf(cookie: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${workerUrl}/__hio/me`, { headers: { cookie, accept: 'application/json' } });
  return ((await res.json()) as { stored?: Record<string, unknown> }).stored ?? {};
}

async function visitorCookie(): Promise<string> {
  const c = (await context.cookies(workerUrl)).find((x) => x.name === 'hio_vid');
  if (!c) throw new Error('no hio_vid cookie');
  return `hio_vid=${c.value}`;
}

describe('the privacy page in Chromium', () => {
  beforeAll(async () => {
    shop = await startShop({ port: await freePort(), host: '127.0.0.1' });
    await startWorker();
    // another site, for the cross-site form
    other = createServer((_req, res) => {
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(
          `<!doctype html><form id="f" method="post" action="${workerUrl}/__hio/me/erase"><button>win a prize</button></form>`,
        );
    });
    await new Promise<void>((resolve) => other.listen(0, 'localhost', resolve));
    const address = other.address();
    otherUrl = `http://localhost:${typeof address === 'object' && address ? address.port : 0}`;
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
    tab = await context.newPage();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await stopWorker();
    other?.closeAllConnections();
    await new Promise((r) => other?.close(r));
    await shop?.close();
  });

  it('shows what is stored and why, switches personalization off and on, and erases everything', {
    timeout: 90_000,
  }, async () => {
    const errors: string[] = [];
    tab.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await tab.goto(`${workerUrl}/`);
    await tab.goto(`${workerUrl}/c/shoes`);
    const cookie = await visitorCookie();
    // the browser script reports the pages when they are left
    await tab.goto(`${workerUrl}/`);
    // (each page's batch may arrive on the next page load, when the page that sent it is gone)
    await expect
      .poll(async () => (await storedOf(cookie)).pv ?? 0, { timeout: 20_000 })
      .toBeGreaterThanOrEqual(2);
    await expect.poll(async () => (await storedOf(cookie))['i.shoes'] ?? 0, { timeout: 20_000 }).not.toBe(0);

    // as from a link in the site's footer
    const res = await tab.goto(`${workerUrl}/__hio/me`, { referer: `${workerUrl}/c/shoes` });
    expect(res?.headers()['content-type']).toBe('text/html; charset=utf-8');
    expect(res?.headers()['content-security-policy']).toMatch(/default-src 'none'/);
    expect(await tab.locator('h1').textContent()).toBe('Your data and personalization on this site');
    const text = ((await tab.locator('body').textContent()) ?? '').replace(/\s+/g, ' ');
    expect(text).toMatch(/Visits: 1/);
    expect(text).toMatch(/Pages viewed: [2-9]/);
    expect(text).toMatch(/Interests: shoes/);
    expect(text).toContain('For the page /c/shoes, each campaign running on this site:');
    expect(text).toContain('hero-live: You see version "bold" of this campaign.');
    expect(text).toContain('Campaigns you are in: hero-live (version "bold")');
    expect(text).not.toContain('secret-draft-sale');
    expect(text).toContain('Personalization is on for this browser.');
    expect(await tab.evaluate(() => document.scripts.length)).toBe(0);

    await tab.getByRole('button', { name: 'Turn personalization off for this browser' }).click();
    await tab.waitForURL(`${workerUrl}/__hio/me`);
    expect((await tab.locator('body').textContent()) ?? '').toContain('you turned it off');
    expect((await context.cookies(workerUrl)).find((c) => c.name === 'hio_optout')?.value).toBe('1');
    await tab.getByRole('button', { name: 'Turn personalization back on' }).click();
    await tab.waitForURL(`${workerUrl}/__hio/me`);
    expect((await tab.locator('body').textContent()) ?? '').toContain(
      'Personalization is on for this browser.',
    );
    expect((await context.cookies(workerUrl)).some((c) => c.name === 'hio_optout')).toBe(false);

    // another site's form: refused, nothing erased
    const evil = await context.newPage();
    await evil.goto(otherUrl);
    const [refused] = await Promise.all([
      evil.waitForResponse((r) => r.url().endsWith('/__hio/me/erase')),
      evil.click('button'),
    ]);
    expect(refused.status()).toBe(403);
    await evil.close();
    expect(Object.keys(await storedOf(cookie)).length).toBeGreaterThan(0);
    expect((await context.cookies(workerUrl)).some((c) => c.name === 'hio_vid')).toBe(true);

    await tab.getByRole('button', { name: 'Erase everything HIO stores about me' }).click();
    await tab.waitForURL(`${workerUrl}/__hio/me/erase`);
    expect(await tab.locator('h1').textContent()).toBe('Everything is erased');
    expect((await context.cookies(workerUrl)).some((c) => c.name === 'hio_vid')).toBe(false);
    expect(await storedOf(cookie)).toEqual({});
    await tab.getByRole('link', { name: 'Back to the privacy page' }).click();
    expect((await tab.locator('body').textContent()) ?? '').toContain('HIO has nothing stored about you');
    expect(errors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
  });
});
