// Fernhill's catalogue: the brand, the three categories with their copy, the 26 products (two of them new
// arrivals), the sizes each category comes in, and the products featured and picked on the home page. Plain data, so every page, image,
// the cart and HIO's item catalogue (hioCatalogue) read the same rows.

export const BRAND = 'Fernhill';

export const CATEGORIES = {
  shoes: {
    name: 'Shoes',
    tagline: 'Made to be resoled, not replaced.',
    intro:
      'Goodyear-welted boots, trail runners with grippy Vibram soles and sneakers for every day. Every pair is built on our own last and comes with free resoling for two years.',
    story: [
      [
        'Built on our own last',
        'A roomier toe box and a locked-in heel: designed with a podiatrist in Porto.',
      ],
      ['Resoled for free', 'Send them back within two years and we fit a fresh sole, on us.'],
      ['Leather that ages well', 'Vegetable-tanned hides from a gold-rated tannery, no chrome.'],
    ],
  },
  bags: {
    name: 'Bags',
    tagline: 'Carry more, worry less.',
    intro:
      'Backpacks, totes and weekenders in waxed canvas and recycled nylon, with hardware that is tested to 50,000 openings and a lifetime warranty on every seam.',
    story: [
      ['Waxed canvas', 'Shrugs off rain and patinas beautifully. Re-wax it once a year.'],
      ['Lifetime seams', 'If a seam ever fails, we repair it. Forever, no receipt needed.'],
      ['Laptop-ready', 'Padded sleeves fit 13 to 16 inch laptops in every backpack.'],
    ],
  },
  jackets: {
    name: 'Jackets',
    tagline: 'Weather, handled.',
    intro:
      'Three-layer rain shells, responsibly sourced down and canvas work coats. Seam-sealed, repairable and cut to layer over a sweater without looking like a tent.',
    story: [
      ['Seam-sealed', 'Every shell is taped at every seam and tested in our rain room.'],
      ['Responsible down', 'RDS-certified 700-fill down, traceable to the farm.'],
      ['Repair program', 'Torn a sleeve? We patch it for free in the first three years.'],
    ],
  },
};

