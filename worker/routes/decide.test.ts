/**
 * The decision API through the real worker (Miniflare KV and D1): decided exactly as a page would be,
 * the assignment kept, the exposure counted when the client reports the slot's impression, and bad
 * input refused with nothing changed.
 */
import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import { call, collect, eventId, page, putConfig, settle, visitorCookie } from '../test/helpers.ts';

const DOC = {
  version: 1,
  campaigns: [
    {
      id: 'hero',
      slot: { selector: '#hero', action: 'replace' },
      weights: [0, 1],
      variants: [{ id: 'control' }, { id: 'bold', html: '<b>Hello {{ device }} from {{ utm_source }}</b>' }],
    },
    {
      id: 'cta',
      slot: { selector: 'a.cta', action: 'setAttribute', name: 'href' },
      variants: [{ id: 'sale', value: '/sale?a=1&b=2' }],
    },
    {
      id: 'plain',
      slot: { selector: '#plain', action: 'append' },
      variants: [{ id: 'control' }],
    },
  ],
};

interface Decision {
  slot: string;
  campaign: string;
  variant: string;
  action: string;
  name?: string;
  html?: string;
  value?: string;
  control?: true;
  holdout?: true;
}
interface Answer {
  path: string;
  decisions: Decision[];
  reason?: string;
}

const decide = (query: string, init: RequestInit = {}) => call(`/__hio/decide?${query}`, init);

/** Replaces the document by one campaign on #hero, targeted, whose one variant `hi` shows `html`. */
const putHeroCampaign = (id: string, targeting: Record<string, string>, html: string) =>
  putConfig({
    version: 1,
    campaigns: [
      { id, slot: { selector: '#hero', action: 'replace' }, targeting, variants: [{ id: 'hi', html }] },
    ],
  });

async function exposures(cookie: string): Promise<{ campaign_id: string; variant_id: string }[]> {
  const visitor = decodeURIComponent(cookie.split('=')[1] ?? '').split('.')[0];
  const rows = await env.HIO_DB.prepare(
    'SELECT campaign_id, variant_id FROM exposures WHERE visitor_id = ? AND campaign_id != ? ORDER BY campaign_id',
  )
    .bind(visitor, '__all')
    .all<{ campaign_id: string; variant_id: string }>();
  return rows.results;
}

