CREATE TABLE `training_rows` (
	`visitor_id` text NOT NULL,
	`at` integer NOT NULL,
	`goal` text NOT NULL,
	`features` text NOT NULL,
	PRIMARY KEY(`visitor_id`, `at`, `goal`)
);
--> statement-breakpoint
CREATE INDEX `training_rows_by_goal` ON `training_rows` (`goal`,`at`);