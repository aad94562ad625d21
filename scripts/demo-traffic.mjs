#!/usr/bin/env node
// `npm run demo:traffic`: realistic traffic against a running HIO worker (`npm start`), so the dashboard has
// something to show. Each simulated visitor has its own cookie jar and a real browser's user agent, browses
// the demo shop (home, categories, products) with a favourite category, and after every page sends the
// beacon batch the browser script would send (text/plain JSON `{v:1,events:[...]}`: pageview with category
// and item, scroll depths, engaged time, impressions of the marked slots found in the HTML, some clicks, and
// clicks on the items of marked lists, recommendations or the shop's own, which the visitor then follows).
// Products come in pairs that go together (each product and its neighbour in its category's list): from a
// product page a visitor goes on to its partner half the time, so the recommendations' co-views have an
// affinity to learn. Some visitors buy: cart (an `add_to_cart` conversion), checkout, a `purchase` conversion
// with the order total as value, the order placed. How likely a
// visitor is to buy depends on the variants they saw (non-control variants get a configurable lift), so the
// dashboard shows a winner. Every 5xx answer of the worker is counted and reported (never retried quietly:
// a 5xx during a demo run is a fault to look at), and the command exits non-zero when there was one.
// `runTraffic(options)` and `waitForRecorded(...)` are exported for the end-to-end tests.
//
//   npm run demo:traffic -- [--url http://127.0.0.1:8787] [--visitors 400] [--token dev-admin-token]
//                           [--concurrency 8] [--base-rate 0.06] [--lift 1] [--seed 42]

import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { PRODUCT_ROWS } from '../examples/shop/catalog.mjs';

export const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Mobile Safari/537.36',
];
const REFERRERS = [
  '',
  '',
  'https://www.google.com/',
  'https://www.instagram.com/',
  'https://news.ycombinator.com/',
];
const CATEGORIES = ['shoes', 'bags', 'jackets'];
/** Products that go together: each category's list in pairs (1st with 2nd, 3rd with 4th, ...). */
export const PARTNERS = new Map(
  Object.values(PRODUCT_ROWS).flatMap((rows) =>
    rows.map(([slug], i) => [`/p/${slug}`, `/p/${rows[i ^ 1]?.[0] ?? slug}`]),
  ),
);
const SCROLL_DEPTHS = [25, 50, 75, 90, 100];
/** Each product's category, by its path. */
const CATEGORY_OF = new Map(
  Object.entries(PRODUCT_ROWS).flatMap(([category, rows]) => rows.map(([slug]) => [`/p/${slug}`, category])),
);

/** Deterministic PRNG, so a seed replays the same traffic. */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The slot markers (`data-hio-campaign` / `data-hio-variant`) in a page, in document order. */
export function markersOf(html) {
  const out = [];
  for (const [tag] of html.matchAll(/<[a-z][^>]*\bdata-hio-campaign="[^"]*"[^>]*>/gi)) {
    const campaign = /\bdata-hio-campaign="([^"]*)"/.exec(tag)?.[1];
    const variant = /\bdata-hio-variant="([^"]*)"/.exec(tag)?.[1];
    if (campaign && variant) out.push({ campaign, variant });
  }
  return out;
}

/**
 * The marked items of the slots' lists (`data-hio-item` / `data-hio-pos`, as the worker marks its
 * recommendations and the shop its own lists), each with the slot it is in: the last slot marker before
 * it in the page (the shop's lists are the slot elements themselves).
 */
export function listedItemsOf(html) {
  const out = [];
  let slot = null;
  for (const [tag] of html.matchAll(/<[a-z][^>]*\bdata-hio-(?:campaign|item)="[^"]*"[^>]*>/gi)) {
    const campaign = /\bdata-hio-campaign="([^"]*)"/.exec(tag)?.[1];
    const variant = /\bdata-hio-variant="([^"]*)"/.exec(tag)?.[1];
    if (campaign && variant) slot = { campaign, variant };
    const item = /\bdata-hio-item="([^"]*)"/.exec(tag)?.[1];
    const pos = Number(/\bdata-hio-pos="([^"]*)"/.exec(tag)?.[1]);
    const href = /\bhref="([^"]*)"/.exec(tag)?.[1];
    if (slot && item && pos && href) out.push({ ...slot, item, pos, href });
  }
  return out;
}

