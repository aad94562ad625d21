/**
 * scripts/replay.mjs finds the worker's replay records in a log (plain lines or wrangler tail events)
 * and posts them to the worker; it never turns log text into SQL. The worker's side (signature check,
 * idempotent writes) is tested in worker/routes/replay.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { extractRecords, sendRecords } from '../scripts/replay.mjs';

const record = {
  visitorId: 'AAAAAAAAAAAAAAAAAAAAAA',
  at: 1_763_800_000_000,
  measurement: {
    exposures: [{ campaignId: 'c', seed: 'c', variantId: 'b' }],
    conversions: [],
    slotEvents: [],
  },
};
const line = JSON.stringify({ level: 'error', msg: 'hio-replay: measurement failed', record, sig: 'sig-1' });

describe('scripts/replay.mjs', () => {
  it('finds replay records in plain log lines and in wrangler tail events, once each', () => {
    const tail = JSON.stringify({ logs: [{ level: 'error', message: [line] }] });
    expect(extractRecords(`noise\n${line}\n`)).toEqual([{ record, sig: 'sig-1' }]);
    expect(extractRecords(`${tail}\n${line}`)).toEqual([{ record, sig: 'sig-1' }]);
  });

  it('ignores what only mentions hio-replay, and leaves judging signatures to the worker', () => {
    const header = JSON.stringify({
      request: { headers: { 'x-evil': "hio-replay'; DROP TABLE exposures; --" } },
    });
    expect(extractRecords(header)).toEqual([]);
    const unsigned = JSON.stringify({ msg: 'hio-replay', record });
    expect(extractRecords(unsigned)).toEqual([]);
  });

  it('posts the records in chunks with the bearer token', async () => {
    const calls: { url: string; auth: string; n: number }[] = [];
    const fetchImpl = async (url: string | URL | Request, init?: RequestInit) => {
      const body = JSON.parse(String(init?.body)) as { records: unknown[] };
      calls.push({
        url: String(url),
        auth: new Headers(init?.headers).get('authorization') ?? '',
        n: body.records.length,
      });
      return Response.json({ replayed: body.records.length });
    };
    const records = Array.from({ length: 5 }, (_, i) => ({ record, sig: `s${i}` }));
    const n = await sendRecords(records, { url: 'https://shop.example', token: 't', chunk: 2, fetchImpl });
    expect(n).toBe(5);
    expect(calls).toEqual([
      { url: 'https://shop.example/__hio/admin/replay', auth: 'Bearer t', n: 2 },
      { url: 'https://shop.example/__hio/admin/replay', auth: 'Bearer t', n: 2 },
      { url: 'https://shop.example/__hio/admin/replay', auth: 'Bearer t', n: 1 },
    ]);
  });
});
