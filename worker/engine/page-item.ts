/**
 * @module page-item
 * Items the site's own pages declare (`<meta name="hio:item" content="<id>">`), pure parts: which
 * pageviews of the event log name an item and a path of the site (the candidates), and what a fetched
 * page's head says about its item (the facts an HTMLRewriter pass collected, db/catalog-collect.ts)
 * turned into a catalogue item, validated exactly as an uploaded one is (catalog.ts).
 *
 * The client is untrusted: a pageview's `item` and `path` are only where to look. An item enters the
 * catalogue only when the origin's own page at that path declares that very id.
 */
import { MAX_URL_CHARS, NAME_PATTERN } from './beacon-protocol.ts';
import { type CatalogItem, MAX_TITLE_CHARS, parseCatalog } from './catalog.ts';
import { logObject } from './recommend-log.ts';

/** What a page's head says, as written in the HTML (entities not yet decoded). First of each wins. */
export interface PageFacts {
  /** `<meta name="hio:item">` */
  item?: string;
  /** `<meta name="hio:category">` */
  category?: string;
  /** the text of `<title>` */
  title?: string;
  /** `og:title` */
  ogTitle?: string;
  /** `og:image` (or `og:image:url`, `og:image:secure_url`) */
  image?: string;
  /** `og:url` */
  url?: string;
  /** `<link rel="canonical">` */
  canonical?: string;
  /** `product:price:amount` or `og:price:amount` */
  price?: string;
  /** `product:availability` or `og:availability` */
  availability?: string;
}

/** A pageview of the log that names an item, reduced to what the collector needs. */
export interface DeclaredView {
  visitor: string;
  item: string;
  /** a path of the site (and its query), never a URL of another host */
  path: string;
  at: number;
}

/**
 * A pageview's `path` as a path of the site to fetch from the origin: it starts with one "/", has no
 * spaces, controls or backslashes, is not one of HIO's own routes (`/__hio/`), and loses its fragment.
 * Null for anything else (a full URL, `//host/...`, an empty path).
 */
export function sitePath(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.length > MAX_URL_CHARS) return null;
  const path = raw.split('#', 1)[0] as string;
  if (!path.startsWith('/') || path.startsWith('//')) return null;
  if (/[\s\\]/.test(path) || hasControl(path)) return null;
  if (path === '/__hio' || path.startsWith('/__hio/') || path.startsWith('/__hio?')) return null;
  return path;
}

function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** One NDJSON line of the event log: a pageview with an item and a site path, or null. */
export function parseDeclaredView(line: string): DeclaredView | null {
  if (!line.includes('"pageview"') || !line.includes('"item"')) return null;
  const e = logObject(line);
  if (!e) return null;
  if (e.t !== 'pageview') return null;
  const { visitor, item, at } = e;
  if (typeof visitor !== 'string' || !visitor) return null;
  if (typeof at !== 'number' || !Number.isFinite(at)) return null;
  if (typeof item !== 'string' || !NAME_PATTERN.test(item)) return null;
  const path = sitePath(e.path);
  return path ? { visitor, item, path, at } : null;
}

/** The paths that declared one item in the log, best first. */
export interface DeclaredItem {
  item: string;
  /** distinct visitors who viewed it (counted up to `maxVisitors`) */
  visitors: number;
  /** its latest view */
  latest: number;
  /** distinct paths, by distinct visitors then latest view, at most `maxPaths` */
  paths: string[];
}

/**
 * The items the views declare, most viewed first (distinct visitors, counted up to `maxVisitors` so a
 * crawler costs bounded memory), then the latest view, then the id. Each keeps its `maxPaths` best
 * paths: a forged path among real ones does not hide the real path.
 */