function categoryOf(html) {
  return /<meta name="hio:category" content="([^"]*)"/.exec(html)?.[1]?.toLowerCase() || undefined;
}

/** The catalogue item a product page declares (`<meta name="hio:item">`), as the browser script reads it. */
function itemOf(html) {
  return /<meta name="hio:item" content="([^"]*)"/.exec(html)?.[1] || undefined;
}

function linksOf(html) {
  return [...new Set([...html.matchAll(/href="(\/(?:c|p)\/[a-z0-9-]+)"/g)].map((m) => m[1]))];
}

/** A visitor's cookies, kept from every Set-Cookie like a browser does (no expiry beyond Max-Age=0). */
function cookieJar() {
  const jar = new Map();
  return {
    take(res) {
      for (const c of res.headers.getSetCookie()) {
        const [pair, ...attrs] = c.split(';');
        const eq = pair.indexOf('=');
        const name = pair.slice(0, eq).trim();
        const value = pair.slice(eq + 1).trim();
        if (!value || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))) jar.delete(name);
        else jar.set(name, value);
      }
    },
    header: () => [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
    has: (name) => jar.has(name),
  };
}

/**
 * Where the best variant differs by device (the demo's contextual campaign): the buying chance is
 * multiplied by the factor of the variant the visitor saw on their device. Phones buy on the next-day
 * promise, desktops on free returns, so the learned shares diverge per device on the dashboard.
 */
export const DEVICE_EFFECTS = {
  'delivery-promise': {
    mobile: { 'next-day': 2.5, 'free-returns': 0.5 },
    desktop: { 'next-day': 0.5, 'free-returns': 2.5 },
  },
};

export const deviceOf = (ua) => (/Mobi|iPhone|Android/.test(ua) ? 'mobile' : 'desktop');

/**
 * The default buying model: a base rate, multiplied by 1 + lift for every campaign whose non-control variant
 * the visitor saw (at most 50%), and by DEVICE_EFFECTS for the contextual campaign's variants (those are
 * not counted as "treated"). `rates` (`{ "<variant>": p }` or `{ "<campaign>/<variant>": p }`, with
 * `"none"` for a visitor who saw no marked slot) replaces it with known true rates: the first variant seen
 * decides. `isControl(campaign, variant)` says which variants are controls.
 */
export function conversionModel({
  baseRate = 0.06,
  lift = 1,
  rates,
  isControl = (_c, v) => v === 'control',
} = {}) {
  return (seen, device = 'desktop') => {
    if (rates) {
      for (const s of seen) {
        const r = rates[`${s.campaign}/${s.variant}`] ?? rates[s.variant];
        if (r !== undefined) return r;
      }
      return rates.none ?? baseRate;
    }
    let factor = 1;
    for (const s of seen) factor *= DEVICE_EFFECTS[s.campaign]?.[device]?.[s.variant] ?? 1;
    const treated = new Set(
      seen
        .filter((s) => !DEVICE_EFFECTS[s.campaign] && !isControl(s.campaign, s.variant))
        .map((s) => s.campaign),
    );
    return Math.min(0.5, baseRate * factor * (1 + lift) ** treated.size);
  };
}

/** The control variant of each campaign (the one without html), from the admin API when the token works. */
async function controlsOf(base, token) {
  const controls = new Map();
  try {
    const res = await fetch(`${base}/__hio/admin/config`, { headers: { authorization: `Bearer ${token}` } });
    if (res.ok) {
      // GET returns the campaign document itself
      const document = await res.json();
      for (const c of document?.campaigns ?? []) {
        const control = c.variants?.find((v) => v.html === undefined) ?? c.variants?.[0];
        if (control) controls.set(c.id, control.id);
      }
    }
  } catch {}
  return (campaign, variant) => (controls.get(campaign) ?? 'control') === variant;
}

