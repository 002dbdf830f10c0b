-- +goose Up
-- An official's staff ID (工号), from the officials' roster of `skillcert bootstrap`; empty for
-- accounts created otherwise. Portable SQL: runs unchanged on SQLite and PostgreSQL.
ALTER TABLE users ADD COLUMN staff_id VARCHAR(32) NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE users DROP COLUMN staff_id;
