package store

// postgresMigrations are PostgreSQL's schema steps. A version means the
// same schema on both databases: PostgreSQL's history starts at 6 with
// what SQLite's steps 1 to 6 built, and every later step is added to both
// under one number, so an older hookd refuses a newer schema on either.
//
// The types follow SQLite's, so that one set of statements serves both:
// integers (times in unix nanoseconds, counts, and the 0/1 flags) are
// BIGINT, sealed values and event bodies BYTEA, the rest TEXT.
var postgresMigrations = []migration{
	{
		version: 6,
		name:    "schema of SQLite versions 1 to 6: groups, webhooks, api keys, idempotency, events, deliveries, attempts, subscriptions, key check",
		stmts: []string{
			`CREATE TABLE groups (
				id          TEXT   NOT NULL PRIMARY KEY,
				name        TEXT   NOT NULL UNIQUE,
				description TEXT,
				created_at  BIGINT NOT NULL,
				updated_at  BIGINT NOT NULL
			)`,
			`CREATE INDEX groups_created ON groups (created_at, id)`,

			`CREATE TABLE webhooks (
				id                         TEXT   NOT NULL PRIMARY KEY,
				scope                      TEXT   NOT NULL,
				group_id                   TEXT   REFERENCES groups (id) ON DELETE RESTRICT,
				name                       TEXT,
				description                TEXT,
				url                        TEXT   NOT NULL,
				events                     TEXT   NOT NULL, -- JSON array
				active                     BIGINT NOT NULL,
				status                     TEXT   NOT NULL,
				disabled_reason            TEXT,
				headers                    TEXT   NOT NULL, -- JSON object
				auth_token                 BYTEA,            -- sealed, NULL when none
				secret                     BYTEA  NOT NULL,  -- sealed
				previous_secret            BYTEA,            -- sealed, NULL when none
				secret_version             BIGINT NOT NULL,
				secret_rotated_at          BIGINT,
				previous_secret_expires_at BIGINT,
				dead_letter_streak         BIGINT NOT NULL DEFAULT 0,
				created_at                 BIGINT NOT NULL,
				updated_at                 BIGINT NOT NULL,
				signature_scheme           TEXT   NOT NULL DEFAULT 'v1',
				signing_key                BYTEA,            -- sealed "whsk_...", NULL for v1
				previous_signing_key       BYTEA             -- sealed, NULL when none
			)`,
			`CREATE INDEX webhooks_created ON webhooks (created_at, id)`,
			`CREATE INDEX webhooks_group_created ON webhooks (group_id, created_at, id)`,
			`CREATE INDEX webhooks_scope_created ON webhooks (scope, created_at, id)`,

			`CREATE TABLE api_keys (
				hash       TEXT   NOT NULL PRIMARY KEY,
				created_at BIGINT NOT NULL
			)`,

			`CREATE TABLE idempotency (
				key         TEXT   NOT NULL PRIMARY KEY,
				fingerprint TEXT   NOT NULL,
				in_flight   BIGINT NOT NULL,
				status_code BIGINT NOT NULL DEFAULT 0,
				location    TEXT   NOT NULL DEFAULT '',
				body        BYTEA,            -- sealed, NULL while in flight
				created_at  BIGINT NOT NULL
			)`,
			`CREATE INDEX idempotency_created ON idempotency (created_at)`,

			`CREATE TABLE events (
				id          TEXT   NOT NULL PRIMARY KEY,
				type        TEXT   NOT NULL,
				group_id    TEXT,
				body        BYTEA  NOT NULL,
				fingerprint TEXT   NOT NULL,
				created_at  BIGINT NOT NULL
			)`,
			`CREATE TABLE deliveries (
				id                        TEXT   NOT NULL PRIMARY KEY,
				webhook_id                TEXT   NOT NULL,
				event_id                  TEXT   NOT NULL REFERENCES events (id) ON DELETE CASCADE,
				event_type                TEXT   NOT NULL,
				status                    TEXT   NOT NULL,
				attempt_count             BIGINT NOT NULL,
				max_attempts              BIGINT NOT NULL,
				created_at                BIGINT NOT NULL,
				last_attempt_at           BIGINT,
				next_attempt_at           BIGINT,
				deadline_at               BIGINT NOT NULL,
				last_response_status_code BIGINT,
				last_error                TEXT,
				last_duration_ms          BIGINT,
				trigger                   TEXT   NOT NULL,
				replay_of                 TEXT,
				is_test                   BIGINT NOT NULL,
				lease_until               BIGINT,
				lease_token               TEXT
			)`,
			`CREATE INDEX deliveries_webhook_created ON deliveries (webhook_id, created_at, id)`,
			`CREATE INDEX deliveries_event ON deliveries (event_id)`,
			`CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status IN ('pending', 'retrying')`,
			`CREATE INDEX deliveries_created ON deliveries (created_at)`,
			// No index on lease_until (SQLite had one until step 9): a claim then
			// updates no indexed column, so PostgreSQL can update the row
			// in place (HOT) instead of adding an entry to every index,
			// given room on its page (fillfactor). NextAttemptAt does
			// without it (qNextAttempt).
			`ALTER TABLE deliveries SET (fillfactor = 70)`,
			`CREATE TABLE attempts (
				delivery_id          TEXT   NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
				number               BIGINT NOT NULL,
				trigger              TEXT   NOT NULL,
				started_at           BIGINT NOT NULL,
				duration_ms          BIGINT NOT NULL,
				response_status_code BIGINT,
				error                TEXT,
				response_body        TEXT   NOT NULL,
				request_headers      TEXT   NOT NULL, -- JSON object
				PRIMARY KEY (delivery_id, number)
			)`,

			`CREATE TABLE webhook_subscriptions (
				pattern    TEXT NOT NULL,
				group_id   TEXT NOT NULL,
				webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
				PRIMARY KEY (pattern, group_id, webhook_id)
			)`,
			`CREATE INDEX webhook_subscriptions_webhook ON webhook_subscriptions (webhook_id)`,

			`CREATE TABLE key_check (
				id     BIGINT NOT NULL PRIMARY KEY CHECK (id = 1),
				sealed BYTEA  NOT NULL
			)`,
		},
	},
	bucketsMigrationPostgres,               // version 7, in db_buckets.go
	dueWebhookMigration,                    // version 8, in db_claims.go
	noLeaseIndexMigrationPostgres,          // version 9, in db_claims.go: no statement
	idempotencyClaimUntilMigrationPostgres, // version 10, in db_idempotency.go
	listingMigrationPostgres,               // version 11, in db_listing.go
	replaysMigration,                       // version 12, in db_unrecovered.go
	consoleMigrationPostgres,               // version 13, in db_console.go
}