/**
 * Runs `visitors` simulated visitors against the worker at `url`, `concurrency` at a time.
 * @param {object} [o]
 * @param {string} [o.url='http://127.0.0.1:8787']
 * @param {number} [o.visitors=400]
 * @param {number} [o.concurrency=8]
 * @param {string} [o.token='dev-admin-token'] admin token, to read which variants are controls
 * @param {number} [o.baseRate=0.06] chance to buy without any personalization
 * @param {number} [o.lift=1] relative lift of the buying chance per non-control variant seen
 * @param {Record<string, number>} [o.rates] known true buying rates per variant (see conversionModel)
 * @param {number} [o.seed] PRNG seed (default: random)
 * @param {[number, number]} [o.thinkMs=[40, 170]] pause between a visitor's steps
 * @param {(msg: string) => void} [o.progress] called every 10% of visitors
 * @returns {Promise<{ visitors: number, pageviews: number, beacons: number, conversions: number,
 *   revenue: number, errors: number, firstError: string|null, elapsedMs: number,
 *   serverErrors: { count: number, samples: string[] },
 *   seen: Record<string, Record<string, { visitors: number, conversions: number }>> }>}
 *   `serverErrors` counts the worker's 5xx answers (`samples`: the first few, as "METHOD path -> status body").
 */
