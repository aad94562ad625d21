/**
 * The demo traffic generator (`npm run demo:traffic`) against a stand-in worker that fails: every 5xx
 * answer is counted and reported, never retried quietly. The real worker is driven by it in
 * test/dashboard.test.ts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTraffic } from '../scripts/demo-traffic.mjs';

let server: Server;
let url: string;
const collects: number[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/__hio/collect') {
      collects.push(Date.now());
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '30' });
      res.end('{"error":"events could not be stored; retry later"}');
      return;
    }
    if (req.url === '/__hio/admin/config') {
      res.writeHead(401).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html><head></head><body><section id="hero">hi</section></body></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('runTraffic', () => {
  it('counts and reports the worker’s 5xx answers instead of retrying them', async () => {
    const s = await runTraffic({ url, visitors: 3, concurrency: 1, seed: 1, thinkMs: [0, 0] });
    // each visitor's first beacon is refused once, and the visitor ends there
    expect(collects).toHaveLength(3);
    expect(s.serverErrors.count).toBe(3);
    expect(s.serverErrors.samples).toEqual(
      new Array(3).fill('POST /__hio/collect -> 503 {"error":"events could not be stored; retry later"}'),
    );
    expect(s.visitors).toBe(0);
    expect(s.errors).toBe(3);
    expect(s.firstError).toMatch(/beacon answered 503/);
  });
});
