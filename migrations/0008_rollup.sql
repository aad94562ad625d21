CREATE TABLE `rollup_counts` (
	`campaign_id` text NOT NULL,
	`seed` text NOT NULL,
	`variant_id` text NOT NULL,
	`resolution` text NOT NULL,
	`start` integer NOT NULL,
	`metric` text NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`campaign_id`, `seed`, `variant_id`, `resolution`, `start`, `metric`)
);