export async function runTraffic({
  url = 'http://127.0.0.1:8787',
  visitors = 400,
  concurrency = 8,
  token = 'dev-admin-token',
  baseRate = 0.06,
  lift = 1,
  rates,
  seed = Math.floor(Math.random() * 2 ** 31),
  thinkMs = [40, 170],
  progress,
} = {}) {
  const base = url.replace(/\/+$/, '');
  const rand = mulberry32(seed);
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const isControl = await controlsOf(base, token);
  const buyChance = conversionModel({ baseRate, lift, rates, isControl });
  const stats = {
    visitors: 0,
    pageviews: 0,
    beacons: 0,
    conversions: 0,
    revenue: 0,
    errors: 0,
    firstError: null,
    serverErrors: { count: 0, samples: [] },
    seen: {},
  };
  const products = new Set();
  const started = Date.now();
  let eventCounter = 0;
  const eventId = () =>
    `${Date.now().toString(36)}${(eventCounter++).toString(36)}${Math.floor(rand() * 1e6).toString(36)}`;
  const think = () => sleep(thinkMs[0] + rand() * (thinkMs[1] - thinkMs[0]));
  const fail = (what, err) => {
    stats.errors++;
    stats.firstError ??= `${what}: ${err instanceof Error ? err.message : String(err)}`;
  };

  async function visit() {
    const jar = cookieJar();
    const ua = pick(USER_AGENTS);
    const favourite = pick(CATEGORIES);
    const seen = [];
    let ref = pick(REFERRERS);
    let current = null;

    const request = async (path, init = {}) => {
      const headers = { 'user-agent': ua, 'accept-language': 'en-GB,en;q=0.9', ...init.headers };
      const cookie = jar.header();
      if (cookie) headers.cookie = cookie;
      const res = await fetch(base + path, {
        ...init,
        headers,
        redirect: 'manual',
        signal: AbortSignal.timeout(20_000),
      });
      jar.take(res);
      if (res.status >= 500) {
        stats.serverErrors.count++;
        const body = (await res.clone().text()).replace(/\s+/g, ' ').slice(0, 200);
        if (stats.serverErrors.samples.length < 5)
          stats.serverErrors.samples.push(`${init.method ?? 'GET'} ${path} -> ${res.status} ${body}`);
      }
      return res;
    };

    const beacon = async (events) => {
      // the script's batches are stamped and sent as text/plain, like navigator.sendBeacon does
      const body = JSON.stringify({
        v: 1,
        events: events.map((e) => ({ ...e, id: eventId(), ts: Date.now() })),
      });
      const res = await request('/__hio/collect', {
        method: 'POST',
        headers: { 'content-type': 'text/plain;charset=UTF-8', origin: base, referer: base + current.path },
        body,
      });
      // a 5xx is counted by request() and ends this visitor: the summary reports it
      if (res.status !== 204)
        throw new Error(`beacon answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
      stats.beacons++;
    };

    /** A page view as a browser makes it, then the page's beacon when the visitor leaves it. */
    const view = async (path, extra = []) => {
      const res = await request(path, {
        headers: { accept: 'text/html,application/xhtml+xml', ...(ref ? { referer: ref } : {}) },
      });
      if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}`);
      const html = await res.text();
      stats.pageviews++;
      current = { path, html, markers: markersOf(html) };
      for (const l of linksOf(html)) if (l.startsWith('/p/')) products.add(l);
      for (const m of current.markers) {
        if (!seen.some((s) => s.campaign === m.campaign)) seen.push(m);
      }
      // reading the page: the page's own state write lands before the visitor does anything
      await think();
      const events = [
        { t: 'pageview', path, category: categoryOf(html), item: itemOf(html), ref: ref || undefined },
      ];
      const depth = pick(SCROLL_DEPTHS);
      for (const d of SCROLL_DEPTHS) if (d <= depth) events.push({ t: 'scroll', depth: d });
      current.markers.forEach((m, i) => {
        // the hero is always in view; slots further down only when the visitor scrolled
        if (i === 0 || depth >= 50) events.push({ t: 'impression', ...m });
        if (rand() < (isControl(m.campaign, m.variant) ? 0.06 : 0.06 * (1 + lift)))
          events.push({ t: 'click', ...m });
      });
      // a listed item (a recommendation, or the shop's own list) is clicked more often near the top, and
      // more than twice as often when it goes with this product or is in the favourite category: lists
      // that learned what goes together get more clicks. The visitor then goes to that item.
      current.next = undefined;
      if (depth >= 50)
        for (const l of listedItemsOf(html)) {
          const fits = PARTNERS.get(path) === l.href || CATEGORY_OF.get(l.href) === favourite;
          if (rand() < (0.05 / Math.sqrt(l.pos)) * (fits ? 2.5 : 1)) {
            events.push({ t: 'click', campaign: l.campaign, variant: l.variant, item: l.item, pos: l.pos });
            current.next = l.href;
            break;
          }
        }
      events.push({ t: 'engaged', ms: Math.floor(3000 + rand() * 60_000) }, ...extra);
      await beacon(events);
      ref = base + path;
      return html;
    };

    /**
     * A product's partner half the time; otherwise mostly towards the favourite category and its
     * products, back home now and then, sometimes anywhere.
     */
    const nextPath = (html) => {
      if (current.next) return current.next;
      const links = linksOf(html);
      // the product that goes with this one, half the time
      const partner = PARTNERS.get(current.path);
      if (partner && partner !== current.path && rand() < 0.5) return partner;
      if (current.path !== '/' && rand() < 0.2) return '/';
      if (rand() < 0.7) {
        const products = links.filter((l) => l.startsWith('/p/'));
        if (current.path === `/c/${favourite}` && products.length) return pick(products);
        if (current.path !== `/c/${favourite}`) return `/c/${favourite}`;
      }
      return pick(links) ?? `/c/${favourite}`;
    };

    const entry = rand();
    let html = await view(
      entry < 0.55 || !products.size ? '/' : entry < 0.8 ? `/c/${favourite}` : pick([...products]),
    );
    const pages = 1 + Math.floor(rand() * 5);
    for (let i = 0; i < pages; i++) html = await view(nextPath(html));
    // most visitors look at the home page again before they leave (or buy): that is where the hero is
    if (current.path !== '/' && rand() < 0.6) html = await view('/');

    const buys = rand() < buyChance(seen, deviceOf(ua));
    if (buys) {
      const product = current.path.startsWith('/p/')
        ? current.path
        : (linksOf(html).find((l) => l.startsWith('/p/')) ?? pick([...products]));
      if (product) {
        if (current.path !== product) html = await view(product);
        const added = await request('/cart', {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            origin: base,
            referer: base + product,
          },
          body: new URLSearchParams({ action: 'add', slug: product.slice(3), qty: '1' }).toString(),
        });
        if (added.status !== 303) throw new Error(`POST /cart answered ${added.status}`);
        // the button carries data-hio-goal="add_to_cart": the item of the page is in the cart
        await beacon([{ t: 'conversion', goal: 'add_to_cart' }]);
        await view('/cart');
        // the checkout's button carries data-hio-goal="purchase" and the order total as data-hio-value
        const checkout = await request('/checkout', { headers: { accept: 'text/html' } });
        const page = await checkout.text();
        stats.pageviews++;
        current = { path: '/checkout', html: page, markers: markersOf(page) };
        const value = Number(/data-hio-goal="purchase" data-hio-value="([\d.]+)"/.exec(page)?.[1] ?? 0);
        await think();
        await beacon([
          { t: 'pageview', path: '/checkout', ref: `${base}/cart` },
          { t: 'form_submit', form: 'checkout' },
          { t: 'conversion', goal: 'purchase', ...(value > 0 ? { value } : {}) },
        ]);
        const placed = await request('/thanks', {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            origin: base,
            referer: `${base}/checkout`,
          },
          body: new URLSearchParams({ total: String(value) }).toString(),
        });
        const location = placed.headers.get('location');
        if (location) await view(new URL(location, base).pathname + new URL(location, base).search);
        stats.conversions++;
        stats.revenue += value;
      }
    }
    const tally = (campaign, variant) => {
      stats.seen[campaign] ??= {};
      stats.seen[campaign][variant] ??= { visitors: 0, conversions: 0 };
      stats.seen[campaign][variant].visitors++;
      if (buys) stats.seen[campaign][variant].conversions++;
    };
    for (const s of seen) tally(s.campaign, s.variant);
    if (!seen.length) tally('(none)', 'none');
  }

  let next = 0;
  let done = 0;
  const step = Math.max(1, Math.ceil(visitors / 10));
  const lane = async () => {
    while (next < visitors) {
      next++;
      try {
        await visit();
        stats.visitors++;
      } catch (err) {
        fail('visitor', err);
      }
      done++;
      if (progress && done % step === 0) progress(`${done}/${visitors} visitors`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, visitors)) }, lane));
  return { ...stats, elapsedMs: Date.now() - started };
}

