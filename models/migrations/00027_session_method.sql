-- +goose Up
-- How a session was opened: password (the local password, with or without its second factor),
-- registration, or oidc (the region's unified identity platform). A platform session is not held
-- to change the local password it never used. Portable SQL: SQLite and PostgreSQL.
ALTER TABLE sessions ADD COLUMN method VARCHAR(16) NOT NULL DEFAULT 'password';

-- +goose Down
ALTER TABLE sessions DROP COLUMN method;
