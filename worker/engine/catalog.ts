/**
 * @module catalog
 * The item catalogue recommendations draw from: `{ "items": [{ "id", "url", "title", "image"?, "price"?,
 * "category"?, "available"? }] }`, uploaded through `PUT /__hio/admin/catalog`. Validated as the campaign
 * document is: whole or not at all, unknown fields refused, every problem listed with its path.
 */
import * as v from 'valibot';
import { CATEGORY_PATTERN, NAME_PATTERN } from './beacon-protocol.ts';

/** Most items one catalogue holds, and the longest title. */
export const MAX_CATALOG_ITEMS = 20_000;
export const MAX_TITLE_CHARS = 200;
const MAX_URL = 1024;

/** An item of the catalogue. `available` defaults to true. */
export interface CatalogItem {
  id: string;
  url: string;
  title: string;
  image?: string;
  price?: number;
  category?: string;
  available?: boolean;
}

/** A link the page may carry: a path of the site, or an http(s) URL. */
const link = (what: string) =>
  v.pipe(
    v.string(),
    v.maxLength(MAX_URL, `must be at most ${MAX_URL} characters`),
    v.check(
      (s) => (s.startsWith('/') && !s.startsWith('//')) || /^https?:\/\/[^\s/]+/i.test(s),
      `${what} must be a path starting with "/" or an http(s) URL`,
    ),
    v.check((s) => !/[\s<>"'`\\]/.test(s), `${what} must not contain spaces, quotes, "<", ">" or "\\"`),
  );

const Item = v.strictObject({
  id: v.pipe(v.string(), v.regex(NAME_PATTERN, 'must be 1-64 characters of [A-Za-z0-9_.:-]')),
  url: link('url'),
  title: v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.maxLength(MAX_TITLE_CHARS)),
  image: v.optional(link('image')),
  price: v.optional(v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(1e9))),
  category: v.optional(
    v.pipe(
      v.string(),
      v.trim(),
      v.toLowerCase(),
      v.regex(CATEGORY_PATTERN, 'must be 1-40 characters of [a-z0-9_-] (case is ignored)'),
    ),
  ),
  available: v.optional(v.boolean()),
});

const Catalog = v.strictObject({
  items: v.pipe(v.array(Item), v.maxLength(MAX_CATALOG_ITEMS, `at most ${MAX_CATALOG_ITEMS} items`)),
});

export type ParsedCatalog = { ok: true; items: CatalogItem[] } | { ok: false; problems: string[] };

const pathOf = (issue: v.BaseIssue<unknown>) =>
  (issue.path ?? [])
    .map((p) => (typeof p.key === 'number' ? `[${p.key}]` : `.${String(p.key)}`))
    .join('')
    .replace(/^\./, '') || '(catalogue)';

/** Validates a catalogue; every problem is reported with its path (`items[3].url: ...`). */
export function parseCatalog(body: unknown): ParsedCatalog {
  const r = v.safeParse(Catalog, body, { abortEarly: false });
  if (!r.success)
    return { ok: false, problems: r.issues.slice(0, 100).map((i) => `${pathOf(i)}: ${i.message}`) };
  const problems: string[] = [];
  const seen = new Map<string, number>();
  r.output.items.forEach((item, i) => {
    const first = seen.get(item.id);
    if (first !== undefined) problems.push(`items[${i}].id: "${item.id}" is already items[${first}]`);
    else seen.set(item.id, i);
  });
  if (problems.length) return { ok: false, problems: problems.slice(0, 100) };
  return { ok: true, items: r.output.items };
}
