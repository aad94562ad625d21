/**
 * @module catalog-repo
 * The item catalogue in D1 (`catalog_items`): replacing the uploaded items in one transaction, and
 * reading them back. Items the site's pages declare (collected by db/catalog-collect.ts) are kept
 * beside them and survive an upload, except where the upload names the same id: an upload takes over
 * a declared id, and no write of the collector ever changes an uploaded row.
 */
import { and, asc, desc, eq, gt, inArray, lt, lte, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { drizzle } from 'drizzle-orm/d1';
import type { CatalogItem } from '../engine/index.ts';
import { catalogItems, catalogPageChecks } from './schema.ts';

/** D1 binds at most 100 parameters per statement: 9 columns (the upload's; path and checked_at stay null), 11 rows. */
const ROWS_PER_INSERT = 11;

type Row = typeof catalogItems.$inferSelect;

/** An upsert's update of an item's own fields (and its update time) from the row it tried to insert. */
const ITEM_FROM_INSERT = {
  url: sql`excluded.url`,
  title: sql`excluded.title`,
  image: sql`excluded.image`,
  price: sql`excluded.price`,
  category: sql`excluded.category`,
  available: sql`excluded.available`,
  updatedAt: sql`excluded.updated_at`,
};

const toItem = (r: Row): CatalogItem => ({
  id: r.id,
  url: r.url,
  title: r.title,
  ...(r.image !== null && { image: r.image }),
  ...(r.price !== null && { price: r.price }),
  ...(r.category !== null && { category: r.category }),
  ...(r.available === false && { available: false }),
});

/** A page item with where and when it was last checked. */
export type PageItem = CatalogItem & { path: string | null; checkedAt: number | null };

/** A check of the collector that put nothing into the catalogue, kept until `retryAt`. */
export interface PageCheck {
  id: string;
  path: string;
  checkedAt: number;
  retryAt: number;
  outcome: 'refused' | 'invalid' | 'failed';
  reason: string;
}

/** What the collector knows of an id before it checks it. */
export interface CatalogueEntry {
  source: 'upload' | 'page';
  path: string | null;
  checkedAt: number | null;
}

/** One outcome of the collector, written by `applyPageChecks`. */
export type PageWrite =
  /** the page declares the item: inserted, or its fields rewritten when `changed` (else only its check) */
  | { kind: 'declared'; item: CatalogItem; path: string; changed: boolean }
  /** a page item whose page no longer declares it: `available: false`, kept */
  | { kind: 'gone'; id: string }
  /** nothing entered the catalogue: remembered until `retryAt` */
  | ({ kind: 'check' } & PageCheck);

/** D1 binds at most 100 parameters per statement. */
const IDS_PER_SELECT = 90;

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
  /** Every id with its source and, for page items, where and when it was last checked. */
  entries(): Promise<Map<string, CatalogueEntry>>;
  /** The items of these ids (any source). */
  byIds(ids: readonly string[]): Promise<Map<string, CatalogItem>>;
  /** Page items with their path and last check, in id order. */
  pageItems(): Promise<PageItem[]>;
  /**
   * The collector's checks kept (each run deletes those past their retry), newest first, at most
   * `limit` (default 100); with `activeAt`, only those still in force then.
   */
  pageChecks(opts?: { activeAt?: number; limit?: number }): Promise<PageCheck[]>;
  /**
   * Writes the collector's outcomes in one transaction, at `now`: a declared item's row is inserted or
   * updated only where no uploaded row has its id (`updated_at` moves only when its fields changed, so
   * the page path reloads the catalogue only then), a gone one is made unavailable, a check is kept
   * until its retry. Then page items not checked since `removeBefore` are deleted (items checked by
   * these writes never are), and checks past their retry. Returns the number of page items deleted.
   */
  applyPageChecks(writes: readonly PageWrite[], now: number, removeBefore: number): Promise<number>;
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
                ...ITEM_FROM_INSERT,
                source: sql`excluded.source`,
                // a declared item the upload takes over is no longer the collector's to check
                path: sql`NULL`,
                checkedAt: sql`NULL`,
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

    async entries() {
      const rows = await db
        .select({
          id: catalogItems.id,
          source: catalogItems.source,
          path: catalogItems.path,
          checkedAt: catalogItems.checkedAt,
        })
        .from(catalogItems);
      return new Map(rows.map((r) => [r.id, { source: r.source, path: r.path, checkedAt: r.checkedAt }]));
    },

    async byIds(ids) {
      const out = new Map<string, CatalogItem>();
      for (let i = 0; i < ids.length; i += IDS_PER_SELECT) {
        const rows = await db
          .select()
          .from(catalogItems)
          .where(inArray(catalogItems.id, ids.slice(i, i + IDS_PER_SELECT) as string[]));
        for (const r of rows) out.set(r.id, toItem(r));
      }
      return out;
    },

    async pageItems() {
      const rows = await db
        .select()
        .from(catalogItems)
        .where(eq(catalogItems.source, 'page'))
        .orderBy(asc(catalogItems.id));
      return rows.map((r) => ({ ...toItem(r), path: r.path, checkedAt: r.checkedAt }));
    },

    async pageChecks({ activeAt, limit = 100 } = {}) {
      const rows = await db
        .select()
        .from(catalogPageChecks)
        .where(activeAt === undefined ? undefined : gt(catalogPageChecks.retryAt, activeAt))
        .orderBy(desc(catalogPageChecks.checkedAt), asc(catalogPageChecks.itemId))
        .limit(limit);
      return rows.map((r) => ({
        id: r.itemId,
        path: r.path,
        checkedAt: r.checkedAt,
        retryAt: r.retryAt,
        outcome: r.outcome,
        reason: r.reason,
      }));
    },

    async applyPageChecks(writes, now, removeBefore) {
      const statements: BatchItem<'sqlite'>[] = [];
      for (const w of writes) {
        if (w.kind === 'declared') {
          const i = w.item;
          if (w.changed)
            statements.push(
              db
                .insert(catalogItems)
                .values({
                  id: i.id,
                  url: i.url,
                  title: i.title,
                  image: i.image ?? null,
                  price: i.price ?? null,
                  category: i.category ?? null,
                  available: i.available !== false,
                  source: 'page',
                  updatedAt: now,
                  path: w.path,
                  checkedAt: now,
                })
                .onConflictDoUpdate({
                  target: catalogItems.id,
                  set: {
                    ...ITEM_FROM_INSERT,
                    path: sql`excluded.path`,
                    checkedAt: sql`excluded.checked_at`,
                  },
                  // an uploaded item is never overwritten, even by a race with an upload
                  setWhere: eq(catalogItems.source, 'page'),
                }),
            );
          else
            statements.push(
              db
                .update(catalogItems)
                .set({ path: w.path, checkedAt: now })
                .where(and(eq(catalogItems.id, i.id), eq(catalogItems.source, 'page'))),
            );
          statements.push(db.delete(catalogPageChecks).where(eq(catalogPageChecks.itemId, i.id)));
        } else if (w.kind === 'gone') {
          statements.push(
            db
              .update(catalogItems)
              .set({
                available: false,
                // the fingerprint moves only when the item changes
                updatedAt: sql`CASE WHEN ${catalogItems.available} THEN ${now} ELSE ${catalogItems.updatedAt} END`,
                checkedAt: now,
              })
              .where(and(eq(catalogItems.id, w.id), eq(catalogItems.source, 'page'))),
          );
        } else {
          const row = {
            itemId: w.id,
            path: w.path,
            checkedAt: w.checkedAt,
            retryAt: w.retryAt,
            outcome: w.outcome,
            reason: w.reason.slice(0, 500),
          };
          statements.push(
            db
              .insert(catalogPageChecks)
              .values(row)
              .onConflictDoUpdate({
                target: catalogPageChecks.itemId,
                set: {
                  path: row.path,
                  checkedAt: row.checkedAt,
                  retryAt: row.retryAt,
                  outcome: row.outcome,
                  reason: row.reason,
                },
              }),
          );
        }
      }
      const removed = db
        .delete(catalogItems)
        .where(
          and(
            eq(catalogItems.source, 'page'),
            lt(sql`coalesce(${catalogItems.checkedAt}, ${catalogItems.updatedAt})`, removeBefore),
          ),
        )
        .returning({ id: catalogItems.id });
      const expired = db.delete(catalogPageChecks).where(lte(catalogPageChecks.retryAt, now));
      // after the writes: an item checked now is never among those removed
      const results = await db.batch([expired, ...statements, removed]);
      return (results[results.length - 1] as { id: string }[]).length;
    },
  };
}
