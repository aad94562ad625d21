CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`campaign_id` text NOT NULL,
	`seed` text NOT NULL,
	`variant_id` text NOT NULL,
	`rule` text NOT NULL,
	`rule_index` integer NOT NULL,
	`action` text NOT NULL,
	`to_variant` text,
	`evidence` text NOT NULL,
	`undone_at` integer
);
--> statement-breakpoint
CREATE INDEX `audit_by_campaign` ON `audit_log` (`campaign_id`,`seed`);--> statement-breakpoint
CREATE TABLE `minute_counts` (
	`campaign_id` text NOT NULL,
	`seed` text NOT NULL,
	`variant_id` text NOT NULL,
	`minute` integer NOT NULL,
	`metric` text NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`campaign_id`, `seed`, `variant_id`, `minute`, `metric`)
);
