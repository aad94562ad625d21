#!/usr/bin/env node
// Sends the worker's `hio-replay` records (measurement rows D1 could not take after its retries) back to
// the worker, which checks each record's signature (HIO_SECRET) and writes it with the same idempotent,
// parameterized statements as live traffic. A log also holds request headers anyone can write: this
// script only collects what looks like a record; the worker replays only what it signed itself.
//
//   npx wrangler tail --format json > worker.log        # or your Logpush files
//   node scripts/replay.mjs worker.log --url https://your.site --token "$HIO_ADMIN_TOKEN"
//   node scripts/replay.mjs worker.log --print          # just list the records found

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const isRecord = (node) =>
  node !== null &&
  typeof node === 'object' &&
  typeof node.msg === 'string' &&
  node.msg.startsWith('hio-replay') &&
  node.record !== null &&
  typeof node.record === 'object' &&
  typeof node.sig === 'string';

/** Every replay record in a text of log lines (plain JSON lines, or wrangler tail's JSON events). */
export function extractRecords(text) {
  const out = [];
  const seen = new Set();
  const visit = (node) => {
    if (typeof node === 'string') {
      if (!node.includes('hio-replay')) return;
      try {
        visit(JSON.parse(node));
      } catch {
        // not JSON: not ours
      }
      return;
    }
    if (Array.isArray(node)) return node.forEach(visit);
    if (node && typeof node === 'object') {
      if (isRecord(node)) {
        const key = node.sig;
        if (!seen.has(key)) {
          seen.add(key);
          out.push({ record: node.record, sig: node.sig });
        }
        return;
      }
      Object.values(node).forEach(visit);
    }
  };
  for (const line of text.split(/\r?\n/)) {
    if (!line.includes('hio-replay')) continue;
    try {
      visit(JSON.parse(line));
    } catch {
      // a line that is not JSON as a whole may still end with our JSON record
      const at = line.indexOf('{"level"');
      if (at >= 0) visit(line.slice(at));
    }
  }
  return out;
}

/** Posts the records in chunks; returns how many the worker replayed. */
export async function sendRecords(records, { url, token, chunk = 200, fetchImpl = fetch }) {
  let replayed = 0;
  for (let i = 0; i < records.length; i += chunk) {
    const res = await fetchImpl(new URL('/__hio/admin/replay', url), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ records: records.slice(i, i + chunk) }),
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(`replay refused (${res.status}): ${JSON.stringify(body)}`);
    replayed += body.replayed ?? 0;
  }
  return replayed;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { url: { type: 'string' }, token: { type: 'string' }, print: { type: 'boolean' } },
  });
  const file = positionals[0];
  const records = extractRecords(readFileSync(file && file !== '-' ? file : 0, 'utf8'));
  if (values.print || !values.url) {
    process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
    console.error(
      `${records.length} record(s) found${values.url ? '' : '; pass --url and --token to replay them'}`,
    );
  } else {
    const token = values.token ?? process.env.HIO_ADMIN_TOKEN;
    if (!token) throw new Error('--token (or HIO_ADMIN_TOKEN) is needed');
    const n = await sendRecords(records, { url: values.url, token });
    console.error(`${n} record(s) replayed`);
  }
}
