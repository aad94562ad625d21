/**
 * The collector of page-declared items on Miniflare's real R2 and D1, with the test origin serving
 * the pages (worker/test/origin.ts, `/pi/...`): pageviews are laid out in the event log as the
 * queue consumer writes them, the job fetches each candidate's page from the origin, and the
 * catalogue is read back. The browser is untrusted: an id the origin's page does not declare never
 * enters the catalogue, an uploaded item is never overwritten, and a failing origin changes nothing.
 */
import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expandRecommendModel } from '../engine/index.ts';
import type { Bindings } from '../env.ts';
import { runScheduled } from '../scheduled.ts';
import { ADMIN, call, emptyEventLog, forgetRecsModel, putConfig } from '../test/helpers.ts';
import {
  COLLECTOR_USER_AGENT,
  type CollectLimits,
  collectPageItems,
  describeCollect,
  pageFacts,
  readHead,
} from './catalog-collect.ts';
import { createCatalogRepo } from './catalog-repo.ts';
import { dayPrefix } from './event-log.ts';
import { dayOf } from './measurement.ts';
import { readRecsModel } from './models.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
// a fixed day long past, so these partitions are this test's own; a ten-minute mark (the cron's)
const NOW = Date.parse('2022-04-20T12:00:00Z');
const ORIGIN = 'http://origin.test';

const job = (now: number, limits: Partial<CollectLimits> = {}) =>
  collectPageItems(env as unknown as Bindings, now, limits);
const repo = () => createCatalogRepo(env.HIO_DB);

/** A page at the test origin: `path` (with its query) answers `html` with `status`. */
async function putPage(path: string, html: string, status = 200, type?: string): Promise<void> {
  const q = new URLSearchParams({ path, status: String(status), ...(type && { type }) });
  const r = await fetch(`${ORIGIN}/__pages?${q}`, { method: 'PUT', body: html });
  expect(r.status).toBe(204);
}
async function originSeen(path: string): Promise<{ hits: number; userAgent: string | null }> {
  return (await fetch(`${ORIGIN}/__pages?${new URLSearchParams({ path })}`)).json();
}

