-- Clicks on listed items (recommendations) per campaign, variant, day and list position, and the
-- conversions attributed to them (engine/item-attribution.ts). Written by hand, like 0010.
CREATE TABLE `item_daily` (
	`campaign_id` text NOT NULL,
	`seed` text NOT NULL,
	`variant_id` text NOT NULL,
	`day` text NOT NULL,
	`position` integer NOT NULL,
	`metric` text NOT NULL,
	`amount` real DEFAULT 0 NOT NULL,
	PRIMARY KEY(`campaign_id`, `seed`, `variant_id`, `day`, `position`, `metric`)
);
