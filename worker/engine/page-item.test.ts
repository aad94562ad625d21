/**
 * The pure parts of collecting page-declared items: which pageviews are candidates (a site path, never
 * another host), how they rank, and how a page's facts become a catalogue item validated as an upload
 * is (the declared id must be the candidate's; links resolved; prices, availability and text normalized).
 */
import { describe, expect, it } from 'vitest';
import {
  declaredItems,
  decodeEntities,
  pageItem,
  parseAvailability,
  parseDeclaredView,
  parsePrice,
  sameItem,
  siteLink,
  sitePath,
} from './page-item.ts';

const ORIGIN = new URL('https://origin.example');
const ctx = (id: string, path = `/p/${id}`, origin = ORIGIN) => ({
  id,
  path,
  pageUrl: new URL(path, origin),
  origin,
});

describe('candidates from the log', () => {
  it('takes only paths of the site', () => {
    expect(sitePath('/p/1?colour=red#reviews')).toBe('/p/1?colour=red');
    for (const bad of [
      'https://evil.example/p/1',
      '//evil.example/p/1',
      'p/1',
      '',
      '/p/ 1',
      '/p\\1',
      '/p/\u0000',
      '/__hio/admin/config',
      '/__hio',
      `/${'x'.repeat(600)}`,
      42,
      undefined,
    ])
      expect(sitePath(bad)).toBeNull();
  });

  it('parses pageviews with an item and a site path, nothing else', () => {
    const line = (o: Record<string, unknown>) =>
      JSON.stringify({ at: 5, day: '2022-01-01', visitor: 'v', t: 'pageview', id: 'e1', ...o });
    expect(parseDeclaredView(line({ item: 'sku-1', path: '/p/1' }))).toEqual({
      visitor: 'v',
      item: 'sku-1',
      path: '/p/1',
      at: 5,
    });
    expect(parseDeclaredView(line({ path: '/p/1' }))).toBeNull();
    expect(parseDeclaredView(line({ item: 'sku 1', path: '/p/1' }))).toBeNull();
    expect(parseDeclaredView(line({ item: 'sku-1', path: 'https://x.example/p/1' }))).toBeNull();
    expect(parseDeclaredView(line({ item: 'sku-1', path: '/p/1', t: 'click' }))).toBeNull();
    expect(parseDeclaredView(line({ item: 'sku-1', path: '/p/1', visitor: '' }))).toBeNull();
    expect(parseDeclaredView('{"t":"pageview","item":')).toBeNull();
  });

  it('ranks items by distinct visitors, then recency, and keeps their best paths', () => {
    const v = (visitor: string, item: string, path: string, at = 1) => ({ visitor, item, path, at });
    const items = declaredItems([
      v('a', 'x', '/x'),
      v('a', 'x', '/x'),
      v('b', 'x', '/x'),
      v('c', 'x', '/forged', 9),
      v('a', 'y', '/y', 5),
      v('a', 'z', '/z', 2),
    ]);
    expect(items).toEqual([
      { item: 'x', visitors: 3, latest: 9, paths: ['/x', '/forged'] },
      { item: 'y', visitors: 1, latest: 5, paths: ['/y'] },
      { item: 'z', visitors: 1, latest: 2, paths: ['/z'] },
    ]);
    // bounded paths per item
    const many = declaredItems(
      Array.from({ length: 100 }, (_, i) => v(`v${i}`, 'x', `/x${i}`, i)),
      { maxPaths: 2 },
    );
    expect(many[0]?.paths).toHaveLength(2);
  });
});

describe('values of a page', () => {
  it('decodes character references', () => {
    expect(decodeEntities('A &amp; B &quot;c&quot; &#233;&#x41; &hellip; &unknown; &#0;')).toBe(
      'A & B "c" éA … &unknown; \ufffd',
    );
  });

  it('reads prices as pages write them', () => {
    expect(parsePrice('129')).toBe(129);
    expect(parsePrice('129.00')).toBe(129);
    expect(parsePrice('1,299.50')).toBe(1299.5);
    expect(parsePrice('1.299,50')).toBe(1299.5);
    expect(parsePrice('129,90')).toBe(129.9);
    expect(parsePrice(' $ 49.95 USD')).toBe(49.95);
    expect(parsePrice('€12')).toBe(12);
    for (const bad of ['', 'free', '-5', '1e3', '12.3.4', '2000000000', undefined])
      expect(parsePrice(bad)).toBeUndefined();
  });

  it('reads availability', () => {
    for (const out of [
      'out of stock',
      'OOS',
      'OutOfStock',
      'https://schema.org/SoldOut',
      'discontinued',
      'out_of_stock',
    ])
      expect(parseAvailability(out)).toBe(false);
    for (const ok of ['in stock', 'instock', 'InStock', 'preorder', 'http://schema.org/InStock'])
      expect(parseAvailability(ok)).toBe(true);
    expect(parseAvailability('maybe')).toBeUndefined();
    expect(parseAvailability(undefined)).toBeUndefined();
  });

  it('resolves links against the page, as paths of the site where they point at the origin', () => {
    const page = new URL('https://origin.example/shop/p/1?x=1');
    expect(siteLink('../img/a.jpg', page, ORIGIN)).toBe('/shop/img/a.jpg');
    expect(siteLink('https://origin.example/p/1#top', page, ORIGIN)).toBe('/p/1');
    expect(siteLink('https://cdn.example/a.jpg', page, ORIGIN)).toBe('https://cdn.example/a.jpg');
    expect(siteLink('//cdn.example/a.jpg', page, ORIGIN)).toBe('https://cdn.example/a.jpg');
    expect(siteLink('javascript:alert(1)', page, ORIGIN)).toBeUndefined();
    expect(siteLink('data:image/png;base64,xx', page, ORIGIN)).toBeUndefined();
    expect(siteLink('', page, ORIGIN)).toBeUndefined();
    // an origin with a base path: the site's paths are below it
    const based = new URL('https://origin.example/shop/');
    expect(siteLink('/shop/img/a.jpg', page, based)).toBe('/img/a.jpg');
    expect(siteLink('/other/a.jpg', page, based)).toBe('https://origin.example/other/a.jpg');
  });
});

