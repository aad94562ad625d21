/**
 * @module page
 * The pageview: path, referrer and the page's interest category from
 * `<meta name="hio:category" content="...">`, normalized to the collector's form
 * (`Running Shoes` -> `running-shoes`) so one odd label cannot get a batch refused.
 */
import { MAX_CATEGORY_CHARS, MAX_URL_CHARS } from '../../worker/engine/beacon-protocol.ts';
import type { Pageview } from './types';

export const slug = (s: string): string =>
  s
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .slice(0, MAX_CATEGORY_CHARS);

type Doc = Pick<Document, 'querySelector' | 'referrer'>;

export function pageview(d: Doc, path: string): Pageview {
  const meta = d.querySelector('meta[name="hio:category"]');
  const c = slug(meta?.getAttribute('content') || '');
  return {
    t: 'pageview',
    path: path.slice(0, MAX_URL_CHARS),
    category: c || undefined,
    ref: d.referrer.slice(0, MAX_URL_CHARS) || undefined,
  };
}
