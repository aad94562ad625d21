#!/usr/bin/env node
// Exports measurement from a running worker into files:
//
//   npm run export -- --from 2026-04-01 --to 2026-04-30 [--out dir] [--url URL] [--token TOKEN]
//
// writes, in `--out` (default `hio-export-<from>_<to>`):
//   results.json                  the results report (GET /__hio/admin/results), as of now
//   results.csv                   the same, one row per campaign, variant and goal (?format=csv)
//   events-<from>_<to>.ndjson     the raw event log of those days (UTC), from GET /__hio/admin/events,
//                                 page by page; erased visitors are left out by the worker, and a line the
//                                 queue delivered twice (same visitor and event id) is written once
//
// The worker's URL and token come from --url/--token or HIO_URL/HIO_ADMIN_TOKEN (default URL: the local
// demo, http://127.0.0.1:8787).

import { once } from 'node:events';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** The days from `from` to `to` (inclusive), as YYYY-MM-DD; throws on a bad or reversed range. */
export function daysBetween(from, to) {
  const start = DAY.test(from ?? '') ? Date.parse(`${from}T00:00:00Z`) : Number.NaN;
  const end = DAY.test(to ?? '') ? Date.parse(`${to}T00:00:00Z`) : Number.NaN;
  const ok = (ms, s) => !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === s;
  if (!ok(start, from)) throw new Error(`--from must be a date, YYYY-MM-DD (got "${from ?? ''}")`);
  if (!ok(end, to)) throw new Error(`--to must be a date, YYYY-MM-DD (got "${to ?? ''}")`);
  if (end < start) throw new Error(`--to (${to}) is before --from (${from})`);
  const out = [];
  for (let t = start; t <= end; t += DAY_MS) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

async function get(url, token, fetchImpl) {
  const res = await fetchImpl(url, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) {
    const body = await res.text().catch(() => '');
    throw new Error(`GET ${url.pathname}${url.search} answered ${res.status}: ${body.slice(0, 300)}`);
  }
  return res;
}

/** Writes the lines of a response body to `out`, skipping ids already in `seen`; returns the count. */
async function copyLines(res, out, seen) {
  const decoder = new TextDecoder();
  let partial = '';
  let n = 0;
  const take = async (line) => {
    if (!line) return;
    let key = line;
    try {
      const e = JSON.parse(line);
      if (typeof e.visitor === 'string' && typeof e.id === 'string') key = `${e.visitor} ${e.id}`;
    } catch {
      return; // not a line of ours
    }
    if (seen.has(key)) return;
    seen.add(key);
    n++;
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  };
  for await (const chunk of res.body) {
    const lines = (partial + decoder.decode(chunk, { stream: true })).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) await take(line);
  }
  await take(partial + decoder.decode());
  return n;
}

/**
 * Exports results and the events of `from`..`to` into `out`. Returns the files written and the number of
 * events per day.
 */
export async function exportRange({ from, to, out, url, token, fetchImpl = fetch, pageSize = 500 }) {
  const days = daysBetween(from, to);
  if (!token) throw new Error('the admin token is missing: pass --token or set HIO_ADMIN_TOKEN');
  const dir = path.resolve(out ?? `hio-export-${from}_${to}`);
  mkdirSync(dir, { recursive: true });
  const base = new URL(url);

  const results = await get(new URL('/__hio/admin/results', base), token, fetchImpl);
  const resultsFile = path.join(dir, 'results.json');
  writeFileSync(resultsFile, `${JSON.stringify(await results.json(), null, 2)}\n`);
  const csv = await get(new URL('/__hio/admin/results?format=csv', base), token, fetchImpl);
  const csvFile = path.join(dir, 'results.csv');
  writeFileSync(csvFile, await csv.text());

  const eventsFile = path.join(dir, `events-${from}_${to}.ndjson`);
  const stream = createWriteStream(eventsFile);
  const perDay = {};
  try {
    for (const day of days) {
      // a redelivered queue batch lands in the same day's partition: duplicates are found per day
      const seen = new Set();
      let cursor = null;
      perDay[day] = 0;
      do {
        const u = new URL('/__hio/admin/events', base);
        u.searchParams.set('day', day);
        u.searchParams.set('limit', String(pageSize));
        if (cursor) u.searchParams.set('cursor', cursor);
        const res = await get(u, token, fetchImpl);
        cursor = res.headers.get('x-hio-next-cursor');
        perDay[day] += await copyLines(res, stream, seen);
      } while (cursor);
    }
  } finally {
    stream.end();
    await once(stream, 'close');
  }
  return { dir, files: [resultsFile, csvFile, eventsFile], events: perDay };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      out: { type: 'string' },
      url: { type: 'string', default: process.env.HIO_URL ?? 'http://127.0.0.1:8787' },
      token: { type: 'string', default: process.env.HIO_ADMIN_TOKEN ?? '' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.from || !values.to) {
    console.log(
      'usage: npm run export -- --from YYYY-MM-DD --to YYYY-MM-DD [--out dir] [--url URL] [--token TOKEN]',
    );
    process.exit(values.help ? 0 : 2);
  }
  try {
    const r = await exportRange(values);
    const total = Object.values(r.events).reduce((a, b) => a + b, 0);
    for (const f of r.files) console.log(`wrote ${path.relative(process.cwd(), f) || f}`);
    console.log(`${total} events over ${Object.keys(r.events).length} day(s)`);
  } catch (err) {
    console.error(`export failed: ${err.message}`);
    process.exit(1);
  }
}
