/**
 * @module page
 * The pageview: path, referrer, the page's interest category from
 * `<meta name="hio:category" content="...">` and its catalogue item from `<meta name="hio:item">`, normalized to the collector's form
 * (`Running Shoes` -> `running-shoes`) so one odd label cannot get a batch refused.
 */
import { MAX_CATEGORY_CHARS, MAX_URL_CHARS } from '../../worker/engine/beacon-protocol.ts';
import type { Pageview } from './types';
import { goalName } from './value';

export const slug = (s: string): string =>
  s
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .slice(0, MAX_CATEGORY_CHARS);

type Doc = Pick<Document, 'querySelector' | 'referrer'>;

export function pageview(d: Doc, path: string): Pageview {
  const meta = (n: string) => d.querySelector('meta[name="hio:' + n + '"]')?.getAttribute('content') || '';
  return {
    t: 'pageview',
    path: path.slice(0, MAX_URL_CHARS),
    category: slug(meta('category')) || undefined,
    // the catalogue item the page is about (`<meta name="hio:item">`), in the collector's form
    item: goalName(meta('item')) || undefined,
    ref: d.referrer.slice(0, MAX_URL_CHARS) || undefined,
  };
}
