/**
 * The admin surface against brute force and against being reachable on the site's own hostname, and
 * the refusal of weak or published secrets outside local development.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { createDeps } from '../deps.ts';
import { type Bindings, ConfigError, parseConfig } from '../env.ts';
import { ADMIN, call } from '../test/helpers.ts';

const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;

describe('brute force on the admin token', () => {
  it('answers 429 to an address after 10 wrong tokens, even with the right one, and not to others', async () => {
    const from = (ip: string, token: string) =>
      call('/__hio/admin/config', { headers: { authorization: `Bearer ${token}`, 'cf-connecting-ip': ip } });
    for (let i = 0; i < 10; i++) expect((await from('203.0.113.7', `wrong-${i}`)).status).toBe(401);
    const locked = await from('203.0.113.7', 'test-admin-token');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await from('203.0.113.8', 'test-admin-token')).status).toBe(200);
  });

  it('counts wrong dashboard passwords too', async () => {
    const login = (password: string) =>
      call('/__hio/dashboard/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'cf-connecting-ip': '203.0.113.9' },
        body: new URLSearchParams({ password }).toString(),
        redirect: 'manual',
      });
    for (let i = 0; i < 10; i++) expect((await login(`nope-${i}`)).status).toBe(401);
    expect((await login('test-admin-token')).status).toBe(429);
  });
});

describe('ADMIN_HOSTNAME', () => {
  it('serves the admin API and dashboard only on that hostname', async () => {
    const bound = { ...(env as unknown as Bindings), ADMIN_HOSTNAME: 'admin.hio.test' };
    const app = createApp({ makeDeps: createDeps });
    const get = (url: string) => app.fetch(new Request(url, { headers: ADMIN }), bound, ctx);
    expect((await get('http://hio.test/__hio/admin/config')).status).toBe(404);
    expect((await get('http://hio.test/__hio/dashboard')).status).toBe(404);
    expect((await get('http://admin.hio.test/__hio/admin/config')).status).toBe(200);
    expect((await get('http://admin.hio.test/__hio/dashboard')).status).toBe(200);
  });
});

describe('secrets', () => {
  const base = { ...(env as unknown as Bindings) };
  it('refuses weak or published ones outside local development, naming the setting', () => {
    for (const secret of ['x', 'dev-secret-change-me', 'test-secret', 'short-secret']) {
      expect(() => parseConfig({ ...base, ORIGIN_URL: 'https://shop.example', HIO_SECRET: secret })).toThrow(
        ConfigError,
      );
    }
    expect(() =>
      parseConfig({
        ...base,
        ORIGIN_URL: 'https://shop.example',
        HIO_SECRET: 'k7Vq2pX9mR4tW8zL1nB6',
        HIO_ADMIN_TOKEN: 'dev-admin-token',
      }),
    ).toThrow(/HIO_ADMIN_TOKEN/);
    expect(() =>
      parseConfig({
        ...base,
        ORIGIN_URL: 'https://shop.example',
        HIO_SECRET: 'k7Vq2pX9mR4tW8zL1nB6',
        HIO_ADMIN_TOKEN: 'Zt5yH3cQ8wE1rU6iO0pA',
      }),
    ).not.toThrow();
  });

  it('accepts them against a local origin (wrangler dev in front of a site on this machine)', () => {
    for (const origin of ['http://127.0.0.1:8788', 'http://localhost:3000', 'http://origin.test']) {
      expect(() =>
        parseConfig({ ...base, ORIGIN_URL: origin, HIO_SECRET: 'x', HIO_ADMIN_TOKEN: 'y' }),
      ).not.toThrow();
    }
  });
});