// [slug, name, price, colour, blurb]
export const PRODUCT_ROWS = {
  shoes: [
    [
      'ridgeline-trail-runner',
      'Ridgeline Trail Runner',
      129,
      '#c8553d',
      'A light, cushioned runner with a 5 mm lugged sole.',
    ],
    [
      'harbor-leather-boot',
      'Harbor Leather Boot',
      189,
      '#7a4a2a',
      'Goodyear-welted full-grain boot that breaks in, not down.',
    ],
    [
      'everyday-canvas-sneaker',
      'Everyday Canvas Sneaker',
      69,
      '#e9e4d8',
      'Organic cotton canvas on a natural rubber cupsole.',
    ],
    [
      'soho-suede-loafer',
      'Soho Suede Loafer',
      139,
      '#b08d57',
      'Unlined suede that feels broken in on day one.',
    ],
    ['court-classic', 'Court Classic', 99, '#f4f1ea', 'A clean leather court shoe with a padded collar.'],
    [
      'summit-hiking-boot',
      'Summit Hiking Boot',
      209,
      '#5b6b4a',
      'Waterproof membrane, ankle support, all-day comfort.',
    ],
    ['driftwood-slip-on', 'Driftwood Slip-On', 79, '#8aa1b1', 'Easy on, easy off, and machine washable.'],
    [
      'camden-chelsea-boot',
      'Camden Chelsea Boot',
      175,
      '#3b2f2a',
      'Elastic gussets and a stacked leather heel.',
    ],
  ],
  bags: [
    [
      'voyager-weekender',
      'Voyager Weekender',
      219,
      '#5a6b3c',
      'Fits three days of clothes and fits in the overhead bin.',
    ],
    ['market-canvas-tote', 'Market Canvas Tote', 59, '#d8c9a7', 'Heavy 18 oz canvas with leather handles.'],
    [
      'commuter-backpack',
      'Commuter Backpack',
      149,
      '#2f3e4e',
      'A padded laptop sleeve, a quick-grab pocket and 22 litres.',
    ],
    ['mini-crossbody', 'Mini Crossbody', 89, '#a3473a', 'Phone, keys, cards. Nothing more.'],
    ['waxed-messenger', 'Waxed Messenger', 159, '#6b5636', 'A classic flap messenger in waxed canvas.'],
    ['gym-duffel', 'Gym Duffel', 99, '#44546a', 'Separate shoe pocket and a wipe-clean lining.'],
    ['felt-laptop-sleeve', 'Felt Laptop Sleeve', 49, '#9a9a94', 'Wool felt with a magnetic closure.'],
    ['trail-belt-bag', 'Trail Belt Bag', 45, '#d07a2d', 'Wear it on the hip or across the chest.'],
    [
      'canvas-dopp-kit',
      'Canvas Dopp Kit',
      39,
      '#7d8a5c',
      'A waxed canvas wash bag with a wipe-clean lining.',
    ],
    ['leather-key-fob', 'Leather Key Fob', 25, '#8c5a3c', 'Bridle leather and a solid brass ring.'],
  ],
  jackets: [
    [
      'storm-rain-shell',
      'Storm Rain Shell',
      179,
      '#2f6f8f',
      'Three-layer waterproof shell, 20,000 mm rated.',
    ],
    ['alpine-down-parka', 'Alpine Down Parka', 289, '#1f3b34', '700-fill responsible down, good to -20 °C.'],
    [
      'selvedge-denim-jacket',
      'Selvedge Denim Jacket',
      159,
      '#3d5a80',
      '13.5 oz Japanese selvedge, rinsed once.',
    ],
    ['flight-bomber', 'Flight Bomber', 169, '#4f5d2f', 'A water-repellent bomber with a quilted lining.'],
    ['ridge-fleece', 'Ridge Fleece', 99, '#c9b79c', 'Recycled high-pile fleece that is warm for its weight.'],
    ['canvas-chore-coat', 'Canvas Chore Coat', 149, '#a0672f', 'Four patch pockets and a corduroy collar.'],
    [
      'packable-puffer-vest',
      'Packable Puffer Vest',
      119,
      '#7a2e3a',
      'Packs into its own pocket. Layer it under anything.',
    ],
    ['city-trench', 'City Trench', 249, '#b9a27f', 'A cotton gabardine trench with a storm flap.'],
  ],
};

export const SIZES = {
  shoes: ['38', '39', '40', '41', '42', '43', '44', '45'],
  bags: ['One size'],
  jackets: ['XS', 'S', 'M', 'L', 'XL'],
};

/** @type {Map<string, {slug: string, name: string, price: number, color: string, blurb: string, category: string}>} */
export const PRODUCTS = new Map();
for (const [category, rows] of Object.entries(PRODUCT_ROWS)) {
  for (const [slug, name, price, color, blurb] of rows) {
    PRODUCTS.set(slug, { slug, name, price, color, blurb, category });
  }
}

export const FEATURED = [
  'alpine-down-parka',
  'ridgeline-trail-runner',
  'commuter-backpack',
  'harbor-leather-boot',
];

// the home page's hand-picked list ("Picked for you"), which HIO's for-you recommendations are tested against
export const PICKS = ['storm-rain-shell', 'voyager-weekender', 'summit-hiking-boot', 'ridge-fleece'];

/**
 * New arrivals: on the site, but not yet in the catalogue `npm start` uploads. Their pages declare them like
 * every product page (`hio:item` with `og:` title, image and price), so HIO collects them from their pages
 * after they have been viewed (the scheduled job, or `POST /__hio/admin/train`, which demo:traffic calls).
 */
export const NEW_ARRIVALS = new Set(['canvas-dopp-kit', 'leather-key-fob']);

/**
 * The shop's products as HIO's item catalogue (`PUT /__hio/admin/catalog`), new arrivals aside: the id is the
 * slug, which each product page also declares with `<meta name="hio:item">`.
 */
export function hioCatalogue() {
  return {
    items: [...PRODUCTS.values()]
      .filter((p) => !NEW_ARRIVALS.has(p.slug))
      .map((p) => ({
        id: p.slug,
        url: `/p/${p.slug}`,
        title: p.name,
        image: `/assets/products/${p.slug}.svg`,
        price: p.price,
        category: p.category,
      })),
  };
}
