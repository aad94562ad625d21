/**
 * @module schema
 * D1 tables (drizzle). `migrations/` is generated from this file by `npm run db:generate`.
 */
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** Every campaign document ever accepted; the live one is the newest. Old ones stay for audit and rollback. */
export const configs = sqliteTable('configs', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  document: text('document').notNull(),
  createdAt: integer('created_at').notNull(),
});