/** Visitors and purchases the results API has recorded so far (programme-wide: treated and holdout). */
export async function recordedTotals(base, token) {
  const res = await fetch(`${base}/__hio/admin/results`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET /__hio/admin/results answered ${res.status}`);
  const { programme } = await res.json();
  return {
    visitors: programme.treated.visitors + programme.holdout.visitors,
    conversions: programme.goals?.purchase?.total.conversions ?? 0,
  };
}

/**
 * Waits until the results API holds at least `target` visitors and purchases. The worker writes them to D1
 * after it has answered, in another process, and through the measurement queue a batch timeout (5 s) later,
 * so there is nothing to await but its results: this asks again every `intervalMs`, at most `attempts`
 * times, then throws with what it last saw.
 */
export async function waitForRecorded(base, token, target, { attempts = 120, intervalMs = 250 } = {}) {
  let last = null;
  for (let i = 0; i < attempts; i++) {
    last = await recordedTotals(base, token);
    if (last.visitors >= target.visitors && last.conversions >= target.conversions) return last;
    await sleep(intervalMs);
  }
  throw new Error(
    `the results hold ${last?.visitors} visitors and ${last?.conversions} purchases, not ${target.visitors} and ${target.conversions}`,
  );
}

/** Prints the traffic summary and, with the admin token, what the results API now says. */
async function printSummary(base, token, before, s) {
  const pct = (x) => `${(x * 100).toFixed(2)}%`;
  console.log(
    `\n${s.visitors} visitors, ${s.pageviews} pageviews, ${s.beacons} beacons, ${s.conversions} purchases (${s.revenue.toFixed(2)} revenue) in ${(s.elapsedMs / 1000).toFixed(1)}s${s.errors ? `, ${s.errors} errors (first: ${s.firstError})` : ''}`,
  );
  for (const [campaign, variants] of Object.entries(s.seen)) {
    const line = Object.entries(variants)
      .map(([v, x]) => `${v} ${x.conversions}/${x.visitors}`)
      .join(', ');
    console.log(`  saw ${campaign}: ${line}`);
  }
  if (s.serverErrors.count) {
    console.log(`\n${s.serverErrors.count} answers of the worker were 5xx, e.g.:`);
    for (const line of s.serverErrors.samples) console.log(`  ${line}`);
  }
  try {
    // the worker records after it answers: wait until the results hold this run's visitors and purchases
    await waitForRecorded(base, token, {
      visitors: before.visitors + s.visitors,
      conversions: before.conversions + s.conversions,
    }).catch((err) => console.log(`\n(${err.message})`));
    // what the cron would do within minutes, now: learn the shares per context, train the model, cluster
    const auth = { authorization: `Bearer ${token}` };
    for (const job of ['bandits', 'train']) {
      const r = await fetch(`${base}/__hio/admin/${job}`, { method: 'POST', headers: auth });
      const body = r.ok ? await r.json() : { error: r.status };
      if (job === 'train') {
        console.log(
          `\nPropensity model: ${body.outcome ?? body.error}${body.clusters ? `; ${body.clusters}` : ''}`,
        );
        const items = body.pageItems;
        if (items)
          console.log(
            items.outcome === 'collected'
              ? `Items declared by pages: ${items.added} added, ${items.updated} updated, ${items.unchanged} unchanged, ${items.refused} refused (GET /__hio/admin/catalog?source=page)`
              : `Items declared by pages: not collected (${items.reason})`,
          );
        const recs = body.recommendations;
        if (recs)
          console.log(
            recs.outcome === 'trained'
              ? `Recommendations: learned from ${recs.sessions} sessions, ${recs.items} items with neighbours`
              : `Recommendations: not learned (${recs.reason})`,
          );
      } else
        for (const c of body.contextual ?? [])
          console.log(
            `Contextual shares of ${c.campaignId}: ${Object.entries(c.shares.contexts)
              .map(([k, w]) => `${k} ${w.map((x) => pct(x)).join('/')}`)
              .join(', ')}`,
          );
    }
    const res = await fetch(`${base}/__hio/admin/results`, { headers: auth });
    if (!res.ok) throw new Error(`GET /__hio/admin/results answered ${res.status}`);
    const report = await res.json();
    console.log('\nResults (GET /__hio/admin/results):');
    for (const c of report.campaigns) {
      const cells = c.variants.map((v) => {
        const g = v.goals[c.goals[0]];
        return `${v.id}: ${v.visitors} visitors, ${pct(g?.rate ?? 0)}${v.control ? '' : ` (${g?.verdict ?? '-'})`}`;
      });
      console.log(`  ${c.id}${c.srm.warning ? ' [SRM!]' : ''}: ${cells.join(' | ')}`);
    }
  } catch (err) {
    console.log(`\n(could not read the results: ${err.message})`);
  }
  console.log(`\nDashboard: ${base}/__hio/dashboard  (log in with the admin token)`);
}

async function main() {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:8787' },
      visitors: { type: 'string', default: '400' },
      token: { type: 'string', default: process.env.HIO_ADMIN_TOKEN || 'dev-admin-token' },
      concurrency: { type: 'string', default: '8' },
      'base-rate': { type: 'string', default: '0.06' },
      lift: { type: 'string', default: '1' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      'usage: npm run demo:traffic -- [--url URL] [--visitors N] [--token T] [--concurrency N] [--base-rate P] [--lift L] [--seed S]',
    );
    return;
  }
  const num = (name, min, max) => {
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new Error(`--${name} must be a number in [${min}, ${max}]`);
    return n;
  };
  const base = values.url.replace(/\/+$/, '');
  try {
    const res = await fetch(`${base}/__hio/health`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`answered ${res.status}`);
  } catch (err) {
    throw new Error(
      `no HIO worker at ${base} (${err.cause?.code ?? err.message}): start it with \`npm start\``,
    );
  }
  const visitors = Math.floor(num('visitors', 1, 1e6));
  console.log(`Sending ${visitors} visitors to ${base} ...`);
  const before = await recordedTotals(base, values.token).catch(() => ({ visitors: 0, conversions: 0 }));
  const summary = await runTraffic({
    url: base,
    visitors,
    concurrency: Math.floor(num('concurrency', 1, 256)),
    token: values.token,
    baseRate: num('base-rate', 0, 1),
    lift: num('lift', -1, 10),
    seed: values.seed === undefined ? undefined : Math.floor(num('seed', 0, 2 ** 32)),
    progress: (msg) => console.log(`  ${msg}`),
  });
  await printSummary(base, values.token, before, summary);
  if (summary.visitors === 0 || summary.serverErrors.count > 0) process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(`demo:traffic: ${err.message}`);
    process.exitCode = 1;
  });
}
