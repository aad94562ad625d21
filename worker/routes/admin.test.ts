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
    // the document itself, exactly as it was PUT, with its version as the ETag
    expect(await get.json()).toEqual(GOOD);
    expect(get.headers.get('etag')).toBe(`"v${body.version}"`);
    expect(put.headers.get('etag')).toBe(`"v${body.version}"`);
  });

  it('takes back what GET returned, and refuses a stale If-Match with 412', async () => {
    await putConfig(GOOD);
    const get = await call('/__hio/admin/config', { headers: ADMIN });
    const etag = get.headers.get('etag') as string;
    const doc = (await get.json()) as typeof GOOD;
    const save = (d: unknown, ifMatch: string) =>
      call('/__hio/admin/config', {
        method: 'PUT',
        headers: { ...ADMIN, 'content-type': 'application/json', 'if-match': ifMatch },
        body: JSON.stringify(d),
      });
    // Alice saves her edit of what she read
    const alice = await save({ ...doc, holdout: 0.02 }, etag);
    expect(alice.status).toBe(200);
    // Bob edited the same version: refused, and Alice's edit stays live
    const bob = await save({ ...doc, holdout: 0.3 }, etag);
    expect(bob.status).toBe(412);
    expect(bob.headers.get('etag')).toBe(alice.headers.get('etag'));
    const live = await call('/__hio/admin/config', { headers: ADMIN });
    expect(((await live.json()) as { holdout: number }).holdout).toBe(0.02);
    // a tag that is not a version of ours matches nothing; * matches whatever is live
    expect((await save(doc, '"garbage"')).status).toBe(412);
    expect((await save(doc, '*')).status).toBe(200);
  });

  it('refuses unknown fields with their paths', async () => {
    const typo = {
      ...GOOD,
      campaigns: [{ ...GOOD.campaigns[0], frequencycap: { perDay: 3 } }],
      settings: { sessionTimeoutMinutes: 30, retention: 90 },
    };
    const res = await putConfig(typo);
    expect(res.status).toBe(400);
    const { problems } = (await res.json()) as { problems: string[] };
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^campaigns\.0\.frequencycap: unknown field/),
        expect.stringMatching(/^settings\.retention: unknown field/),
      ]),
    );
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

  it('refuses every selector the offline lint calls not streamable (HTMLRewriter agrees)', async () => {
    for (const selector of ['li:last-child', 'h1 + p', 'h1 ~ p', 'p:only-child', 'li:nth-last-child(2)']) {
      const res = await putConfig({
        version: 1,
        campaigns: [{ id: 'a', slot: { selector, action: 'replace' }, variants: [{ id: 'v', html: 'x' }] }],
      });
      expect(res.status, selector).toBe(400);
    }
  });

  it('accepts a suspect document and returns the lint warnings beside the 200', async () => {
    const campaign = (id: string, priority: number, html: string) => ({
      id,
      priority,
      slot: { selector: '#hero', action: 'replace' },
      variants: [{ id: 'control' }, { id: 'b', html }],
    });
    const res = await putConfig({
      version: 1,
      campaigns: [campaign('top', 9, 'Hi {{ nickname }}'), campaign('under', 1, 'x')],
    });
    expect(res.status).toBe(200);
    const { warnings } = (await res.json()) as { warnings: { level: string; code: string; path: string }[] };
    expect(warnings.map((w) => `${w.level}:${w.code}:${w.path}`)).toEqual([
      'warning:unknown-attribute:campaigns[0].variants[1]',
      'warning:shadowed:campaigns[1]',
    ]);
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
