-- +goose Up
-- Unified identity (issue 16): accounts linked to the subject of the region's unified identity
-- platform (政务服务 统一身份认证, OpenID Connect). Portable SQL: runs unchanged on SQLite and
-- PostgreSQL. Timestamps are stored in UTC.

-- staff_id: an official's staff ID (工号) as the platform's ID token carries it; the first
-- platform login of an official links by it. NULL for accounts without one.
ALTER TABLE users ADD COLUMN staff_id VARCHAR(64);
CREATE UNIQUE INDEX users_staff_id_idx ON users (staff_id);

-- One row per platform identity (issuer + subject) and account: audience is enterprise or
-- official; matched_by says how the first login found the account (credit_code, staff_id).
CREATE TABLE identity_links (
    id         VARCHAR(36)  PRIMARY KEY,
    audience   VARCHAR(16)  NOT NULL,
    issuer     VARCHAR(255) NOT NULL,
    subject    VARCHAR(255) NOT NULL,
    user_id    VARCHAR(36)  NOT NULL REFERENCES users(id),
    matched_by VARCHAR(16)  NOT NULL,
    created_at TIMESTAMP    NOT NULL,
    last_login_at TIMESTAMP
);
CREATE UNIQUE INDEX identity_links_subject_idx ON identity_links (issuer, subject);
CREATE UNIQUE INDEX identity_links_user_idx ON identity_links (user_id, issuer);

-- +goose Down
DROP TABLE identity_links;
DROP INDEX users_staff_id_idx;
ALTER TABLE users DROP COLUMN staff_id;
