/**
 * Replaying logged analytics writes: the SQL the replay script produces, applied twice to a real D1
 * (Miniflare) with HIO's migrations, records each write once.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Miniflare } from 'miniflare';
import { afterAll, describe, expect, it } from 'vitest';
import { extractStatements, inline } from '../scripts/replay.mjs';

const line = JSON.stringify({
  level: 'error',
  msg: 'hio-replay: events failed after 3 attempts',
  statements: [
    {
      sql: `INSERT OR IGNORE INTO conversion_events (visitor_id, event_id, campaign_id, seed, variant_id, goal, value, day, at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      params: ['vis', 'ev1', 'c', 'c', 'b', "o'reilly", 12.5, '2026-11-22', 1_763_800_000_000],
    },
    {
      sql: 'INSERT OR IGNORE INTO exposures (visitor_id, campaign_id, seed, variant_id, day, at) VALUES (?, ?, ?, ?, ?, ?)',
      params: ['vis', 'c', 'c', 'b', '2026-11-22', 1_763_800_000_000],
    },
  ],
});

let mf: Miniflare | undefined;
afterAll(() => mf?.dispose());

describe('scripts/replay.mjs', () => {
  it('inlines parameters safely', () => {
    expect(inline('SELECT ?, ?, ?', ["it's", 3, null])).toBe("SELECT 'it''s', 3, NULL;");
    expect(() => inline('SELECT ?', [])).toThrow(/more \?/);
  });

  it('finds replay records in plain log lines and in wrangler tail events', () => {
    const tail = JSON.stringify({ logs: [{ level: 'error', message: [line] }] });
    expect(extractStatements(`noise\n${line}\n`)).toHaveLength(2);
    expect(extractStatements(tail)).toHaveLength(2);
  });

  it('replays into D1 idempotently', async () => {
    mf = new Miniflare({
      modules: true,
      script: 'export default {}',
      d1Databases: ['DB'],
      compatibilityDate: '2026-04-20',
    });
    const db = await mf.getD1Database('DB');
    for (const f of readdirSync('migrations')
      .filter((x) => x.endsWith('.sql'))
      .sort()) {
      for (const stmt of readFileSync(`migrations/${f}`, 'utf8').split('--> statement-breakpoint')) {
        if (stmt.trim()) await db.prepare(stmt).run();
      }
    }
    const sql = extractStatements(line);
    for (let i = 0; i < 2; i++) for (const s of sql) await db.prepare(s).run();
    const conv = await db.prepare('SELECT goal, value FROM conversion_events').all();
    expect(conv.results).toEqual([{ goal: "o'reilly", value: 12.5 }]);
    const exp = await db.prepare('SELECT COUNT(*) AS n FROM exposures').first<{ n: number }>();
    expect(exp?.n).toBe(1);
  });
});
