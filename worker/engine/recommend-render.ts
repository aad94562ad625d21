/**
 * @module recommend-render
 * Recommendation variants on the page: what the page path holds (the model and the catalogue, indexed
 * once per isolate), the visitor as the profile describes them, and the rendering of a variant's
 * per-item template into its slot. Pure.
 *
 * A recommendation variant's `html` renders once per recommended item, with the visitor's attributes
 * and `item` = { id, url, title, image, price, category, position } (position from 1), each value
 * HTML-escaped and URL attributes sanitized as in every template (template-safe.ts). The template's
 * first element is marked `data-hio-item="<id>" data-hio-pos="<n>"` (a template that does not start
 * with an element is wrapped in a `<span>` carrying them), so clicks can be attributed to the item and
 * its position. No item to show (no model and no popularity, an empty catalogue): the slot keeps the
 * origin's content, as a control does.
 */
import { type FlatProfile, nameOf, num, P } from './profile-fields.ts';
import {
  type AnyRecommendModel,
  type CatalogueIndex,
  type CatalogueItem,
  indexCatalogue,
  type RecommendBasis,
  type RecommendExclude,
  type RecommendSource,
  type RecommendStrategy,
  type RecommendVisitor,
  recommend,
} from './recommend.ts';
import { renderSafe, type SafeTemplate } from './template-safe.ts';

/** The fields an item template may name: `{{ item.<field> }}`. */
export const ITEM_FIELDS = ['id', 'url', 'title', 'image', 'price', 'category', 'position'] as const;
export type ItemField = (typeof ITEM_FIELDS)[number];

/** Most items one recommendation variant shows. */
export const MAX_RECOMMEND_COUNT = 12;
export const DEFAULT_RECOMMEND_COUNT = 4;

/** What a recommendation variant asks for (the document's `recommend`, defaults applied). */
export interface RecommendSpec {
  strategy: RecommendStrategy;
  count: number;
  exclude: RecommendExclude;
}

/** What the page path holds for recommendations: the learned model and the catalogue. */
export interface RecommendContext {
  /** null until the co-view job has stored one (the page path holds the compact form) */
  model: AnyRecommendModel | null;
  catalogue: CatalogueIndex;
  /** the path of each catalogue item's page -> its id (the page's own item is found by its path) */
  byPath: ReadonlyMap<string, string>;
}