/** A product page's HTML with these head tags. */
function product(opts: {
  item?: string;
  title?: string;
  og?: Record<string, string>;
  category?: string;
  extraHead?: string;
  body?: string;
}): string {
  const meta = [
    opts.item !== undefined && `<meta name="hio:item" content="${opts.item}">`,
    opts.category && `<meta name="hio:category" content="${opts.category}">`,
    ...Object.entries(opts.og ?? {}).map(([k, v]) => `<meta property="${k}" content="${v}">`),
  ]
    .filter(Boolean)
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${opts.title ?? 'A page · Shop'}</title>
${meta}${opts.extraHead ?? ''}</head><body>${opts.body ?? '<h1>Product</h1>'}</body></html>`;
}

type Line = Record<string, unknown>;
let n = 0;
const view = (visitor: string, at: number, item: string, path: string): Line => ({
  at,
  day: dayOf(at),
  visitor,
  t: 'pageview',
  id: `pv${n++}`,
  path,
  item,
});

async function putObject(lines: Line[]): Promise<void> {
  const first = lines[0]?.at as number;
  const hhmm = new Date(first).toISOString().slice(11, 16).replace(':', '');
  const key = `${dayPrefix(dayOf(first))}${hhmm}-${crypto.randomUUID()}.ndjson`;
  await env.HIO_EVENTS.put(key, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
}

const pageRows = () => repo().pageItems();

beforeEach(async () => {
  await emptyEventLog();
  await env.HIO_DB.prepare('DELETE FROM catalog_items').run();
  await env.HIO_DB.prepare('DELETE FROM catalog_page_checks').run();
  await env.HIO_DB.prepare('DELETE FROM erasures').run();
  await forgetRecsModel();
  await fetch(`${ORIGIN}/__pages`, { method: 'DELETE' });
});

describe('collectPageItems', () => {
  it('collects a page with og tags with every field, resolved and normalized', async () => {
    await putPage(
      '/pi/trail-9?utm_source=mail',
      product({
        item: 'trail-9',
        title: 'Trail runner &amp; more · Shop',
        category: 'Running Shoes',
        og: {
          'og:title': 'Trail Runner &quot;9&quot; &#8211; Mk II',
          'og:image': '../img/trail-9.jpg?v=2',
          'og:url': '/pi/trail-9',
          'product:price:amount': '1,299.50',
          'product:availability': 'in stock',
        },
      }),
    );
    await putPage(
      '/pi/sold-out',
      product({
        item: 'sold-out',
        title: 'Sold out jacket · Shop',
        og: {
          'og:image': 'https://cdn.example/j.png',
          'og:price:amount': '99',
          'og:availability': 'oos',
        },
      }),
    );
    const before = await repo().fingerprint();
    await putObject([
      view('v1', NOW - HOUR, 'trail-9', '/pi/trail-9?utm_source=mail#reviews'),
      view('v1', NOW - HOUR + MIN, 'sold-out', '/pi/sold-out'),
    ]);
    const r = await job(NOW);
    expect(r).toMatchObject({ outcome: 'collected', due: 2, checked: 2, fetches: 2, added: 2, refused: 0 });
    expect(await pageRows()).toEqual([
      {
        id: 'sold-out',
        // no og:url, no canonical: the path that declared it
        url: '/pi/sold-out',
        // no og:title: the page's <title>
        title: 'Sold out jacket · Shop',
        image: 'https://cdn.example/j.png',
        price: 99,
        available: false,
        path: '/pi/sold-out',
        checkedAt: NOW,
      },
      {
        id: 'trail-9',
        url: '/pi/trail-9',
        title: 'Trail Runner "9" – Mk II',
        // relative to the page, and a path of the site rather than the origin's address
        image: '/img/trail-9.jpg?v=2',
        price: 1299.5,
        category: 'running-shoes',
        path: '/pi/trail-9?utm_source=mail',
        checkedAt: NOW,
      },
    ]);
    // the page path's catalogue reloads: the fingerprint moved
    expect(await repo().fingerprint()).not.toBe(before);
    // the collector says who it is
    expect((await originSeen('/pi/sold-out')).userAgent).toBe(COLLECTOR_USER_AGENT);
    expect(describeCollect(r)).toContain('2 added');

    // the admin API shows them apart from the upload, which stays as it can be PUT back
    const uploaded = await call('/__hio/admin/catalog', { headers: ADMIN });
    expect(uploaded.headers.get('x-hio-items-declared')).toBe('2');
    expect(await uploaded.json()).toEqual({ items: [] });
    const declared = await call('/__hio/admin/catalog?source=page', { headers: ADMIN });
    const body = (await declared.json()) as { items: { id: string; path: string }[]; checks: unknown[] };
    expect(body.items.map((i) => [i.id, i.path])).toEqual([
      ['sold-out', '/pi/sold-out'],
      ['trail-9', '/pi/trail-9?utm_source=mail'],
    ]);
    expect(body.checks).toEqual([]);
  });

  it('refuses ids the page does not declare: a forged id never enters the catalogue', async () => {
    await putPage('/pi/real', product({ item: 'real-1', title: 'Real' }));
    await putPage('/pi/no-tag', product({ title: 'No tag' }));
    await putObject([
      // a beacon anyone could send: another id for a real product page, an id for a page without one,
      // an id for a page that does not exist, and a full URL of another host (never fetched)
      view('x1', NOW - HOUR, 'forged-1', '/pi/real'),
      view('x1', NOW - HOUR, 'forged-2', '/pi/no-tag'),
      view('x1', NOW - HOUR, 'forged-3', '/pi/nowhere'),
      view('x1', NOW - HOUR, 'forged-4', 'https://evil.example/pi/real'),
      view('x1', NOW - HOUR, 'forged-5', '//evil.example/pi/real'),
      view('x1', NOW - HOUR, 'forged-6', '/__hio/admin/catalog'),
    ]);
    const r = await job(NOW);
    expect(r).toMatchObject({ due: 3, checked: 3, added: 0, refused: 3 });
    expect(r.problems.sort()).toEqual([
      'forged-1: /pi/real: the page declares "real-1", not "forged-1"',
      'forged-2: /pi/no-tag: the page declares no item (hio:item)',
      'forged-3: /pi/nowhere: the origin answered 404',
    ]);
    expect(await pageRows()).toEqual([]);
    // remembered: not fetched again before the refresh period
    const checks = await repo().pageChecks({ activeAt: NOW });
    expect(checks.map((c) => [c.id, c.outcome, c.retryAt])).toEqual(
      expect.arrayContaining([
        ['forged-1', 'refused', NOW + DAY],
        ['forged-2', 'refused', NOW + DAY],
        ['forged-3', 'refused', NOW + DAY],
      ]),
    );
    const hits = (await originSeen('/pi/real')).hits;
    expect(await job(NOW + 10 * MIN)).toMatchObject({ due: 0, fetches: 0 });
    expect((await originSeen('/pi/real')).hits).toBe(hits);
    // the admin API lists the refusals
    const declared = await call('/__hio/admin/catalog?source=page', { headers: ADMIN });
    expect(((await declared.json()) as { checks: unknown[] }).checks).toHaveLength(3);
  });

  it('tries the path that declared an item before a newer forged one, and another path after a bad one', async () => {
    await putPage('/pi/boot', product({ item: 'boot', title: 'Boot' }));
    // the real path seen by two visitors, a forged one more recently by one
    await putObject([
      view('v1', NOW - 2 * HOUR, 'boot', '/pi/boot'),
      view('v2', NOW - 2 * HOUR, 'boot', '/pi/boot'),
      view('x1', NOW - MIN, 'boot', '/pi/not-boot'),
    ]);
    expect(await job(NOW)).toMatchObject({ added: 1, fetches: 1 });
    expect((await pageRows())[0]?.path).toBe('/pi/boot');
    // later, only forged paths in the log: the stored path is checked first and still declares it
    await putObject([
      view('x2', NOW + DAY, 'boot', '/pi/not-boot'),
      view('x3', NOW + DAY, 'boot', '/pi/not-boot'),
      view('x4', NOW + DAY, 'boot', '/pi/not-boot'),
    ]);
    expect(await job(NOW + DAY + HOUR)).toMatchObject({ unchanged: 1, gone: 0, fetches: 1 });
    expect((await pageRows())[0]).toMatchObject({
      id: 'boot',
      path: '/pi/boot',
      checkedAt: NOW + DAY + HOUR,
    });
    // a new id whose best-seen path is forged: its next path is tried in the same run
    await putPage('/pi/hat', product({ item: 'hat', title: 'Hat' }));
    await putObject([
      view('y1', NOW + DAY, 'hat', '/pi/not-hat'),
      view('y2', NOW + DAY, 'hat', '/pi/not-hat'),
      view('y3', NOW + DAY, 'hat', '/pi/hat'),
    ]);
    expect(await job(NOW + DAY + 2 * HOUR)).toMatchObject({ added: 1, fetches: 2, refused: 0 });
    expect((await pageRows()).find((i) => i.id === 'hat')?.path).toBe('/pi/hat');
  });

  it('never overwrites an uploaded item: an upload wins over a page', async () => {
    await putPage('/pi/bag', product({ item: 'bag', title: 'Bag from the page' }));
    await putObject([view('v1', NOW - HOUR, 'bag', '/pi/bag')]);
    expect(await job(NOW)).toMatchObject({ added: 1 });
    // the upload takes the id over
    await repo().replaceUploaded([{ id: 'bag', url: '/bags/bag', title: 'Bag as uploaded' }], NOW + MIN);
    expect(await repo().counts()).toEqual({ upload: 1, page: 0 });
    // and the collector leaves it alone, whenever it runs
    const hits = (await originSeen('/pi/bag')).hits;
    await putObject([view('v2', NOW + 2 * DAY, 'bag', '/pi/bag')]);
    expect(await job(NOW + 2 * DAY + HOUR)).toMatchObject({ due: 0, fetches: 0 });
    expect((await originSeen('/pi/bag')).hits).toBe(hits);
    expect(await repo().list('upload')).toEqual([{ id: 'bag', url: '/bags/bag', title: 'Bag as uploaded' }]);
    // even a write racing with an upload leaves the uploaded row as it is
    await repo().applyPageChecks(
      [
        {
          kind: 'declared',
          item: { id: 'bag', url: '/pi/bag', title: 'Bag from the page' },
          path: '/pi/bag',
          changed: true,
        },
        { kind: 'gone', id: 'bag' },
      ],
      NOW + 3 * DAY,
      0,
    );
    expect(await repo().all()).toEqual([{ id: 'bag', url: '/bags/bag', title: 'Bag as uploaded' }]);
  });

  it('checks a page item again only after the refresh period, and moves the fingerprint only when it changed', async () => {
    await putPage('/pi/coat', product({ item: 'coat', title: 'Coat', og: { 'og:price:amount': '100' } }));
    await putObject([view('v1', NOW - HOUR, 'coat', '/pi/coat')]);
    expect(await job(NOW)).toMatchObject({ added: 1 });
    const first = await repo().fingerprint();
    // the page changes; within the refresh period nothing is fetched
    await putPage('/pi/coat', product({ item: 'coat', title: 'Coat', og: { 'og:price:amount': '80' } }));
    await putObject([view('v2', NOW + 2 * HOUR, 'coat', '/pi/coat')]);
    const hits = (await originSeen('/pi/coat')).hits;
    expect(await job(NOW + 3 * HOUR)).toMatchObject({ due: 0, fetches: 0 });
    expect((await originSeen('/pi/coat')).hits).toBe(hits);
    expect((await pageRows())[0]?.price).toBe(100);
    // after it, the item is checked and updated
    expect(await job(NOW + DAY + 10 * MIN)).toMatchObject({ checked: 1, updated: 1 });
    expect((await pageRows())[0]).toMatchObject({ price: 80, checkedAt: NOW + DAY + 10 * MIN });
    const second = await repo().fingerprint();
    expect(second).not.toBe(first);
    // checked again a day later, unchanged: the page path has nothing to reload
    await putObject([view('v3', NOW + 2 * DAY, 'coat', '/pi/coat')]);
    expect(await job(NOW + 2 * DAY + 20 * MIN)).toMatchObject({ checked: 1, unchanged: 1 });
    expect(await repo().fingerprint()).toBe(second);
  });

  it('makes an item unavailable when its page no longer declares it, and removes items no pageview names', async () => {
    await putPage('/pi/vest', product({ item: 'vest', title: 'Vest' }));
    await putPage('/pi/cap', product({ item: 'cap', title: 'Cap' }));
    await putObject([view('v1', NOW - HOUR, 'vest', '/pi/vest'), view('v1', NOW - HOUR, 'cap', '/pi/cap')]);
    expect(await job(NOW)).toMatchObject({ added: 2 });
    // the vest's page is gone (404); the cap's page declares something else now
    await fetch(`${ORIGIN}/__pages`, { method: 'DELETE' });
    await putPage('/pi/cap', product({ item: 'cap-2', title: 'Cap 2' }));
    await putObject([view('v2', NOW + DAY, 'vest', '/pi/vest'), view('v2', NOW + DAY, 'cap', '/pi/cap')]);
    const before = await repo().fingerprint();
    expect(await job(NOW + DAY + HOUR)).toMatchObject({ checked: 2, gone: 2 });
    expect((await pageRows()).map((i) => [i.id, i.available])).toEqual([
      ['cap', false],
      ['vest', false],
    ]);
    expect(await repo().fingerprint()).not.toBe(before);
    // declared again: available again (the cap's views are out of this run's window of two days)
    await putPage('/pi/vest', product({ item: 'vest', title: 'Vest' }));
    await putObject([view('v3', NOW + 3 * DAY + HOUR, 'vest', '/pi/vest')]);
    expect(await job(NOW + 3 * DAY + 2 * HOUR)).toMatchObject({ checked: 1, updated: 1 });
    expect((await pageRows()).find((i) => i.id === 'vest')?.available).toBeUndefined();
    // 30 days without a pageview naming the cap: it goes; the vest was checked since
    const r = await job(NOW + DAY + HOUR + 30 * DAY + MIN);
    expect(r.removed).toBe(1);
    expect((await pageRows()).map((i) => i.id)).toEqual(['vest']);
  });

  it('leaves the catalogue unchanged when the origin fails, and retries after a while', async () => {
    await putPage('/pi/tent', product({ item: 'tent', title: 'Tent' }));
    await putObject([view('v1', NOW - HOUR, 'tent', '/pi/tent')]);
    expect(await job(NOW)).toMatchObject({ added: 1 });
    const items = await pageRows();
    const fingerprint = await repo().fingerprint();
    // the origin answers 503 for the item's page; a new id's page is slow, another's origin is down
    await putPage('/pi/tent', 'busy', 503);
    await putObject([
      view('v2', NOW + DAY, 'tent', '/pi/tent'),
      view('v2', NOW + DAY, 'slow-1', '/slow?ms=400'),
      view('v2', NOW + DAY, 'down-1', '/down'),
    ]);
    const at = NOW + DAY + HOUR;
    const r = await job(at, { fetchTimeoutMs: 100 });
    expect(r).toMatchObject({ checked: 3, failed: 3, added: 0, updated: 0, gone: 0 });
    expect(r.problems.find((p) => p.startsWith('tent:'))).toBe('tent: the origin answered 503');
    expect(r.problems.find((p) => p.startsWith('slow-1:'))).toMatch(
      /did not answer \((TimeoutError|AbortError)/,
    );
    expect(await pageRows()).toEqual(items);
    expect(await repo().fingerprint()).toBe(fingerprint);
    // not retried within the retry period, retried after it
    expect(await job(at + 30 * MIN)).toMatchObject({ due: 0, fetches: 0 });
    await putPage('/pi/tent', product({ item: 'tent', title: 'Tent, restocked' }));
    expect(await job(at + HOUR + MIN, { fetchTimeoutMs: 100 })).toMatchObject({ updated: 1, failed: 2 });
    expect((await pageRows())[0]?.title).toBe('Tent, restocked');
  });

  it('skips invalid items with a reason and leaves out invalid optional fields', async () => {
    await putPage('/pi/untitled', product({ item: 'untitled', title: '   ' }));
    await putPage(
      '/pi/odd',
      product({
        item: 'odd',
        title: `${'Very long title '.repeat(20)}end`,
        category: '  ',
        og: { 'og:image': 'javascript:alert(1)', 'og:price:amount': 'call us' },
      }),
    );
    await putObject([
      view('v1', NOW - HOUR, 'untitled', '/pi/untitled'),
      view('v1', NOW - HOUR, 'odd', '/pi/odd'),
    ]);
    const r = await job(NOW);
    expect(r).toMatchObject({ added: 1, invalid: 1 });
    expect(r.problems).toEqual([
      'odd: image: og:image is no http(s) link; left out',
      'odd: price: "call us" is not a price; left out',
      'untitled: /pi/untitled: the page has no title (og:title or <title>)',
    ]);
    const [odd] = await pageRows();
    expect(odd).toMatchObject({ id: 'odd', url: '/pi/odd' });
    expect(odd?.title).toHaveLength(200);
    expect(odd?.title.endsWith('…')).toBe(true);
    expect(odd).not.toHaveProperty('image');
    expect(odd).not.toHaveProperty('price');
    expect(odd).not.toHaveProperty('category');
  });

  it('respects its bounds: ids and fetches per run, page items in the catalogue, log objects', async () => {
    const lines: Line[] = [];
    for (let i = 0; i < 30; i++) {
      const id = `item-${String(i).padStart(2, '0')}`;
      await putPage(`/pi/${id}`, product({ item: id, title: `Item ${i}` }));
      // more visitors for the lower numbers: they come first
      for (let v = 0; v <= 30 - i; v++) lines.push(view(`v${v}`, NOW - HOUR, id, `/pi/${id}`));
    }
    await putObject(lines);
    const r = await job(NOW);
    expect(r).toMatchObject({ due: 30, checked: 25, fetches: 25, added: 25 });
    expect((await pageRows()).map((i) => i.id)).toContain('item-00');
    expect((await pageRows()).map((i) => i.id)).not.toContain('item-29');
    // the next run takes the rest
    expect(await job(NOW + 10 * MIN)).toMatchObject({ due: 5, added: 5 });

    // a fetch bound below the candidates: the rest wait for the next run, unchecked
    await env.HIO_DB.prepare('DELETE FROM catalog_items').run();
    expect(await job(NOW + 20 * MIN, { maxFetches: 4 })).toMatchObject({ due: 30, checked: 4, fetches: 4 });
    // a full catalogue: new ids wait, page items already in are still refreshed
    expect(await job(NOW + 30 * MIN, { maxPageItems: 6 })).toMatchObject({ due: 2, added: 2, full: 24 });
    expect(await repo().counts()).toEqual({ upload: 0, page: 6 });

    // the log: at most maxObjects objects, the newest first
    await env.HIO_DB.prepare('DELETE FROM catalog_items').run();
    for (let i = 0; i < 4; i++) await putObject([view('w', NOW + i * MIN, `late-${i}`, `/pi/late-${i}`)]);
    const bounded = await job(NOW + HOUR, { maxObjects: 2, maxCandidates: 0 });
    expect(bounded).toMatchObject({ objects: 2, truncated: true, due: 2 });
  });

  it('runs in the scheduled job before the recommendation model learns, and on POST /__hio/admin/train', async () => {
    expect((await putConfig({ version: 1, campaigns: [] })).status).toBe(200);
    // one uploaded item, one only a page declares
    await repo().replaceUploaded([{ id: 'up', url: '/pi/up', title: 'Uploaded' }], NOW - DAY);
    await putPage(
      '/pi/new',
      product({ item: 'new', title: 'New on the site', og: { 'og:price:amount': '10' } }),
    );
    for (const v of ['v1', 'v2', 'v3'])
      await putObject([view(v, NOW - HOUR, 'up', '/pi/up'), view(v, NOW - HOUR + MIN, 'new', '/pi/new')]);
    await runScheduled(env as unknown as Bindings, NOW);
    expect((await pageRows()).map((i) => i.id)).toEqual(['new']);
    // learned in the same run: the page item is the uploaded one's neighbour
    const compact = await readRecsModel(env.HIO_KV);
    const model = compact && expandRecommendModel(compact);
    expect(model?.neighbours.up?.map(([id]) => id)).toEqual(['new']);
    // the route collects too (with the real clock, today's partitions hold nothing) and says so
    const res = await call('/__hio/admin/train', { method: 'POST', headers: ADMIN });
    const body = (await res.json()) as { pageItems: { outcome: string; due: number } };
    expect(body.pageItems).toMatchObject({ outcome: 'collected', due: 0 });
  });
});

describe('reading a page', () => {
  const enc = new TextEncoder();
  /** A body of `chunks` pieces, counting how many were pulled. */
  function counted(chunks: string[]) {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(c) {
          if (pulled >= chunks.length) return c.close();
          c.enqueue(enc.encode(chunks[pulled++]));
        },
      },
      { highWaterMark: 0 },
    );
    return { body, pulled: () => pulled };
  }

  it('stops at </head>, even split across chunks, and at the byte bound', async () => {
    const s = counted(['<html><head><title>x</title></he', 'ad><body>', 'never read', 'nor this']);
    const head = await readHead(s.body, 1024);
    expect(new TextDecoder().decode(head)).toBe('<html><head><title>x</title></head');
    expect(s.pulled()).toBe(2);
    const big = counted(Array.from({ length: 100 }, () => 'x'.repeat(1000)));
    expect((await readHead(big.body, 4096)).length).toBe(4096);
    expect(big.pulled()).toBe(5);
  });

  it('reads the facts of the first title and the first of each tag', async () => {
    const facts = await pageFacts(
      enc.encode(
        '<head><title>One &amp; two</title><title>Second</title><meta name="HIO:ITEM" content="a"><meta name="hio:item" content="b">' +
          '<link rel="alternate canonical" href="/c"><meta property="og:image:url" content="/i.png"><meta property="og:image" content="/j.png"></head>',
      ),
      'text/html; charset=utf-8',
    );
    expect(facts).toEqual({ title: 'One &amp; two', item: 'a', canonical: '/c', image: '/i.png' });
  });
});