describe('GET /__hio/decide', () => {
  beforeEach(async () => {
    expect((await putConfig(DOC)).status).toBe(200);
  });

  it('decides as a page would, sets the cookie of a new visitor, and holds the exposure until the impression', async () => {
    const path = encodeURIComponent('/products/1?utm_source=<i>');
    const res = await decide(`path=${path}&slots=%23hero&slots=a.cta&slots=plain`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const cookie = visitorCookie(res);
    const body = (await res.json()) as Answer;
    expect(body.path).toBe('/products/1?utm_source=<i>');
    expect(body.decisions).toEqual([
      {
        slot: '#hero',
        campaign: 'hero',
        variant: 'bold',
        action: 'replace',
        // rendered and escaped as the page would be
        html: '<b>Hello desktop from &lt;i&gt;</b>',
      },
      // an attribute's value is plain text, as the element should hold it
      {
        slot: 'a.cta',
        campaign: 'cta',
        variant: 'sale',
        action: 'setAttribute',
        name: 'href',
        value: '/sale?a=1&b=2',
      },
      { slot: '#plain', campaign: 'plain', variant: 'control', action: 'append', control: true },
    ]);
    await settle();
    // assigned, not exposed: nothing was seen yet
    expect(await exposures(cookie)).toEqual([]);

    // the page the visitor opens next shows the same, sticky variant
    const html = await (await page('/page', cookie)).text();
    expect(html).toContain('data-hio-variant="bold"');
    // (a page that shows the slot counts the exposure the impression did not)
    await settle();
    expect(await exposures(cookie)).toEqual([{ campaign_id: 'hero', variant_id: 'bold' }]);

    // the impressions of the other slots expose them; a resent batch counts once
    const batch = {
      events: [
        { t: 'impression', id: eventId(), campaign: 'cta', variant: 'sale' },
        { t: 'impression', id: eventId(), campaign: 'plain', variant: 'control' },
      ],
    };
    expect((await collect(cookie, batch)).status).toBe(204);
    expect((await collect(cookie, batch)).status).toBe(204);
    await settle();
    expect(await exposures(cookie)).toEqual([
      { campaign_id: 'cta', variant_id: 'sale' },
      { campaign_id: 'hero', variant_id: 'bold' },
      { campaign_id: 'plain', variant_id: 'control' },
    ]);
    const minute = await env.HIO_DB.prepare(
      "SELECT SUM(count) AS n FROM minute_counts WHERE campaign_id = 'cta' AND metric = 'exposures'",
    ).first<{ n: number }>();
    expect(minute?.n).toBeGreaterThanOrEqual(1);
  });

  it('answers for every slot when none is named, and for slots named by campaign id', async () => {
    const all = (await (await decide('path=/')).json()) as Answer;
    expect(all.decisions.map((d) => d.campaign).sort()).toEqual(['cta', 'hero', 'plain']);
    const one = (await (await decide('path=/&slots=cta')).json()) as Answer;
    expect(one.decisions.map((d) => d.slot)).toEqual(['a.cta']);
    const unknown = (await (await decide('path=/&slots=%23nowhere')).json()) as Answer;
    expect(unknown.decisions).toEqual([]);
  });

  it('the exposure of a decision whose impression never comes is never counted', async () => {
    const res = await decide('path=/&slots=%23hero');
    const cookie = visitorCookie(res);
    await settle();
    // a click alone (no impression) is not an exposure
    await collect(cookie, { events: [{ t: 'click', id: eventId(), campaign: 'hero', variant: 'bold' }] });
    await settle();
    expect(await exposures(cookie)).toEqual([]);
  });

  it('gives bots, visitors without consent and GPC no decisions, and erases a visitor who sends GPC', async () => {
    const bot = await decide('path=/', { headers: { 'user-agent': 'curl/8.0' } });
    expect(await bot.json()).toEqual({ decisions: [], path: '/', reason: 'bot' });
    expect(bot.headers.getSetCookie()).toEqual([]);

    const first = await decide('path=/');
    const cookie = visitorCookie(first);
    await settle();
    const gpc = await decide('path=/', { headers: { cookie, 'sec-gpc': '1' } });
    expect(((await gpc.json()) as Answer).reason).toBe('gpc');
    expect(gpc.headers.getSetCookie().join()).toMatch(/hio_vid=;|Max-Age=0/);
  });

  it('refuses bad parameters and other sites with a clear 4xx, and changes nothing', async () => {
    const bad = [
      'path=https://evil.example/',
      'path=//evil.example/x',
      'path=noslash',
      `path=/${'a'.repeat(600)}`,
      `path=/&${Array.from({ length: 40 }, (_, i) => `slots=s${i}`).join('&')}`,
      `path=/&slots=${'x'.repeat(300)}`,
      'path=/&ref=javascript:alert(1)',
    ];
    for (const q of bad) {
      const res = await decide(q);
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { error: string }).error, q).toBeTruthy();
      expect(res.headers.getSetCookie(), q).toEqual([]);
    }
    const cross = await decide('path=/', { headers: { 'sec-fetch-site': 'cross-site' } });
    expect(cross.status).toBe(403);
    expect(cross.headers.getSetCookie()).toEqual([]);
  });

  it("takes the country Cloudflare attached to the call as the page's", async () => {
    await putHeroCampaign('uk', { country: 'GB' }, 'Hello, UK');
    const res = await decide('path=/', {
      headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36' },
      cf: { country: 'GB' },
    } as RequestInit);
    await settle();
    expect(res.status).toBe(200);
    expect(((await res.json()) as Answer).decisions.map((d) => d.variant)).toEqual(['hi']);
  });

  it('uses the page referrer it is given, not the calling page', async () => {
    await putHeroCampaign('from-search', { referrer: 'search.example' }, 'From search');
    const plain = (await (
      await decide('path=/', { headers: { referer: 'http://hio.test/app' } })
    ).json()) as Answer;
    expect(plain.decisions).toEqual([]);
    const searched = (await (
      await decide(`path=/&ref=${encodeURIComponent('https://search.example/?q=shoes')}`)
    ).json()) as Answer;
    expect(searched.decisions.map((d) => d.variant)).toEqual(['hi']);
  });
});