/** The path an item's URL names (a site path, or an absolute URL's path), without query or fragment. */
export function itemPath(url: string): string | null {
  let path: string;
  if (url.startsWith('/')) path = url;
  else {
    const m = /^https?:\/\/[^/?#]+(\/[^?#]*)?/i.exec(url);
    if (!m) return null;
    path = m[1] ?? '/';
  }
  path = path.split(/[?#]/)[0] ?? '/';
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/** Builds the context once per catalogue (and model): the index by id and by page path. */
export function recommendContext(
  items: readonly CatalogueItem[],
  model: AnyRecommendModel | null,
): RecommendContext {
  const catalogue = indexCatalogue(items);
  const byPath = new Map<string, string>();
  for (const item of catalogue.values()) {
    const path = itemPath(item.url);
    if (path && !byPath.has(path)) byPath.set(path, item.id);
  }
  return { model, catalogue, byPath };
}

/** The catalogue item whose page is at `path`, if any. */
export function pageItem(ctx: RecommendContext, path: string): string | null {
  const p = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return ctx.byPath.get(p) ?? null;
}

/**
 * The visitor as recommendations see them, from the profile: viewed items (`iv.`, with when), bought
 * items (`ib.`), the cart (items carted, `ic.`, and not bought), and the top interest.
 */
export function recommendVisitor(profile: FlatProfile, topInterest: unknown): RecommendVisitor {
  const viewed: { item: string; at: number }[] = [];
  const purchased: string[] = [];
  const carted: string[] = [];
  for (const f of Object.keys(profile)) {
    const c = f.charCodeAt(0);
    // only fields starting with "i" hold items; most fields are skipped on their first character
    if (c !== 105) continue;
    let item = nameOf(f, P.itemViewed);
    if (item !== null) {
      viewed.push({ item, at: num(profile, f) });
      continue;
    }
    item = nameOf(f, P.itemBought);
    if (item !== null) {
      purchased.push(item);
      continue;
    }
    item = nameOf(f, P.itemCarted);
    if (item !== null) carted.push(item);
  }
  const bought = new Set(purchased);
  return {
    viewed,
    purchased,
    cart: carted.filter((i) => !bought.has(i)),
    topInterest: typeof topInterest === 'string' && topInterest ? topInterest : null,
  };
}

/**
 * The source of a recommendation variant's template with its first element marked for attribution:
 * `<li ...>` becomes `<li data-hio-item="{{ item.id }}" data-hio-pos="{{ item.position }}" ...>`; a
 * template that does not start with an element is wrapped in a `<span>` carrying them.
 */
export function markItemTemplate(src: string): string {
  const marks = 'data-hio-item="{{ item.id }}" data-hio-pos="{{ item.position }}"';
  const m = /^(\s*<[A-Za-z][A-Za-z0-9-]*)(?=[\s/>])/.exec(src);
  if (m?.[1]) return `${m[1]} ${marks}${src.slice(m[1].length)}`;
  return `<span ${marks}>${src}</span>`;
}

/** Paths of `{{ item... }}` placeholders that name no item field, as written (for the document's problems). */
export function unknownItemPaths(paths: readonly (readonly string[])[]): string[] {
  const known = new Set<string>(ITEM_FIELDS);
  return paths
    .filter((p) => p[0] === 'item' && (p.length !== 2 || !known.has(p[1] as string)))
    .map((p) => p.join('.'));
}

export interface RecommendSlotInput {
  ctx: RecommendContext | null | undefined;
  /** the profile as of this request */
  profile: FlatProfile;
  /** the visitor attributes the template sees beside `item` */
  attributes: Record<string, unknown>;
  /** the page's path (its item is found in the catalogue by it) */
  path: string;
}

/**
 * A renderer of recommendation variants for one page: the visitor is read from the profile once, at
 * the first variant rendered. Each call returns the slot's content, or undefined when there is no item
 * to show (the slot keeps the origin's content).
 */
export function recommendationRenderer(
  input: RecommendSlotInput,
): (spec: RecommendSpec, template: SafeTemplate) => string | undefined {
  let visitor: RecommendVisitor | null = null;
  let item: string | null = null;
  return (spec, template) => {
    const ctx = input.ctx;
    if (!ctx || ctx.catalogue.size === 0) return undefined;
    if (!visitor) {
      visitor = recommendVisitor(input.profile, input.attributes.topInterest);
      item = pageItem(ctx, input.path);
    }
    const recs = recommend(ctx.model, ctx.catalogue, visitor, {
      strategy: spec.strategy,
      count: spec.count,
      exclude: spec.exclude,
      item,
    });
    if (recs.length === 0) return undefined;
    let out = '';
    recs.forEach((r, i) => {
      const it = r.item;
      const scope = {
        ...input.attributes,
        item: {
          id: it.id,
          url: it.url,
          title: it.title,
          image: it.image,
          price: it.price,
          category: it.category,
          position: i + 1,
        },
      };
      out += renderSafe(template, scope);
    });
    return out;
  };
}

/** What a recommendation variant would show this visitor now, and what each item came from. */
export interface RecommendationWhy {
  strategy: RecommendStrategy;
  /** whether the site has a learned model (without one, nothing is recommended) */
  learned: boolean;
  /** the catalogue item of the explained page, if it is one */
  pageItem: CatalogueItem | null;
  /** the visitor's cart (items carted and not bought) */
  cart: string[];
  /** whether the visitor has viewed any item */
  viewedAny: boolean;
  /** the items it would show, in order, each with its source and the visitor's data it came from */
  items: { item: CatalogueItem; source: RecommendSource; basis: RecommendBasis }[];
}

/**
 * The explanation of a recommendation variant for `/__hio/me`: the same call the page makes
 * ({@link recommendationRenderer}), with each item's basis. Null without a context or a catalogue.
 */
export function explainRecommendation(
  input: RecommendSlotInput,
  spec: RecommendSpec,
): RecommendationWhy | null {
  const ctx = input.ctx;
  if (!ctx || ctx.catalogue.size === 0) return null;
  const visitor = recommendVisitor(input.profile, input.attributes.topInterest);
  const item = pageItem(ctx, input.path);
  const recs = recommend(
    ctx.model,
    ctx.catalogue,
    visitor,
    { strategy: spec.strategy, count: spec.count, exclude: spec.exclude, item },
    { explain: true },
  );
  return {
    strategy: spec.strategy,
    learned: ctx.model !== null,
    pageItem: item === null ? null : (ctx.catalogue.get(item) ?? null),
    cart: [...(visitor.cart ?? [])],
    viewedAny: (visitor.viewed?.length ?? 0) > 0,
    items: recs.map((r) => ({ item: r.item, source: r.source, basis: r.basis ?? {} })),
  };
}
