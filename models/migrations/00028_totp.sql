-- +goose Up
-- Two-factor login (issue 16): TOTP (RFC 6238) and one-time recovery codes.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL. Timestamps are stored in UTC.

-- totp_secret: the account's TOTP secret, sealed like ID numbers (package pii: AES-256-GCM or
-- SM4-GCM under the data key, tagged with its key generation); set at enrolment, in use once
-- totp_enabled_at is set. totp_last_step: the last 30-second time step whose code logged in
-- (or confirmed the enrolment), so that a code cannot be used twice.
ALTER TABLE users ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_enabled_at TIMESTAMP;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;

-- The recovery codes of an account's TOTP (SHA-256 of each; shown once at enrolment), each
-- usable once instead of a TOTP code.
CREATE TABLE totp_recovery_codes (
    id        VARCHAR(36) PRIMARY KEY,
    user_id   VARCHAR(36) NOT NULL REFERENCES users(id),
    code_hash VARCHAR(64) NOT NULL,
    used_at   TIMESTAMP
);
CREATE INDEX totp_recovery_codes_user_idx ON totp_recovery_codes (user_id);

-- +goose Down
DROP TABLE totp_recovery_codes;
ALTER TABLE users DROP COLUMN totp_last_step;
ALTER TABLE users DROP COLUMN totp_enabled_at;
ALTER TABLE users DROP COLUMN totp_secret;
