CREATE TABLE `erasures` (
	`visitor_id` text PRIMARY KEY NOT NULL,
	`at` integer NOT NULL
);
