/**
 * Measurement at scale under `wrangler dev`: pages and beacons go through the local queue (HIO_QUEUE) to
 * D1 and the local R2 event log (HIO_EVENTS), and `npm run export` (scripts/export.mjs) writes the results
 * and the day's events, without the visitor who erased their data.
 */
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../scripts/lib/dev-stack.mjs';
import { DESKTOP_UA } from './support/browser.ts';
import { type TestStack, useDevStack } from './support/dev-stack.ts';

const run = promisify(execFile);
const TOKEN = 'export-e2e-token';
const DOC = {
  version: 1,
  holdout: 0,
  campaigns: [
    {
      id: 'export-hero',
      slot: { selector: '#hero', action: 'replace' },
      variants: [{ id: 'control' }, { id: 'bold', html: '<div>Free shipping</div>' }],
      goals: ['purchase'],
    },
  ],
};

let stack: TestStack;
let dir: string;

const today = () => new Date().toISOString().slice(0, 10);
const idOf = (cookie: string) => cookie.slice('hio_vid='.length).split('.')[0] as string;
/** The event log's pseudonym of a visitor (db/event-log.ts): HMAC-SHA256 under the derived key. */
const pseudonym = (id: string) =>
  createHmac('sha256', `hio-event-log:v1:${stack.secret}`).update(id).digest('base64url');

async function visit(n: number): Promise<string> {
  const res = await fetch(`${stack.workerUrl}/`, {
    headers: { 'user-agent': DESKTOP_UA, accept: 'text/html' },
  });
  expect(res.status).toBe(200);
  await res.text();
  const cookie = res.headers
    .getSetCookie()
    .find((c) => c.startsWith('hio_vid='))
    ?.split(';')[0] as string;
  expect(cookie).toBeTruthy();
  // the page's assignment is stored after its response (waitUntil); the conversion is attributed to it
  await new Promise((r) => setTimeout(r, 300));
  const beacon = await fetch(`${stack.workerUrl}/__hio/collect`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', cookie, 'user-agent': DESKTOP_UA },
    body: JSON.stringify({
      v: 1,
      events: [
        { t: 'pageview', id: `pv-export-${n}`, path: '/' },
        { t: 'conversion', id: `cv-export-${n}`, goal: 'purchase', value: 20 },
      ],
    }),
  });
  expect(beacon.status).toBe(204);
  return cookie;
}

async function poll<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 45_000;
  let v = await read();
  while (!ok(v)) {
    if (Date.now() > deadline) throw new Error(`${what} did not arrive:\n${stack.output(40)}`);
    await new Promise((r) => setTimeout(r, 500));
    v = await read();
  }
  return v;
}

describe('measurement through the queue, and npm run export, under wrangler dev', () => {
  stack = useDevStack({ campaigns: DOC, adminToken: TOKEN, startTimeoutMs: 120_000 });
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'hio-export-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('delivers rows and events, and exports both without an erased visitor', {
    timeout: 120_000,
  }, async () => {
    const cookies = [await visit(1), await visit(2), await visit(3)];
    const erased = cookies[2] as string;

    type Results = {
      campaigns: {
        id: string;
        variants: { visitors: number; goals: Record<string, { conversions: number }> }[];
      }[];
    };
    const results = async () => (await (await stack.admin('/__hio/admin/results')).json()) as Results;
    const totals = (r: Results) => {
      const c = r.campaigns.find((x) => x.id === 'export-hero');
      return {
        visitors: c?.variants.reduce((s, v) => s + v.visitors, 0) ?? 0,
        conversions: c?.variants.reduce((s, v) => s + (v.goals.purchase?.conversions ?? 0), 0) ?? 0,
      };
    };
    // the rows reach D1 through the queue's consumer, a batch timeout after the requests
    expect(totals(await poll(results, (r) => totals(r).conversions === 3, 'the queued rows'))).toEqual({
      visitors: 3,
      conversions: 3,
    });
    const dayLines = async () =>
      (await (await stack.admin(`/__hio/admin/events?day=${today()}`)).text()).split('\n').filter(Boolean);
    expect(await poll(dayLines, (l) => l.length === 6, 'the event log')).toHaveLength(6);

    const del = await fetch(`${stack.workerUrl}/__hio/me`, {
      method: 'DELETE',
      headers: { cookie: erased, 'user-agent': DESKTOP_UA },
    });
    expect(del.status).toBe(200);
    expect(totals(await results())).toEqual({ visitors: 2, conversions: 2 });

    const out = path.join(dir, 'out');
    const r = await run(
      process.execPath,
      [
        path.join(ROOT, 'scripts/export.mjs'),
        ...['--from', today(), '--to', today(), '--out', out, '--url', stack.workerUrl, '--token', TOKEN],
      ],
      { cwd: ROOT },
    );
    expect(r.stdout).toContain('4 events over 1 day(s)');
    const report = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as Results;
    expect(totals(report)).toEqual({ visitors: 2, conversions: 2 });
    expect(readFileSync(path.join(out, 'results.csv'), 'utf8')).toContain('export-hero');
    const lines = readFileSync(path.join(out, `events-${today()}_${today()}.ndjson`), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { visitor: string; t: string; id: string; day: string });
    expect(lines).toHaveLength(4);
    expect(new Set(lines.map((l) => l.visitor))).toEqual(
      new Set(cookies.slice(0, 2).map((c) => pseudonym(idOf(c)))),
    );
    expect(lines.every((l) => l.day === today())).toBe(true);
    expect(lines.map((l) => l.id).sort()).toEqual([
      'cv-export-1',
      'cv-export-2',
      'pv-export-1',
      'pv-export-2',
    ]);

    // a bad range is refused with one clear line
    const bad = await run(
      process.execPath,
      [path.join(ROOT, 'scripts/export.mjs'), '--from', '2026-02-30', '--to', today(), '--token', TOKEN],
      {
        cwd: ROOT,
      },
    ).catch((e: { code: number; stderr: string }) => e);
    expect('code' in bad ? bad.code : 0).toBe(1);
    expect('stderr' in bad ? bad.stderr : '').toMatch(/--from must be a date/);
  });
});
