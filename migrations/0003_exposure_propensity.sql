ALTER TABLE `exposures` ADD `context` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `exposures` ADD `p` real DEFAULT 1 NOT NULL;