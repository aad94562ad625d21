import { beforeEach, describe, expect, it } from 'vitest';
import {
  ADMIN,
  browseItems,
  call,
  collect,
  emptyEventLog,
  eventId,
  forgetRecsModel,
  page,
  putConfig,
  settle,
} from '../test/helpers.ts';
import type { CampaignWhy } from './me.ts';

const CATALOGUE = {
  items: [
    { id: 'boot', url: '/item/boot', title: 'Harbor Boot', category: 'shoes' },
    { id: 'sock', url: '/item/sock', title: 'Wool <Sock>', category: 'shoes' },
    { id: 'lace', url: '/item/lace', title: 'Waxed Laces', category: 'shoes' },
    { id: 'tote', url: '/item/tote', title: 'Canvas Tote', category: 'bags' },
    { id: 'pack', url: '/item/pack', title: 'Day Pack', category: 'bags' },
  ],
};

const recs = (id: string, selector: string, recommend: Record<string, unknown>) => ({
  id,
  slot: { selector, action: 'replace' },
  weights: [0, 1],
  variants: [{ id: 'control' }, { id: 'recs', recommend, html: '<li>{{ item.title }}</li>' }],
});

const DOC = {
  version: 1,
  campaigns: [
    recs('also-like', '#recs', { strategy: 'similar', count: 2 }),
    recs('picked', '#picked', { strategy: 'for-you', count: 4 }),
    recs('recent', '#recent', { strategy: 'recently-viewed', count: 2 }),
  ],
};

const putCatalogue = () =>
  call('/__hio/admin/catalog', {
    method: 'PUT',
    headers: { ...ADMIN, 'content-type': 'application/json' },
    body: JSON.stringify(CATALOGUE),
  });

const browse = browseItems;

async function explained(cookie: string, path: string): Promise<Record<string, CampaignWhy>> {
  const res = await call(`/__hio/me?path=${encodeURIComponent(path)}`, { headers: { cookie } });
  const body = (await res.json()) as { campaigns: CampaignWhy[] };
  return Object.fromEntries(body.campaigns.map((c) => [c.campaign, c]));
}

beforeEach(async () => {
  await emptyEventLog();
  await forgetRecsModel();
});

