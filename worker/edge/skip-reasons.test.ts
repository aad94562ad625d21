/**
 * A new user who tries `curl` sees the origin's page and is told why; a misconfigured worker says what
 * is wrong and still serves the site.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { createApp } from '../app.ts';
import { createDeps } from '../deps.ts';
import type { Bindings } from '../env.ts';
import { PAGE } from '../test/fixtures.ts';
import { call, page, putConfig } from '../test/helpers.ts';

const DOC = {
  version: 1,
  campaigns: [
    { id: 'all', slot: { selector: '#hero', action: 'replace' }, variants: [{ id: 'v', html: '<b>hi</b>' }] },
  ],
};

const skip = (res: Response) => /hio-skip;desc="([^"]+)"/.exec(res.headers.get('server-timing') ?? '')?.[1];

describe('Server-Timing says why a page was not personalized', () => {
  it('names a bot (curl, node fetch)', async () => {
    await putConfig(DOC);
    const res = await call('/page', { headers: { 'user-agent': 'curl/8.5.0', accept: '*/*' } });
    expect(await res.text()).toBe(PAGE);
    expect(skip(res)).toBe('bot');
  });

  it('names Global Privacy Control and missing consent', async () => {
    await putConfig(DOC);
    const gpc = await page('/page', undefined, { headers: { 'sec-gpc': '1' } });
    expect(await gpc.text()).toBe(PAGE);
    expect(skip(gpc)).toBe('gpc');
    await putConfig({ ...DOC, settings: { privacy: { consentCookie: { name: 'consent' } } } });
    const none = await page('/page');
    expect(await none.text()).toBe(PAGE);
    expect(skip(none)).toBe('no-consent');
  });

  it('says nothing when the page was personalized, and leaves other responses alone', async () => {
    await putConfig(DOC);
    const res = await page('/page');
    expect(await res.text()).toContain('<b>hi</b>');
    expect(skip(res)).toBeUndefined();
    expect(res.headers.get('server-timing')).toMatch(/hio;desc="decide"/);
    const img = await call('/image.png', { headers: { 'user-agent': 'curl/8.5.0' } });
    expect(img.headers.get('server-timing')).toBeNull();
  });
});

describe('a misconfigured worker', () => {
  it('logs the setting that is wrong and still serves the origin', async () => {
    const broken = { ...(env as unknown as Bindings), HIO_SECRET: undefined };
    const app = createApp({ makeDeps: createDeps });
    const errors: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((line: string) => errors.push(line));
    const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
    const res = await app.fetch(
      new Request('http://hio.test/page', {
        headers: { accept: 'text/html', 'user-agent': 'Mozilla/5.0 Chrome/140' },
      }),
      broken,
      ctx,
    );
    const health = await app.fetch(new Request('http://hio.test/__hio/health'), broken, ctx);
    spy.mockRestore();
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(PAGE);
    expect(errors.some((l) => l.includes('HIO_SECRET'))).toBe(true);
    expect(health.status).toBe(503);
    expect(((await health.json()) as { error: string }).error).toMatch(/HIO_SECRET/);
  });
});