describe('pageItem', () => {
  it('builds the item from og tags, falling back to <title>, canonical and the path', () => {
    const r = pageItem(
      {
        item: 'sku-1',
        title: 'Boot · Shop',
        ogTitle: ' Summit &amp; Co\n boot ',
        image: '/img/1.jpg',
        url: 'https://origin.example/p/sku-1?ref=og',
        price: '189.00',
        availability: 'out of stock',
        category: ' Running Shoes ',
      },
      ctx('sku-1', '/p/sku-1?utm=x'),
    );
    expect(r).toEqual({
      ok: true,
      item: {
        id: 'sku-1',
        url: '/p/sku-1?ref=og',
        title: 'Summit & Co boot',
        image: '/img/1.jpg',
        price: 189,
        category: 'running-shoes',
        available: false,
      },
      notes: [],
    });
    expect(pageItem({ item: 'a', title: 'A', canonical: '/c/a' }, ctx('a'))).toMatchObject({
      item: { id: 'a', url: '/c/a', title: 'A' },
    });
    expect(pageItem({ item: 'a', title: 'A' }, ctx('a', '/p/a?q=1'))).toEqual({
      ok: true,
      item: { id: 'a', url: '/p/a?q=1', title: 'A' },
      notes: [],
    });
  });

  it('refuses a page that declares another id or none: the id must be the candidate', () => {
    expect(pageItem({ item: 'other', title: 'X' }, ctx('sku-1'))).toEqual({
      ok: false,
      outcome: 'not-declared',
      reason: 'the page declares "other", not "sku-1"',
    });
    expect(pageItem({ title: 'X' }, ctx('sku-1'))).toMatchObject({ ok: false, outcome: 'not-declared' });
    expect(pageItem({ item: '  ', title: 'X' }, ctx('sku-1'))).toMatchObject({
      ok: false,
      outcome: 'not-declared',
    });
    // the id in the browser script's form: what the pageview carried
    expect(pageItem({ item: ' Boot #1 ', title: 'X' }, ctx('Boot-1'))).toMatchObject({ ok: true });
  });

  it('cuts long titles, refuses none, and leaves out optional fields that fail', () => {
    const long = pageItem({ item: 'a', title: 'x'.repeat(500) }, ctx('a'));
    expect(long.ok && long.item.title).toBe(`${'x'.repeat(199)}…`);
    // no half surrogate pair at the cut
    const emoji = pageItem({ item: 'a', title: `${'x'.repeat(198)}😀😀` }, ctx('a'));
    expect(emoji.ok && emoji.item.title).toBe(`${'x'.repeat(198)}…`);
    expect(pageItem({ item: 'a', title: ' &nbsp; ' }, ctx('a'))).toMatchObject({
      ok: false,
      outcome: 'invalid',
    });
    const r = pageItem({ item: 'a', title: 'A', image: 'javascript:x', price: 'ask us' }, ctx('a'));
    expect(r).toEqual({
      ok: true,
      item: { id: 'a', url: '/p/a', title: 'A' },
      notes: ['image: og:image is no http(s) link; left out', 'price: "ask us" is not a price; left out'],
    });
    // a link too long for the catalogue: the image is left out, as the upload's check says
    const longImage = pageItem({ item: 'a', title: 'A', image: `/i/${'x'.repeat(2000)}` }, ctx('a'));
    expect(longImage.ok && longImage.item.image).toBeUndefined();
    expect(longImage.ok && longImage.notes[0]).toMatch(/^image: must be at most 1024 characters/);
    // a URL that fails (too long) makes the item invalid
    expect(pageItem({ item: 'a', title: 'A', url: `/u/${'x'.repeat(2000)}` }, ctx('a'))).toMatchObject({
      ok: false,
      outcome: 'invalid',
    });
  });

  it('compares items field by field', () => {
    const a = { id: 'a', url: '/a', title: 'A', price: 1 };
    expect(sameItem(a, { ...a })).toBe(true);
    expect(sameItem(a, { ...a, available: true })).toBe(true);
    expect(sameItem(a, { ...a, available: false })).toBe(false);
    expect(sameItem(a, { ...a, price: 2 })).toBe(false);
  });
});