export function declaredItems(
  views: Iterable<DeclaredView>,
  opts: { maxPaths?: number; maxVisitors?: number } = {},
): DeclaredItem[] {
  const maxPaths = opts.maxPaths ?? 3;
  const maxVisitors = opts.maxVisitors ?? 100;
  const byItem = new Map<
    string,
    { visitors: Set<string>; latest: number; paths: Map<string, { visitors: Set<string>; latest: number }> }
  >();
  for (const v of views) {
    let e = byItem.get(v.item);
    if (!e) {
      e = { visitors: new Set(), latest: v.at, paths: new Map() };
      byItem.set(v.item, e);
    }
    if (e.visitors.size < maxVisitors) e.visitors.add(v.visitor);
    e.latest = Math.max(e.latest, v.at);
    let p = e.paths.get(v.path);
    if (!p) {
      // a bounded number of distinct paths per item: enough to rank the few best
      if (e.paths.size >= maxPaths * 8) continue;
      p = { visitors: new Set(), latest: v.at };
      e.paths.set(v.path, p);
    }
    if (p.visitors.size < maxVisitors) p.visitors.add(v.visitor);
    p.latest = Math.max(p.latest, v.at);
  }
  const out: DeclaredItem[] = [];
  for (const [item, e] of byItem) {
    const paths = [...e.paths]
      .sort(
        ([pa, a], [pb, b]) =>
          b.visitors.size - a.visitors.size || b.latest - a.latest || (pa < pb ? -1 : pa > pb ? 1 : 0),
      )
      .slice(0, maxPaths)
      .map(([p]) => p);
    out.push({ item, visitors: e.visitors.size, latest: e.latest, paths });
  }
  return out.sort(
    (a, b) =>
      b.visitors - a.visitors || b.latest - a.latest || (a.item < b.item ? -1 : a.item > b.item ? 1 : 0),
  );
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  ndash: '\u2013',
  mdash: '\u2014',
  hellip: '\u2026',
  lsquo: '\u2018',
  rsquo: '\u2019',
  ldquo: '\u201c',
  rdquo: '\u201d',
  middot: '\u00b7',
  bull: '\u2022',
  copy: '\u00a9',
  reg: '\u00ae',
  trade: '\u2122',
  euro: '\u20ac',
  pound: '\u00a3',
  yen: '\u00a5',
  times: '\u00d7',
};

/**
 * HTML character references as HTMLRewriter hands attribute values and `<title>` text over (raw):
 * numeric ones and the common named ones; an unknown name stays as written.
 */
export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[A-Za-z]{2,8});/g, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code =
        ref[1] === 'x' || ref[1] === 'X' ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
      if (!Number.isFinite(code) || code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
        return '\ufffd';
      return String.fromCodePoint(code);
    }
    return NAMED_ENTITIES[ref] ?? whole;
  });
}

/** Decoded, whitespace collapsed, controls dropped; empty when nothing is left. */
const cleanText = (s: string | undefined): string =>
  Array.from(decodeEntities(s ?? ''), (ch) => {
    const c = ch.charCodeAt(0);
    return c < 0x20 || c === 0x7f ? ' ' : ch;
  })
    .join('')
    .replace(/\s+/g, ' ')
    .trim();

/** At most `n` UTF-16 units (what the catalogue's length check counts), never half a surrogate pair. */
function truncate(s: string, n: number): string {
  if (s.length <= n) return s;
  let cut = n - 1;
  const last = s.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--;
  return `${s.slice(0, cut)}\u2026`;
}

/**
 * A price as pages write it: `129`, `129.00`, `1,299.50`, `129,00` (a decimal comma); a currency sign
 * or code around it is ignored. Undefined for anything else.
 */
export function parsePrice(raw: string | undefined): number | undefined {
  const s = cleanText(raw)
    .replace(/^[^\d-]*/, '')
    .replace(/[^\d.,]+$/, '');
  let n: number;
  if (/^\d+(\.\d+)?$/.test(s)) n = Number(s);
  else if (/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) n = Number(s.replaceAll(',', ''));
  else if (/^\d{1,3}(\.\d{3})+(,\d+)?$/.test(s)) n = Number(s.replaceAll('.', '').replace(',', '.'));
  else if (/^\d+,\d{1,2}$/.test(s)) n = Number(s.replace(',', '.'));
  else return undefined;
  return Number.isFinite(n) && n >= 0 && n <= 1e9 ? n : undefined;
}

/** Availability values that mean "cannot be bought now" (lower case, letters only). */
const UNAVAILABLE = new Set(['oos', 'outofstock', 'soldout', 'discontinued', 'unavailable']);
/** Values that mean it can. */
const AVAILABLE = new Set([
  'instock',
  'available',
  'availablefororder',
  'preorder',
  'backorder',
  'limitedavailability',
  'onlineonly',
  'instoreonly',
  'presale',
]);

/**
 * `product:availability` / `og:availability`: `out of stock`, `oos`, `OutOfStock`,
 * `https://schema.org/SoldOut`, `discontinued` → false; `in stock`, `preorder`, ... → true; anything
 * else (or none) → undefined.
 */
