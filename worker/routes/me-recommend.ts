/**
 * @module me-recommend
 * `/__hio/me` for a campaign whose variant recommends items: in words, what the list is based on (the
 * strategy and which of the visitor's own data it used: the item of the page, the items they viewed, their
 * cart, their top interest), the fallback that filled positions when there was too little of that, and
 * the items it would show now, each with why. Nothing of other visitors beyond what the list itself
 * shows: no scores, no counts, no item the list does not show.
 */
import type {
  CatalogueItem,
  RecommendationWhy,
  RecommendSource,
  RecommendStrategy,
} from '../engine/index.ts';

/** One item the list would show, and why. */
export interface RecommendedItemWhy {
  id: string;
  title: string;
  url: string;
  /** the strategy (or fallback) that filled its position */
  source: RecommendSource;
  because: string;
}

/** A recommendation variant, explained to the visitor. */
export interface RecommendationExplained {
  strategy: RecommendStrategy;
  /** in words: what the list is based on, from the visitor's own data */
  basedOn: string;
  /** in words, when a fallback filled some positions: which, and why */
  fallback?: string;
  /** the items it would show now, in order */
  items: RecommendedItemWhy[];
}

const STRATEGY: Record<RecommendStrategy, string> = {
  similar: 'items often viewed together with the item of the page',
  'for-you': 'items often viewed together with the items you viewed, and popular items of your top interest',
  'popular-in-interest': 'the most popular items of your top interest',
  'recently-viewed': 'the items you viewed recently',
  'bought-together': 'items often bought together with the item of the page and the items in your cart',
};

const FALLBACK: Record<RecommendSource, string> = {
  similar: 'items often viewed with what you viewed',
  'for-you': 'items often viewed with what you viewed',
  'popular-in-interest': 'popular items of your top interest',
  'recently-viewed': 'your recently viewed items',
  'bought-together': 'items often bought together',
  popular: "the site's most popular items",
};

const quote = (s: string) => `“${s}”`;

function list(parts: readonly string[]): string {
  if (parts.length <= 1) return parts[0] ?? '';
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/** Whether a position came from the strategy itself (for-you's interest share is part of it). */
function own(strategy: RecommendStrategy, source: RecommendSource): boolean {
  return source === strategy || (strategy === 'for-you' && source === 'popular-in-interest');
}

/** What a recommendation variant was based on, in words, from {@link explainRecommendation}'s answer. */
export function explainRecommendationWords(
  why: RecommendationWhy,
  title: (id: string) => string,
): RecommendationExplained {
  const page = why.pageItem?.id ?? null;
  const cart = new Set(why.cart);
  const seed = (id: string): string =>
    `${quote(title(id))}${id === page ? ' (the item of this page)' : cart.has(id) ? ' (in your cart)' : ' (which you viewed)'}`;
  const interestWords = (category: string, from: 'profile' | 'viewed') =>
    `${quote(category)}, ${from === 'profile' ? 'your top interest' : 'the category of the items you viewed'}`;

  const items: RecommendedItemWhy[] = why.items.map(({ item, source, basis }) => {
    let because: string;
    const from = basis.from ?? [];
    if ((source === 'similar' || source === 'for-you') && from.length)
      because = `often viewed with ${list(from.map(seed))}`;
    else if (source === 'bought-together' && from.length)
      because = `often bought with ${list(from.map(seed))}`;
    else if (source === 'popular-in-interest' && basis.interest)
      because = `popular in ${interestWords(basis.interest.category, basis.interest.from)}`;
    else if (source === 'recently-viewed') because = 'you viewed it recently';
    else because = 'one of the most popular items on this site';
    if (!own(why.strategy, source)) because += ', as a fallback';
    return { id: item.id, title: item.title, url: item.url, source, because };
  });

  const name = `Strategy ${quote(why.strategy)}: ${STRATEGY[why.strategy]}.`;
  if (items.length === 0) {
    return {
      strategy: why.strategy,
      basedOn: why.learned
        ? `${name} There is nothing to recommend to you right now, so this place shows the page's usual content.`
        : `${name} The site has not learned any recommendations yet, so this place shows the page's usual content.`,
      items,
    };
  }

  // what of the visitor's data the shown items came from, in the order the list first uses it
  const order: ('viewed' | 'bought' | 'interest' | 'recent' | 'popular')[] = [];
  const viewedWith: string[] = [];
  const boughtWith: string[] = [];
  const interests: string[] = [];
  const note = (clause: (typeof order)[number], into?: string[], values: readonly string[] = []) => {
    if (!order.includes(clause)) order.push(clause);
    if (into) for (const v of values) if (!into.includes(v)) into.push(v);
  };
  for (const { source, basis } of why.items) {
    const from = basis.from ?? [];
    if ((source === 'similar' || source === 'for-you') && from.length) note('viewed', viewedWith, from);
    else if (source === 'bought-together' && from.length) note('bought', boughtWith, from);
    else if (source === 'popular-in-interest' && basis.interest)
      note('interest', interests, [interestWords(basis.interest.category, basis.interest.from)]);
    else if (source === 'recently-viewed') note('recent');
    else note('popular');
  }
  const words = order.map((c) => {
    switch (c) {
      case 'viewed':
        return `items often viewed with ${list(viewedWith.map(seed))}`;
      case 'bought':
        return `items often bought with ${list(boughtWith.map(seed))}`;
      case 'interest':
        return `popular items in ${list(interests)}`;
      case 'recent':
        return 'your recently viewed items';
      default:
        return "the site's most popular items (which use nothing of your data)";
    }
  });
  const out: RecommendationExplained = {
    strategy: why.strategy,
    basedOn: `${name} Here it is based on ${list(words)}.`,
    items,
  };

  const fallbacks = why.items.filter((i) => !own(why.strategy, i.source));
  if (fallbacks.length) {
    const sources = [...new Set(fallbacks.map((i) => FALLBACK[i.source]))];
    out.fallback =
      `${fallbacks.length} of ${items.length} ${items.length === 1 ? 'item' : 'items'} ${fallbacks.length === 1 ? 'comes' : 'come'} from a fallback ` +
      `(${list(sources)}): there was too little data for ${quote(why.strategy)}${tooLittle(why)}.`;
  }
  return out;
}

/** Why a strategy had too few items of its own, when the visitor's data says it plainly. */
function tooLittle(why: RecommendationWhy): string {
  const page = why.pageItem;
  const viewedAny = why.viewedAny;
  switch (why.strategy) {
    case 'similar':
      if (page) return `: few visitors viewed ${quote(page.title)} together with other items`;
      return viewedAny ? '' : ': this page shows no item and you have not viewed any';
    case 'for-you':
      return viewedAny || page ? '' : ': you have not viewed any item yet';
    case 'recently-viewed':
      return viewedAny ? ': you have viewed fewer items than it shows' : ': you have not viewed any item yet';
    case 'bought-together':
      return page || why.cart.length
        ? ': few visitors bought the item of this page or your cart together with other items'
        : ': this page shows no item and your cart is empty';
    case 'popular-in-interest':
      return '';
  }
}

/** The title of a catalogue item, or its id when the catalogue no longer has it. */
export function titleIn(catalogue: ReadonlyMap<string, CatalogueItem>): (id: string) => string {
  return (id) => catalogue.get(id)?.title ?? id;
}
