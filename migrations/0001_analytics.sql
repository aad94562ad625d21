CREATE TABLE `bandit_state` (
	`campaign_id` text NOT NULL,
	`seed` text NOT NULL,
	`weights` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`campaign_id`, `seed`)
);
--> statement-breakpoint
CREATE TABLE `conversion_events` (
	`visitor_id` text NOT NULL,
	`event_id` text NOT NULL,
	`campaign_id` text NOT NULL,
	`seed` text NOT NULL,
	`variant_id` text NOT NULL,
	`goal` text NOT NULL,
	`value` real DEFAULT 0 NOT NULL,
	`day` text NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`visitor_id`, `event_id`, `campaign_id`)
);
--> statement-breakpoint
CREATE INDEX `conversions_by_campaign` ON `conversion_events` (`campaign_id`,`seed`,`goal`);--> statement-breakpoint
CREATE TABLE `exposures` (
	`visitor_id` text NOT NULL,
	`campaign_id` text NOT NULL,
	`seed` text NOT NULL,
	`variant_id` text NOT NULL,
	`day` text NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`visitor_id`, `campaign_id`, `seed`)
);
--> statement-breakpoint
CREATE INDEX `exposures_by_campaign` ON `exposures` (`campaign_id`,`seed`,`variant_id`,`day`);--> statement-breakpoint
CREATE TABLE `seen_events` (
	`visitor_id` text NOT NULL,
	`event_id` text NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`visitor_id`, `event_id`)
);
--> statement-breakpoint
CREATE INDEX `seen_events_by_time` ON `seen_events` (`at`);--> statement-breakpoint
CREATE TABLE `slot_daily` (
	`campaign_id` text NOT NULL,
	`seed` text NOT NULL,
	`variant_id` text NOT NULL,
	`day` text NOT NULL,
	`impressions` integer DEFAULT 0 NOT NULL,
	`clicks` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`campaign_id`, `seed`, `variant_id`, `day`)
);
