/**
 * The demo's campaign document (what `npm start` loads) is valid, and shows each kind of allocation,
 * including a contextual campaign whose best variant differs by device in `npm run demo:traffic`, and
 * recommendation variants tested against the shop's own lists, whose slots and items the shop's pages
 * carry.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hioCatalogue, PRODUCTS } from '../examples/shop/catalog.mjs';
import { homePage, productPage } from '../examples/shop/views.mjs';
import { DEVICE_EFFECTS, PARTNERS } from '../scripts/demo-traffic.mjs';
import { lintDocument, parseCatalog, parseDocument } from '../worker/engine/index.ts';

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
    expect(catalogue.items).toHaveLength(PRODUCTS.size);
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
});
