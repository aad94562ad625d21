CREATE TABLE `catalog_items` (
	`id` text PRIMARY KEY NOT NULL,
	`url` text NOT NULL,
	`title` text NOT NULL,
	`image` text,
	`price` real,
	`category` text,
	`available` integer DEFAULT true NOT NULL,
	`source` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `catalog_items_source` ON `catalog_items` (`source`);
