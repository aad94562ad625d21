/**
 * @module catalog-repo
 * The item catalogue in D1 (`catalog_items`): replacing the uploaded items in one transaction, and
 * reading them back. Items the site's pages declare are kept beside them and survive an upload, except
 * where the upload names the same id.
 */
import { asc, eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import type { CatalogItem } from '../engine/index.ts';
import { catalogItems } from './schema.ts';

/** D1 binds at most 100 parameters per statement: 9 columns, 11 rows. */
const ROWS_PER_INSERT = 11;

type Row = typeof catalogItems.$inferSelect;

const toItem = (r: Row): CatalogItem => ({
  id: r.id,
  url: r.url,
  title: r.title,
  ...(r.image !== null && { image: r.image }),
  ...(r.price !== null && { price: r.price }),
  ...(r.category !== null && { category: r.category }),
  ...(r.available === false && { available: false }),
});

export interface CatalogRepo {
  /** Replaces the uploaded catalogue (one transaction): the old uploaded items go, these come. */
  replaceUploaded(items: readonly CatalogItem[], now: number): Promise<void>;
  /** Items by source, in id order. */
  list(source: 'upload' | 'page'): Promise<CatalogItem[]>;
  /** How many items there are of each source. */
  counts(): Promise<{ upload: number; page: number }>;
  /** Every item, uploaded and declared (ids are unique across both: an upload takes over a declared id), in id order. */
  all(): Promise<CatalogItem[]>;
  /**
   * A cheap summary that changes whenever the items do (their number and latest update): the page path
   * reloads the catalogue only when it differs from the one it holds.
   */
  fingerprint(): Promise<string>;
}

export function createCatalogRepo(d1: D1Database): CatalogRepo {
  const db = drizzle(d1);
  return {
    async replaceUploaded(items, now) {
      const rows = items.map((i) => ({
        id: i.id,
        url: i.url,
        title: i.title,
        image: i.image ?? null,
        price: i.price ?? null,
        category: i.category ?? null,
        available: i.available !== false,
        source: 'upload' as const,
        updatedAt: now,
      }));
      const inserts = [];
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
        inserts.push(
          db
            .insert(catalogItems)
            .values(rows.slice(i, i + ROWS_PER_INSERT))
            .onConflictDoUpdate({
              target: catalogItems.id,
              set: {
                url: sql`excluded.url`,
                title: sql`excluded.title`,
                image: sql`excluded.image`,
                price: sql`excluded.price`,
                category: sql`excluded.category`,
                available: sql`excluded.available`,
                source: sql`excluded.source`,
                updatedAt: sql`excluded.updated_at`,
              },
            }),
        );
      }
      await db.batch([db.delete(catalogItems).where(eq(catalogItems.source, 'upload')), ...inserts]);
    },

    async list(source) {
      const rows = await db
        .select()
        .from(catalogItems)
        .where(eq(catalogItems.source, source))
        .orderBy(asc(catalogItems.id));
      return rows.map(toItem);
    },

    async counts() {
      const rows = await db
        .select({ source: catalogItems.source, n: sql<number>`count(*)` })
        .from(catalogItems)
        .groupBy(catalogItems.source);
      const out = { upload: 0, page: 0 };
      for (const r of rows) out[r.source] = Number(r.n);
      return out;
    },

    async all() {
      const rows = await db.select().from(catalogItems).orderBy(asc(catalogItems.id));
      return rows.map(toItem);
    },

    async fingerprint() {
      const [row] = await db
        .select({ n: sql<number>`count(*)`, latest: sql<number | null>`max(${catalogItems.updatedAt})` })
        .from(catalogItems);
      return `${Number(row?.n ?? 0)}:${Number(row?.latest ?? 0)}`;
    },
  };
}
