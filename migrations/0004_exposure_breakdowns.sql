ALTER TABLE `exposures` ADD `device` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `exposures` ADD `source` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `exposures` ADD `segments` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `exposures` ADD `pre_pageviews` integer DEFAULT 0 NOT NULL;