import { describe, expect, it } from 'vitest';
import { collect, eventId, me, page, putConfig, settle, visitorCookie } from '../test/helpers.ts';

async function newVisitor(): Promise<string> {
  await putConfig({ version: 1, settings: { goals: ['purchase', 'signup'] }, campaigns: [] });
  return visitorCookie(await page('/page'));
}

function stored(m: Record<string, unknown>): Record<string, unknown> {
  return m.stored as Record<string, unknown>;
}

describe('POST /__hio/collect', () => {
  it('folds events into the profile and answers 204', async () => {
    const cookie = await newVisitor();
    const res = await collect(cookie, {
      v: 1,
      events: [
        { t: 'pageview', id: eventId(), ts: Date.now(), path: '/c/shoes', category: 'shoes' },
        { t: 'scroll', id: eventId(), depth: 75 },
        { t: 'engaged', id: eventId(), ms: 12_000 },
        { t: 'conversion', id: eventId(), goal: 'purchase', value: 59.9 },
      ],
    });
    expect(res.status).toBe(204);
    const m = await me(cookie);
    const profile = m.profile as { interests: Record<string, number>; conversions: Record<string, number> };
    expect(profile.interests.shoes).toBeGreaterThan(1.5);
    expect(profile.conversions.purchase).toBe(1);
    expect(stored(m)['cv.purchase']).toBeCloseTo(59.9);
    expect(stored(m).et).toBe(12_000);
  });

  it('stores conversions only of goals the document names, so made-up goals cannot grow a profile', async () => {
    const cookie = await newVisitor();
    const events = Array.from({ length: 50 }, (_, i) => ({
      t: 'conversion',
      id: eventId(),
      goal: `junk-${i}`,
    }));
    expect(
      (await collect(cookie, { events: [...events, { t: 'conversion', id: eventId(), goal: 'signup' }] }))
        .status,
    ).toBe(204);
    const keys = Object.keys(stored(await me(cookie)));
    expect(keys.filter((k) => k.startsWith('c.'))).toEqual(['c.signup']);
  });

  it('does not count a retried batch twice', async () => {
    const cookie = await newVisitor();
    const batch = { events: [{ t: 'conversion', id: eventId(), goal: 'signup' }] };
    expect((await collect(cookie, batch)).status).toBe(204);
    expect((await collect(cookie, batch)).status).toBe(204);
    const m = await me(cookie);
    expect((m.profile as { conversions: Record<string, number> }).conversions.signup).toBe(1);
  });

  it('gives a pageview without a category the category of the first URL rule its path matches', async () => {
    await putConfig({
      version: 1,
      settings: {
        categoryRules: [
          { pattern: '^/sale/boots', category: 'boots' },
          { pattern: '^/sale', category: 'sale' },
        ],
      },
      campaigns: [],
    });
    const cookie = visitorCookie(await page('/page'));
    const interests = async () =>
      ((await me(cookie)).profile as { interests: Record<string, number> }).interests;
    const pageview = (path: string, category?: string) =>
      collect(cookie, {
        events: [{ t: 'pageview', id: eventId(), path, ...(category ? { category } : {}) }],
      });

    expect((await pageview('/sale/boots/42?colour=red')).status).toBe(204);
    expect(Object.keys(await interests())).toEqual(['boots']);
    // no rule matches: no interest
    expect((await pageview('/about')).status).toBe(204);
    expect(Object.keys(await interests())).toEqual(['boots']);
    // the page's own category (its meta tag) wins over the rules
    expect((await pageview('/sale/boots/43', 'socks')).status).toBe(204);
    expect(Object.keys(await interests()).sort()).toEqual(['boots', 'socks']);
  });

  const bad: [string, unknown, number, RegExp][] = [
    ['not JSON', '{"events": [', 400, /not valid JSON/],
    ['no events', { events: [] }, 400, /at least one event/],
    ['unknown event type', { events: [{ t: 'hack', id: 'abcd1' }] }, 400, /events\.0/],
    ['bad scroll depth', { events: [{ t: 'scroll', id: 'abcd1', depth: 33 }] }, 400, /depth/],
    ['negative value', { events: [{ t: 'conversion', id: 'abcd1', goal: 'g', value: -1 }] }, 400, /value/],
    ['absurd engaged time', { events: [{ t: 'engaged', id: 'abcd1', ms: 1e12 }] }, 400, /ms/],
    ['bad id', { events: [{ t: 'conversion', id: '<script>', goal: 'g' }] }, 400, /id/],
    [
      'duplicate ids',
      {
        events: [
          { t: 'scroll', id: 'abcd1', depth: 25 },
          { t: 'scroll', id: 'abcd1', depth: 50 },
        ],
      },
      400,
      /duplicate/,
    ],
    [
      'too many events',
      { events: Array.from({ length: 101 }, (_, i) => ({ t: 'scroll', id: `id${i}xx`, depth: 25 })) },
      400,
      /events/,
    ],
    ['not an object', [1, 2, 3], 400, /invalid event batch/],
  ];
  for (const [name, body, status, message] of bad) {
    it(`refuses ${name} with ${status} and changes nothing`, async () => {
      const cookie = await newVisitor();
      const before = stored(await me(cookie));
      const res = await collect(cookie, body);
      expect(res.status).toBe(status);
      const err = (await res.json()) as { error: string; problems?: string[] };
      expect(`${err.error} ${(err.problems ?? []).join(' ')}`).toMatch(message);
      await settle();
      expect(stored(await me(cookie))).toEqual(before);
    });
  }

  it('refuses a body over 16 KB with 413', async () => {
    const cookie = await newVisitor();
    const big = { events: [{ t: 'pageview', id: 'abcd1', path: `/${'x'.repeat(17_000)}` }] };
    const res = await collect(cookie, big);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toMatch(/16384 bytes/);
  });

  it('refuses other content types with 415', async () => {
    const cookie = await newVisitor();
    const res = await collect(
      cookie,
      { events: [] },
      { headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    );
    expect(res.status).toBe(415);
  });

  it('refuses a missing or forged visitor cookie with 400', async () => {
    const body = { events: [{ t: 'conversion', id: eventId(), goal: 'g' }] };
    expect((await collect(undefined, body)).status).toBe(400);
    const cookie = await newVisitor();
    const forged = cookie.replace(/\.(.)/, (_, c: string) => `.${c === 'A' ? 'B' : 'A'}`);
    expect((await collect(forged, body)).status).toBe(400);
    expect((await collect('hio_vid=garbage', body)).status).toBe(400);
  });
});
