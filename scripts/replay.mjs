#!/usr/bin/env node
// Turns the worker's `hio-replay` log lines (analytics writes that failed after their retries) into SQL
// for `wrangler d1 execute hio --file replay.sql [--remote]`. Every statement is keyed (INSERT OR IGNORE /
// guarded upserts), so replaying a line twice, or a line whose write did land after all, counts nothing
// twice.
//
//   npx wrangler tail --format json > worker.log        # or your log push / Logpush files
//   node scripts/replay.mjs worker.log > replay.sql
//   npx wrangler d1 execute hio --remote --file replay.sql

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A SQL literal for a bound parameter. */
export function literal(v) {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`cannot replay a non-finite number: ${v}`);
    return String(v);
  }
  return `'${String(v).replace(/'/g, "''")}'`;
}

/** Inlines `?` parameters (outside quoted strings) into one SQL statement. */
export function inline(sql, params) {
  let i = 0;
  let out = '';
  let quoted = false;
  for (const ch of sql) {
    if (ch === "'") quoted = !quoted;
    if (ch === '?' && !quoted) {
      if (i >= params.length) throw new Error(`statement has more ? than parameters: ${sql}`);
      out += literal(params[i++]);
    } else out += ch;
  }
  if (i !== params.length) throw new Error(`statement has fewer ? than parameters: ${sql}`);
  return `${out.replace(/\s+/g, ' ').trim()};`;
}

/** Finds every replay record in a text of log lines (plain JSON lines, or wrangler tail's JSON events). */
export function extractStatements(text) {
  const statements = [];
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
      if (
        typeof node.msg === 'string' &&
        node.msg.startsWith('hio-replay') &&
        Array.isArray(node.statements)
      ) {
        for (const s of node.statements) statements.push(inline(s.sql, s.params));
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
  return statements;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  const text = readFileSync(file && file !== '-' ? file : 0, 'utf8');
  const statements = extractStatements(text);
  process.stdout.write(statements.join('\n') + (statements.length ? '\n' : ''));
  console.error(`${statements.length} statement(s) to replay`);
}
