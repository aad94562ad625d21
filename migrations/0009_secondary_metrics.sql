CREATE TABLE `metric_daily` (
	`campaign_id` text NOT NULL,
	`seed` text NOT NULL,
	`variant_id` text NOT NULL,
	`day` text NOT NULL,
	`metric` text NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`campaign_id`, `seed`, `variant_id`, `day`, `metric`)
);