describe('/__hio/me explains recommendations', () => {
  it('says what each list is based on, its fallbacks and the items it would show now', async () => {
    expect((await putConfig(DOC)).status).toBe(200);
    expect((await putCatalogue()).status).toBe(200);

    // before any training: nothing to show, said so
    const early = await browse(['tote']);
    const none = (await explained(early, '/item/boot'))['also-like'];
    expect(none?.status).toBe('assigned');
    expect(none?.recommendation).toEqual({
      strategy: 'similar',
      basedOn: expect.stringContaining('has not learned any recommendations yet'),
      items: [],
    });

    // boot is viewed with sock by three visitors, with lace by two; tote and pack by two others
    for (let i = 0; i < 3; i++) await browse(['boot', 'sock']);
    for (let i = 0; i < 2; i++) await browse(['lace', 'boot']);
    for (let i = 0; i < 2; i++) await browse(['tote', 'pack']);
    const train = await call('/__hio/admin/train', { method: 'POST', headers: ADMIN });
    expect(((await train.json()) as { recommendations: { outcome: string } }).recommendations.outcome).toBe(
      'trained',
    );

    // a visitor who viewed sock, explained on boot's page
    const cookie = await browse(['sock']);
    const why = await explained(cookie, '/item/boot');

    // similar: boot's own neighbours; sock is left out (viewed), so one position falls back to popularity
    const similar = why['also-like']?.recommendation;
    expect(similar?.strategy).toBe('similar');
    expect(similar?.basedOn).toMatch(
      /^Strategy “similar”: items often viewed together with the item of the page\./,
    );
    expect(similar?.basedOn).toContain('items often viewed with “Harbor Boot” (the item of this page)');
    expect(similar?.basedOn).toContain("the site's most popular items (which use nothing of your data)");
    expect(similar?.items[0]).toEqual({
      id: 'lace',
      title: 'Waxed Laces',
      url: '/item/lace',
      source: 'similar',
      because: 'often viewed with “Harbor Boot” (the item of this page)',
    });
    expect(similar?.items).toHaveLength(2);
    expect(similar?.items[1]).toMatchObject({
      source: 'popular',
      because: 'one of the most popular items on this site, as a fallback',
    });
    expect(similar?.fallback).toBe(
      "1 of 2 items comes from a fallback (the site's most popular items): there was too little data for " +
        '“similar”: few visitors viewed “Harbor Boot” together with other items.',
    );

    // for-you: the page's item and the viewed items' neighbours, then the interest of the viewed items
    const forYou = why.picked?.recommendation;
    expect(forYou?.items[0]).toMatchObject({ id: 'lace', source: 'for-you' });
    expect(forYou?.items.map((i) => i.id)).not.toContain('sock');
    expect(forYou?.items.map((i) => i.id)).not.toContain('boot');

    // recently-viewed: the visitor's own views (the page's item aside), then the fallbacks
    const recent = why.recent?.recommendation;
    expect(recent?.items[0]).toEqual({
      id: 'sock',
      title: 'Wool <Sock>',
      url: '/item/sock',
      source: 'recently-viewed',
      because: 'you viewed it recently',
    });
    expect(recent?.basedOn).toContain('your recently viewed items');
    expect(recent?.fallback).toContain('you have viewed fewer items than it shows');

    // a list explained shows no score or count, and names only items it shows and the visitor's own
    const text = JSON.stringify(why);
    expect(text).not.toMatch(/"score"|"basis"/);
    for (const r of [similar, forYou, recent]) expect(r?.items.length).toBeGreaterThan(0);

    // a visitor on a page with an interest: popular-in-interest names where the interest came from
    const interest = forYou?.items.find((i) => i.source === 'popular-in-interest');
    if (interest) expect(interest.because).toMatch(/^popular in “shoes”, /);

    // the privacy page says the same, escaped
    const res = await call('/__hio/me?path=/item/boot', {
      headers: { cookie, accept: 'text/html' },
    });
    const html = await res.text();
    expect(html).toContain('Strategy “similar”: items often viewed together with the item of the page.');
    expect(html).toContain('<li>Waxed Laces: often viewed with “Harbor Boot” (the item of this page)</li>');
    expect(html).toContain('<li>Wool &lt;Sock&gt;: you viewed it recently</li>');
    expect(html).not.toContain('<Sock>');
  });

  it('lists the items it keeps about the visitor: viewed, carted, bought and recommended ones clicked', async () => {
    expect((await putConfig({ ...DOC, settings: { goals: ['add_to_cart', 'purchase'] } })).status).toBe(200);
    expect((await putCatalogue()).status).toBe(200);
    const cookie = await browse(['boot']);
    const res = await page('/item/boot', cookie);
    await res.text();
    const beacon = await collect(cookie, {
      v: 1,
      events: [
        { t: 'click', id: eventId(), campaign: 'also-like', variant: 'recs', item: 'sock', pos: 1 },
        { t: 'pageview', id: eventId(), path: '/item/sock', item: 'sock' },
        { t: 'conversion', id: eventId(), goal: 'add_to_cart' },
        { t: 'conversion', id: eventId(), goal: 'purchase' },
      ],
    });
    expect(beacon.status).toBe(204);
    await settle();
    const html = await (await call('/__hio/me', { headers: { cookie, accept: 'text/html' } })).text();
    expect(html).toContain('<li><b>Items you viewed:</b> “Wool &lt;Sock&gt;”, “Harbor Boot”</li>');
    expect(html).toContain('<li><b>Items in your cart:</b> “Wool &lt;Sock&gt;”</li>');
    expect(html).toContain('<li><b>Items you bought:</b> “Wool &lt;Sock&gt;”</li>');
    expect(html).toContain(
      '<li><b>Recommended items you clicked:</b> “Wool &lt;Sock&gt;” (in also-like)</li>',
    );
  });
});
