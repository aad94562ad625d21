/**
 * `npm run campaigns -- check|pull|push`: the offline lint agrees with what the worker refuses, and
 * pull/push go through the admin API of a real worker (`wrangler dev`) with If-Match, so a document
 * someone saved in between is not overwritten.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDocument, pull, push } from '../scripts/campaigns.mjs';
import { DEMO_CAMPAIGNS, freePort, ROOT, startDevStack } from '../scripts/lib/dev-stack.mjs';

const run = promisify(execFile);
const TOKEN = 'campaigns-cli-token';
let stack: { workerUrl: string; stop(): Promise<void> };
let dir: string;

const demo = () => JSON.parse(readFileSync(DEMO_CAMPAIGNS, 'utf8'));

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run(process.execPath, [path.join(ROOT, 'scripts/campaigns.mjs'), ...args], { cwd: ROOT });
    return { code: 0, out: r.stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, out: e.stdout };
  }
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'hio-campaigns-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('campaigns check (offline)', () => {
  it('passes the demo document with no errors or warnings', async () => {
    const r = await cli('check', DEMO_CAMPAIGNS);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/: 0 errors, 0 warnings, \d+ notes/);
  });

  it('fails on a selector a streaming parser cannot match and warns about a shadowed campaign', async () => {
    const doc = {
      version: 1,
      campaigns: [
        {
          id: 'last',
          slot: { selector: 'ul li:last-child', action: 'replace' },
          variants: [{ id: 'control' }, { id: 'b', html: 'x' }],
        },
        {
          id: 'everyone',
          priority: 9,
          slot: { selector: '#hero', action: 'replace' },
          variants: [{ id: 'control' }, { id: 'b', html: 'Hi {{ firstname }}' }],
        },
        {
          id: 'hidden',
          slot: { selector: '#hero', action: 'replace' },
          variants: [{ id: 'control' }, { id: 'b', html: 'y' }],
        },
      ],
    };
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify(doc));
    const r = await cli('check', file);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      'error: campaigns[0].slot.selector: campaign "last": selector "ul li:last-child"',
    );
    expect(r.out).toContain('warning: campaigns[2]: campaign "hidden" is never shown');
    expect(r.out).toContain('{{ firstname }}');
    expect(r.out).toContain('1 errors, 2 warnings');
  });

  it('reports schema problems with their paths and invalid JSON', async () => {
    expect(
      (await checkDocument('{"version":1,"campaigns":[{"id":"a","colour":1}]}')).problems,
    ).toContainEqual(expect.stringContaining('campaigns.0.colour: unknown field'));
    expect((await checkDocument('{')).problems[0]).toMatch(/not valid JSON/);
  });
});

describe('campaigns pull/push against the worker', () => {
  beforeAll(async () => {
    stack = await startDevStack({
      shopPort: await freePort(),
      workerPort: await freePort(),
      campaigns: demo(),
      persistTo: true,
      adminToken: TOKEN,
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('pulls the live document, pushes an edit with If-Match, and refuses a push over a newer save', async () => {
    const opts = { url: stack.workerUrl, token: TOKEN };
    const file = path.join(dir, 'live.json');
    const { etag } = await pull(file, opts);
    expect(etag).toMatch(/^"v\d+"$/);
    expect(readFileSync(`${file}.etag`, 'utf8').trim()).toBe(etag);
    const pulled = JSON.parse(readFileSync(file, 'utf8'));
    expect(pulled.campaigns.map((c: { id: string }) => c.id)).toEqual(
      demo().campaigns.map((c: { id: string }) => c.id),
    );

    // an edit that shadows a campaign: accepted, and the worker's warnings come back beside the 200
    pulled.campaigns.push({
      id: 'cli-everyone',
      priority: 1000,
      slot: { selector: '#hero', action: 'replace' },
      variants: [{ id: 'control' }, { id: 'b', html: '<p>hello</p>' }],
    });
    writeFileSync(file, JSON.stringify(pulled));
    const ok = await push(file, opts);
    expect(ok.status).toBe(200);
    expect(ok.warnings.some((w: { code: string }) => w.code === 'shadowed')).toBe(true);
    expect(readFileSync(`${file}.etag`, 'utf8').trim()).toBe(`"v${ok.version}"`);

    // someone else saves meanwhile: a push on the old version is refused and the live one stays
    const other = path.join(dir, 'other.json');
    await pull(other, opts);
    const theirs = JSON.parse(readFileSync(other, 'utf8'));
    theirs.holdout = 0.01;
    writeFileSync(other, JSON.stringify(theirs));
    expect((await push(other, opts)).status).toBe(200);
    const stale = await push(file, opts);
    expect(stale.status).toBe(412);
    const live = await fetch(`${stack.workerUrl}/__hio/admin/config`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    }).then((r) => r.json());
    expect(live.holdout).toBe(0.01);
    // --force replaces whatever is live
    expect((await push(file, { ...opts, force: true })).status).toBe(200);
  });

  it('does not push a document the lint refuses, and the CLI says why', async () => {
    const file = path.join(dir, 'refused.json');
    writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        campaigns: [
          {
            id: 'x',
            slot: { selector: 'h1 + p', action: 'replace' },
            variants: [{ id: 'control' }, { id: 'b', html: 'x' }],
          },
        ],
      }),
    );
    const r = await cli('push', file, '--url', stack.workerUrl, '--token', TOKEN);
    expect(r.code).toBe(1);
    expect(r.out).toContain('sibling combinator');
  });
});
