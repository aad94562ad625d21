/**
 * The demo's campaign document (what `npm start` loads) is valid, and shows each kind of allocation,
 * including a contextual campaign whose best variant differs by device in `npm run demo:traffic`, and
 * recommendation variants tested against the shop's own lists, whose slots and items the shop's pages
 * carry.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hioCatalogue, NEW_ARRIVALS, PRODUCTS } from '../examples/shop/catalog.mjs';
import { homePage, productPage } from '../examples/shop/views.mjs';
import { DEVICE_EFFECTS, PARTNERS } from '../scripts/demo-traffic.mjs';
import {
  lintDocument,
  type PageFacts,
  pageItem,
  parseCatalog,
  parseDocument,
} from '../worker/engine/index.ts';

describe('examples/shop/campaigns.json', () => {
  it('is a valid campaign document with a contextual campaign the demo traffic gives a per-device winner', () => {
    const r = parseDocument(JSON.parse(readFileSync('examples/shop/campaigns.json', 'utf8')));
    expect(r.ok ? [] : r.problems).toEqual([]);
    if (!r.ok) return;
    const contextual = r.doc.campaigns.filter((c) => c.allocation === 'contextual');
    expect(contextual.map((c) => [c.id, c.context])).toEqual([['delivery-promise', ['device']]]);
    const effects = DEVICE_EFFECTS['delivery-promise'];
    const best = (device: 'mobile' | 'desktop') =>
      Object.entries(effects[device]).sort((a, b) => b[1] - a[1])[0]?.[0];
    expect(best('mobile')).not.toBe(best('desktop'));
  });

  it("tests recommendations against the shop's lists, in slots the pages have, over items the catalogue holds", () => {
    const r = parseDocument(JSON.parse(readFileSync('examples/shop/campaigns.json', 'utf8')));
    if (!r.ok) throw new Error(r.problems.join('; '));
    const recs = r.doc.campaigns
      .filter((c) => c.variants.some((v) => v.recommend))
      .map((c) => ({
        id: c.id,
        selector: c.slots[0]?.selector,
        variants: c.variants.map((v) => v.recommend?.strategy ?? (v.control ? 'control' : v.id)),
        weights: c.weights,
      }));
    expect(recs).toEqual([
      { id: 'also-like', selector: '#also-like', variants: ['control', 'similar'], weights: [0.5, 0.5] },
      {
        id: 'picked-for-you',
        selector: '#picked-for-you',
        variants: ['control', 'for-you'],
        weights: [0.5, 0.5],
      },
    ]);
    expect(lintDocument(r.doc).filter((w) => w.code === 'unknown-attribute')).toEqual([]);

    const catalogue = parseCatalog(hioCatalogue());
    if (!catalogue.ok) throw new Error(catalogue.problems.join('; '));
    // the new arrivals are left out of the upload: HIO collects them from their pages
    expect(catalogue.items).toHaveLength(PRODUCTS.size - NEW_ARRIVALS.size);
    expect(NEW_ARRIVALS.size).toBeGreaterThan(0);
    for (const id of NEW_ARRIVALS) expect(catalogue.items.some((i) => i.id === id)).toBe(false);
    const ctx = { path: '/', cartCount: 0 };
    expect(homePage(ctx)).toContain('id="picked-for-you"');
    for (const item of catalogue.items) {
      const html = productPage({ ...ctx, path: item.url }, PRODUCTS.get(item.id));
      expect(html).toContain(`<meta name="hio:item" content="${item.id}">`);
      expect(html).toContain('id="also-like"');
      // the demo traffic's pairs are catalogue items
      expect(catalogue.items.some((i) => i.url === PARTNERS.get(item.url))).toBe(true);
    }
  });

  it('declares each product on its page as the uploaded catalogue has it, so a new arrival is collected whole', () => {
    const ctx = { path: '/', cartCount: 0 };
    const origin = new URL('http://127.0.0.1:8788');
    // what the collector's HTMLRewriter pass reads (worker/db/catalog-collect.ts), by pattern here
    const facts = (html: string): PageFacts => {
      const meta = (attr: string, key: string) =>
        new RegExp(`<meta ${attr}="${key}" content="([^"]*)">`).exec(html)?.[1];
      return {
        item: meta('name', 'hio:item'),
        category: meta('name', 'hio:category'),
        title: /<title>([^<]*)<\/title>/.exec(html)?.[1],
        ogTitle: meta('property', 'og:title'),
        image: meta('property', 'og:image'),
        url: meta('property', 'og:url'),
        price: meta('property', 'product:price:amount'),
        availability: meta('property', 'product:availability'),
      };
    };
    const uploadFormOf = (slug: string) => {
      const p = PRODUCTS.get(slug);
      return {
        id: slug,
        url: `/p/${slug}`,
        title: p?.name,
        image: `/assets/products/${slug}.svg`,
        price: p?.price,
        category: p?.category,
      };
    };
    for (const slug of PRODUCTS.keys()) {
      const path = `/p/${slug}`;
      const html = productPage({ ...ctx, path }, PRODUCTS.get(slug));
      const r = pageItem(facts(html), { id: slug, path, pageUrl: new URL(path, origin), origin });
      expect(r).toEqual({ ok: true, item: uploadFormOf(slug), notes: [] });
    }
  });
});
