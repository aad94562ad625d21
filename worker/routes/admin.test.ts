import { describe, expect, it } from 'vitest';
import { ADMIN, call, putConfig } from '../test/helpers.ts';

const GOOD = {
  version: 1,
  holdout: 0.05,
  segments: { returning: { visits: { $gte: 2 } } },
  campaigns: [
    {
      id: 'hero-banner',
      status: 'active',
      slot: { selector: '#hero', action: 'replace' },
      targeting: { $and: [{ segments: { $in: ['returning'] } }, { device: 'desktop' }] },
      allocation: 'ab',
      coverage: 1,
      weights: [0.5, 0.5],
      variants: [
        { id: 'control' },
        { id: 'welcome-back', html: '<div class="banner">Welcome back! {{ topInterest }}</div>' },
      ],
      goals: ['purchase'],
      priority: 10,
    },
  ],
};

describe('/__hio/admin/config', () => {
  it('needs the bearer token', async () => {
    expect((await call('/__hio/admin/config')).status).toBe(401);
    expect((await call('/__hio/admin/config', { headers: { authorization: 'Bearer wrong' } })).status).toBe(
      401,
    );
  });

  it('stores a valid document and serves it back', async () => {
    const put = await putConfig(GOOD);
    expect(put.status).toBe(200);
    const body = (await put.json()) as { version: number; campaigns: number };
    expect(body.campaigns).toBe(1);
    const get = await call('/__hio/admin/config', { headers: ADMIN });
    const live = (await get.json()) as { version: number; document: typeof GOOD };
    expect(live.version).toBe(body.version);
    expect(live.document.campaigns[0]?.id).toBe('hero-banner');
  });

  it('refuses a bad document with every problem listed, and keeps the live one', async () => {
    await putConfig(GOOD);
    const before = await (await call('/__hio/admin/config', { headers: ADMIN })).json();
    const bad = {
      version: 1,
      holdout: 0.9,
      segments: { s: { visits: { $bogus: 1 } } },
      campaigns: [
        { id: 'a', slot: { selector: '#x', action: 'explode' }, variants: [{ id: 'v' }] },
        {
          id: 'b',
          slot: { selector: '#y', action: 'replace' },
          weights: [0.7, 0.7],
          targeting: { segments: { $in: ['nope'] } },
          variants: [{ id: 'c' }, { id: 't', html: '{{ a b }}' }],
        },
        { id: 'b', slot: { selector: '#z', action: 'replace' }, variants: [{ id: 'v' }] },
      ],
    };
    const res = await putConfig(bad);
    expect(res.status).toBe(400);
    const err = (await res.json()) as { error: string; problems: string[] };
    expect(err.error).toBe('invalid campaign document');
    const all = err.problems.join('\n');
    expect(all).toMatch(/holdout/);
    expect(all).toMatch(/campaigns\.0\.slot\.action/);
    const res2 = await putConfig({ ...bad, holdout: 0.1, campaigns: bad.campaigns.slice(1) });
    const all2 = ((await res2.json()) as { problems: string[] }).problems.join('\n');
    expect(all2).toMatch(/\$bogus/);
    expect(all2).toMatch(/weights: must sum to 1/);
    expect(all2).toMatch(/unknown segment "nope"/);
    expect(all2).toMatch(/\{\{ a b \}\}/);
    expect(all2).toMatch(/duplicate campaign id "b"/);
    const after = await (await call('/__hio/admin/config', { headers: ADMIN })).json();
    expect(after).toEqual(before);
  });

  it('refuses a selector HTMLRewriter does not support', async () => {
    const res = await putConfig({
      version: 1,
      campaigns: [
        { id: 'a', slot: { selector: 'div:hover', action: 'replace' }, variants: [{ id: 'v', html: 'x' }] },
      ],
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { problems: string[] }).problems[0]).toMatch(/selector "div:hover"/);
  });

  it('refuses malformed JSON and wrong content types', async () => {
    const res = await call('/__hio/admin/config', {
      method: 'PUT',
      headers: { ...ADMIN, 'content-type': 'application/json' },
      body: '{"version": 1,',
    });
    expect(res.status).toBe(400);
    const res2 = await call('/__hio/admin/config', {
      method: 'PUT',
      headers: { ...ADMIN, 'content-type': 'text/csv' },
      body: 'a,b',
    });
    expect(res2.status).toBe(415);
  });
});
