/**
 * @module bench/recs
 * What the benchmark's "HIO+recs" instance recommends from: a seeded shop catalogue and a model learned
 * from synthetic sessions by the engine's own `learnNeighbours`, written into KV under the keys and
 * with the stamp the co-view job uses (worker/db/models.ts). Bundled by esbuild with the engine
 * (bench/lib/build.mjs), like bench/engine.mjs, and imported by bench/run.mjs.
 *
 * Why a model built here rather than event-log traffic and `POST /__hio/admin/train`: the bench's
 * workers have no R2 event log or queue (the train job would skip), and tens of thousands of beacons
 * would take longer to send than the benchmark itself; a seeded model is the same bytes on every run.
 * The page path reads it exactly as it reads a trained one (the stamp, then the model, once per isolate).
 *
 * The world: `items` items in 25 categories (the first is `shoes`, the bench visitor's interest), each
 * category cut into bundles of 10 related items, Zipf popularity (exponent 1) over a seeded order.
 * Sessions: 1 + a geometric number of items (mean 3.5, at most 15) over 28 days; each next item from the
 * current one's bundle with probability 0.6, its category 0.15, else the whole catalogue, by popularity
 * (the `affinity` scenario of `npm run simulate:recs`), with a purchase per view with probability 0.1.
 */

import { RECS_COMPACT_KEY, RECS_STAMP_KEY } from '../worker/db/models.ts';
import {
  encodeRecommendModel,
  learnNeighbours,
  mulberry32,
  RECOMMEND_COMPACT_VERSION,
} from '../worker/engine/index.ts';

/** The key the co-view job stores its (compact) model under, and the stamp's. */
export { RECS_COMPACT_KEY as RECS_MODEL_KEY, RECS_STAMP_KEY };

const DAY = 86_400_000;
const CATEGORIES = [
  'shoes',
  'boots',
  'sandals',
  'socks',
  'bags',
  'backpacks',
  'wallets',
  'belts',
  'hats',
  'scarves',
  'gloves',
  'jackets',
  'coats',
  'shirts',
  'tees',
  'sweaters',
  'trousers',
  'jeans',
  'shorts',
  'dresses',
  'skirts',
  'watches',
  'sunglasses',
  'jewellery',
  'care',
];
const WORDS = ['trail', 'classic', 'everyday', 'leather', 'canvas', 'recycled', 'knit', 'suede', 'light'];

/** Cumulative weights, for drawing by popularity in O(log n). */
function cumulative(ids, pop) {
  const cdf = new Float64Array(ids.length);
  let acc = 0;
  ids.forEach((id, i) => {
    acc += pop[id];
    cdf[i] = acc;
  });
  return { ids, cdf };
}

function drawFrom({ ids, cdf }, u) {
  const target = u * cdf[cdf.length - 1];
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] > target) hi = mid;
    else lo = mid + 1;
  }
  return ids[lo];
}

/**
 * The catalogue (`{ items }`, as `PUT /__hio/admin/catalog` takes it), the model and its stamp, and the
 * items the bench visitor views (the most popular of `shoes`, most recent last). `model: false` skips
 * the sessions and the learning (the visitor's items are the same).
 */
export function recsFixture({
  items = 5000,
  sessions = 40_000,
  views = 8,
  seed = 7,
  model: learn = true,
} = {}) {
  const random = mulberry32(seed);
  const sku = (i) => `sku-${String(i).padStart(5, '0')}`;
  const category = (i) => i % CATEGORIES.length;
  const catalogue = Array.from({ length: items }, (_, i) => ({
    id: sku(i),
    url: `/products/${sku(i)}`,
    title: `${WORDS[i % WORDS.length]} ${CATEGORIES[category(i)]} ${i}`,
    image: `/img/products/${sku(i)}.jpg`,
    price: Math.round((10 + random() * 190) * 100) / 100,
    category: CATEGORIES[category(i)],
  }));
  const order = Array.from({ length: items }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const pop = new Float64Array(items);
  order.forEach((item, rank) => {
    pop[item] = 1 / (rank + 1);
  });
  const byCategory = CATEGORIES.map(() => []);
  for (let i = 0; i < items; i++) byCategory[category(i)].push(i);
  const bundleOf = new Int32Array(items);
  const bundles = [];
  for (const members of byCategory)
    for (let s = 0; s < members.length; s += 10) {
      const b = members.slice(s, s + 10);
      for (const i of b) bundleOf[i] = bundles.length;
      bundles.push(cumulative(b, pop));
    }
  const visitorItems = byCategory[0]
    .slice()
    .sort((a, b) => pop[b] - pop[a])
    .slice(0, views)
    .reverse()
    .map((i) => catalogue[i]);
  if (!learn) return { catalogue: { items: catalogue }, visitorItems };
  const all = cumulative(order, pop);
  const cats = byCategory.map((m) => cumulative(m, pop));

  const out = [];
  for (let n = 0; n < sessions; n++) {
    let length = 1;
    while (length < 15 && random() >= 1 / 3.5) length++;
    const start = Math.floor(random() * 28 * DAY);
    const seen = new Set();
    let current = drawFrom(all, random());
    const events = [];
    for (let k = 0; k < length; k++) {
      seen.add(current);
      const at = start + k * 60_000;
      events.push({ item: sku(current), at, kind: 'view' });
      if (random() < 0.1) events.push({ item: sku(current), at: at + 30_000, kind: 'purchase' });
      // the next item: a few tries to find one the session has not viewed (the world is large)
      let next = -1;
      for (let t = 0; t < 8 && (next < 0 || seen.has(next)); t++) {
        const u = random();
        const from = u < 0.6 ? bundles[bundleOf[current]] : u < 0.75 ? cats[category(current)] : all;
        next = drawFrom(from, random());
      }
      if (seen.has(next)) break;
      current = next;
    }
    out.push(events);
  }
  const now = 28 * DAY;
  const started = performance.now();
  const model = learnNeighbours(out, {
    now,
    categoryOf: (id) => catalogue[Number(id.slice(4))]?.category,
  });
  const trainMs = performance.now() - started;
  // stored as the job stores it: the compact binary form (engine/recommend-model.ts)
  const value = encodeRecommendModel(model);
  return {
    catalogue: { items: catalogue },
    modelValue: value,
    modelBytes: value.byteLength,
    stamp: { version: RECOMMEND_COMPACT_VERSION, trainedAt: now },
    sessions: out.length,
    neighbourLists: Object.keys(model.neighbours).length,
    trainMs,
    visitorItems,
  };
}
