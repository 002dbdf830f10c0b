-- +goose Up
-- Account security (issue 16): the password lifecycle and the login history.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL. Timestamps are stored in UTC.

-- must_change_password: the account's next session can do nothing but change the password
-- (first login with a password an administrator set, after a reset). password_changed_at:
-- when the password was last set, for expiry (NULL for accounts from before this migration:
-- their age counts from updated_at). reset_expires_at: set while the password is a one-time
-- reset code, which logs in once and only until then.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN password_changed_at TIMESTAMP;
ALTER TABLE users ADD COLUMN reset_expires_at TIMESTAMP;

-- The hashes of the passwords an account has had (newest last), so that a change cannot reuse
-- the last five (domain.PasswordHistoryDepth). Reset codes are not kept.
CREATE TABLE password_history (
    id            VARCHAR(36)  PRIMARY KEY,
    user_id       VARCHAR(36)  NOT NULL REFERENCES users(id),
    password_hash VARCHAR(128) NOT NULL,
    created_at    TIMESTAMP    NOT NULL
);
CREATE INDEX password_history_user_idx ON password_history (user_id, created_at);

-- Every login attempt: when, from which address, by which method (password, reset code, TOTP,
-- recovery code, unified identity) and with which result. user_id is empty when the username
-- matched no account (username is then what was typed, cut to 64 characters).
CREATE TABLE login_attempts (
    id       VARCHAR(36) PRIMARY KEY,
    user_id  VARCHAR(36),
    username VARCHAR(64) NOT NULL,
    at       TIMESTAMP   NOT NULL,
    addr     VARCHAR(64) NOT NULL,
    method   VARCHAR(16) NOT NULL,
    result   VARCHAR(32) NOT NULL
);
CREATE INDEX login_attempts_user_idx ON login_attempts (user_id, at);
CREATE INDEX login_attempts_at_idx ON login_attempts (at);

-- +goose Down
DROP TABLE login_attempts;
DROP TABLE password_history;
ALTER TABLE users DROP COLUMN reset_expires_at;
ALTER TABLE users DROP COLUMN password_changed_at;
ALTER TABLE users DROP COLUMN must_change_password;
