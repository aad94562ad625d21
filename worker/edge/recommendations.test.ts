/**
 * Recommendations through the real worker (Miniflare KV, D1 and R2): a catalogue uploaded, co-views
 * seeded by visitors' beacons (which the event log keeps), the co-view job run by
 * `POST /__hio/admin/train`, then a product page whose slot shows the learned neighbours of its item,
 * escaped, marked for attribution, without what the visitor already viewed. Before the model exists
 * the slot keeps the origin's content.
 */
import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import { RECS_MODEL_KEY, RECS_STAMP_KEY } from '../db/models.ts';
import { ADMIN, call, collect, eventId, page, putConfig, settle, visitorCookie } from '../test/helpers.ts';

const CATALOGUE = {
  items: [
    { id: 'boot', url: '/item/boot', title: 'Harbor Boot', category: 'shoes', price: 189 },
    { id: 'sock', url: '/item/sock', title: 'Wool <Sock> & "Liner"', category: 'shoes', price: 12 },
    { id: 'lace', url: '/item/lace', title: 'Waxed Laces', category: 'shoes', price: 6 },
    { id: 'tote', url: '/item/tote', title: 'Canvas Tote', category: 'bags', price: 59 },
    { id: 'pack', url: '/item/pack', title: 'Day Pack', category: 'bags', price: 99 },
  ],
};

const DOC = {
  version: 1,
  campaigns: [
    {
      id: 'also-like',
      slot: { selector: '#recs', action: 'replace' },
      // everyone gets the recommendations here; the demo runs it as an A/B test against the control
      weights: [0, 1],
      variants: [
        { id: 'control' },
        {
          id: 'similar',
          recommend: { strategy: 'similar', count: 2 },
          html: '<li><a href="{{ item.url }}">{{ item.title }}</a></li>',
        },
      ],
    },
  ],
};

/** A visitor who views `items` in one visit, each page reported by its beacon; returns their cookie. */
async function browse(items: string[]): Promise<string> {
  let cookie: string | undefined;
  for (const item of items) {
    const res = await page(`/item/${item}`, cookie);
    await res.text();
    cookie ??= visitorCookie(res);
    const beacon = await collect(cookie, {
      v: 1,
      events: [{ t: 'pageview', id: eventId(), path: `/item/${item}`, item }],
    });
    expect(beacon.status).toBe(204);
  }
  await settle();
  return cookie as string;
}

const slot = (html: string) => /<ul id="recs"[^>]*>([\s\S]*?)<\/ul>/.exec(html)?.[0] ?? '';

beforeEach(async () => {
  for (;;) {
    const listed = await env.HIO_EVENTS.list({ prefix: 'events/' });
    if (!listed.objects.length) break;
    await env.HIO_EVENTS.delete(listed.objects.map((o) => o.key));
  }
  await env.HIO_KV.delete(RECS_MODEL_KEY);
  await env.HIO_KV.delete(RECS_STAMP_KEY);
});

describe('recommendations through the worker', () => {
  it('learns co-views from beacons and shows the neighbours of the page item, without viewed items', async () => {
    expect((await putConfig(DOC)).status).toBe(200);
    const put = await call('/__hio/admin/catalog', {
      method: 'PUT',
      headers: { ...ADMIN, 'content-type': 'application/json' },
      body: JSON.stringify(CATALOGUE),
    });
    expect(put.status).toBe(200);

    // no model yet: the slot keeps the origin's list, marked as the variant the visitor is assigned
    const before = await (await page('/item/boot')).text();
    expect(slot(before)).toContain('Origin picks');
    expect(slot(before)).toContain('data-hio-variant="similar"');

    // boot is viewed with sock by three visitors, with lace by two; tote and pack by two others
    for (let i = 0; i < 3; i++) await browse(['boot', 'sock']);
    for (let i = 0; i < 2; i++) await browse(['lace', 'boot']);
    for (let i = 0; i < 2; i++) await browse(['tote', 'pack']);

    const train = await call('/__hio/admin/train', { method: 'POST', headers: ADMIN });
    expect(train.status).toBe(200);
    const trained = ((await train.json()) as { recommendations: Record<string, unknown> }).recommendations;
    expect(trained).toMatchObject({ outcome: 'trained', sessions: 7, truncated: false });

    // a new visitor on boot's page: its neighbours, best first, escaped and marked
    const fresh = slot(await (await page('/item/boot')).text());
    expect(fresh).toContain('data-hio-campaign="also-like"');
    expect(fresh).toContain(
      '<li data-hio-item="sock" data-hio-pos="1"><a href="/item/sock">Wool &lt;Sock&gt; &amp; &quot;Liner&quot;</a></li>' +
        '<li data-hio-item="lace" data-hio-pos="2"><a href="/item/lace">Waxed Laces</a></li>',
    );
    expect(fresh).not.toContain('Origin picks');

    // a visitor who viewed sock: it is left out, lace comes first, the next from the fallbacks
    const cookie = await browse(['sock']);
    const html = slot(await (await page('/item/boot', cookie)).text());
    expect(html).toContain('<li data-hio-item="lace" data-hio-pos="1">');
    expect(html).not.toContain('data-hio-item="sock"');
    expect(html).not.toContain('data-hio-item="boot"');
    expect(html.match(/data-hio-item=/g)).toHaveLength(2);
  });
});
