-- Items declared by the site's pages, collected by the scheduled job (worker/db/catalog-collect.ts):
-- the path that declared a page item and when it was last checked, and the checks that put nothing
-- into the catalogue (forged ids, invalid items, failed fetches) until they may be retried.
ALTER TABLE `catalog_items` ADD `path` text;
--> statement-breakpoint
ALTER TABLE `catalog_items` ADD `checked_at` integer;
--> statement-breakpoint
CREATE TABLE `catalog_page_checks` (
	`item_id` text PRIMARY KEY NOT NULL,
	`path` text NOT NULL,
	`checked_at` integer NOT NULL,
	`retry_at` integer NOT NULL,
	`outcome` text NOT NULL,
	`reason` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `catalog_page_checks_retry` ON `catalog_page_checks` (`retry_at`);