export function parseAvailability(raw: string | undefined): boolean | undefined {
  const s = cleanText(raw)
    .toLowerCase()
    .replace(/^https?:\/\/schema\.org\//, '')
    .replace(/[^a-z]/g, '');
  if (UNAVAILABLE.has(s)) return false;
  if (AVAILABLE.has(s)) return true;
  return undefined;
}

/** The category as the browser script sends it (client/src/page.ts `slug`): `Running Shoes` → `running-shoes`. */
const categorySlug = (s: string): string =>
  s
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .slice(0, 40);

/** The item id as the browser script sends it (client/src/value.ts `goalName`): `Boot #1` → `Boot-1`. */
const itemName = (s: string): string =>
  s
    .trim()
    .replace(/[^\w.:-]+/g, '-')
    .slice(0, 64);

/**
 * A link of the page resolved against the page's URL (at the origin): a URL of the origin becomes a
 * path of the site (the visitor reaches it through HIO, not at the origin's address), another http(s)
 * URL stays whole; the fragment is dropped. Undefined when it is no http(s) link.
 */
export function siteLink(raw: string | undefined, pageUrl: URL, origin: URL): string | undefined {
  const s = cleanText(raw);
  if (!s) return undefined;
  let u: URL;
  try {
    u = new URL(s, pageUrl);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  u.hash = '';
  if (u.origin === origin.origin) {
    const base = origin.pathname.replace(/\/$/, '');
    if (!base) return u.pathname + u.search;
    if (u.pathname === base || u.pathname.startsWith(`${base}/`))
      return (u.pathname.slice(base.length) || '/') + u.search;
  }
  return u.href;
}

export type PageItemResult =
  | { ok: true; item: CatalogItem; notes: string[] }
  | {
      ok: false;
      /** `not-declared`: the page does not declare this id; `invalid`: it does, but no valid item results */
      outcome: 'not-declared' | 'invalid';
      reason: string;
    };

const OPTIONAL = ['image', 'price', 'category'] as const;

/**
 * The catalogue item a page declares, from its facts: `id` is the candidate (what pageviews claimed),
 * `path` the site path fetched, `pageUrl` that path at the origin. The page must declare exactly `id`
 * (in the browser script's normalized form) or nothing comes of it. Title: `og:title`, else `<title>`
 * (entities decoded, whitespace collapsed, cut to 200 characters). URL: `og:url`, else
 * `<link rel="canonical">`, else the path. Image: `og:image`. An optional field that fails validation
 * (an image link with a quote, a category of other characters) is left out with a note; a failing
 * title or URL makes the item invalid.
 */
export function pageItem(
  facts: PageFacts,
  ctx: { id: string; path: string; pageUrl: URL; origin: URL },
): PageItemResult {
  const declared = itemName(cleanText(facts.item));
  if (!declared)
    return { ok: false, outcome: 'not-declared', reason: 'the page declares no item (hio:item)' };
  if (declared !== ctx.id)
    return { ok: false, outcome: 'not-declared', reason: `the page declares "${declared}", not "${ctx.id}"` };
  const notes: string[] = [];
  const title = truncate(cleanText(facts.ogTitle) || cleanText(facts.title), MAX_TITLE_CHARS);
  if (!title) return { ok: false, outcome: 'invalid', reason: 'the page has no title (og:title or <title>)' };
  const url =
    siteLink(facts.url, ctx.pageUrl, ctx.origin) ??
    siteLink(facts.canonical, ctx.pageUrl, ctx.origin) ??
    ctx.path;
  const candidate: Record<string, unknown> = { id: ctx.id, url, title };
  const image = siteLink(facts.image, ctx.pageUrl, ctx.origin);
  if (image) candidate.image = image;
  else if (cleanText(facts.image)) notes.push('image: og:image is no http(s) link; left out');
  if (facts.price !== undefined) {
    const price = parsePrice(facts.price);
    if (price !== undefined) candidate.price = price;
    else notes.push(`price: "${cleanText(facts.price).slice(0, 40)}" is not a price; left out`);
  }
  const category = categorySlug(cleanText(facts.category));
  if (category) candidate.category = category;
  const available = parseAvailability(facts.availability);
  if (available === false) candidate.available = false;
  let parsed = parseCatalog({ items: [candidate] });
  if (!parsed.ok) {
    // an optional field that fails is left out, with a note; the item stays
    const problems = parsed.problems;
    let dropped = false;
    for (const f of OPTIONAL) {
      const p = problems.find((x) => x.startsWith(`items[0].${f}`));
      if (p === undefined) continue;
      delete candidate[f];
      notes.push(`${p.slice('items[0].'.length)}; left out`);
      dropped = true;
    }
    if (dropped) parsed = parseCatalog({ items: [candidate] });
  }
  if (!parsed.ok)
    return {
      ok: false,
      outcome: 'invalid',
      reason: parsed.problems.map((p) => p.replace(/^items\[0\]\./, '')).join('; '),
    };
  return { ok: true, item: parsed.items[0] as CatalogItem, notes };
}

/** Whether two items hold the same fields (the collector rewrites a row only when they differ). */
export function sameItem(a: CatalogItem, b: CatalogItem): boolean {
  return (
    a.id === b.id &&
    a.url === b.url &&
    a.title === b.title &&
    a.image === b.image &&
    a.price === b.price &&
    a.category === b.category &&
    (a.available !== false) === (b.available !== false)
  );
}
