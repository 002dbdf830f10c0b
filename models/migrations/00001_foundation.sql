-- +goose Up
-- Portable SQL: runs unchanged on SQLite and PostgreSQL. Timestamps are stored in UTC.

CREATE TABLE jurisdictions (
    code             VARCHAR(6) PRIMARY KEY,
    name             VARCHAR(64) NOT NULL,
    level            VARCHAR(16) NOT NULL,            -- region | league | county
    parent_code      VARCHAR(6) REFERENCES jurisdictions(code),
    reports_directly BOOLEAN NOT NULL DEFAULT FALSE,  -- county-level city addressed by the region
    area_code        VARCHAR(5) NOT NULL DEFAULT '',  -- landline area code
    precheck_enabled BOOLEAN NOT NULL DEFAULT FALSE,  -- league asks its counties to pre-check
    sort_order       INTEGER NOT NULL DEFAULT 0,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX jurisdictions_parent_idx ON jurisdictions (parent_code);

CREATE TABLE enterprises (
    id                VARCHAR(36) PRIMARY KEY,
    name              VARCHAR(128) NOT NULL,
    credit_code       VARCHAR(18) NOT NULL UNIQUE,
    jurisdiction_code VARCHAR(6) NOT NULL REFERENCES jurisdictions(code),
    address           VARCHAR(256) NOT NULL DEFAULT '',
    site_serial       VARCHAR(6) UNIQUE,              -- assigned by the region on filing
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);
CREATE INDEX enterprises_jurisdiction_idx ON enterprises (jurisdiction_code);

CREATE TABLE users (
    id                VARCHAR(36) PRIMARY KEY,
    username          VARCHAR(64) NOT NULL UNIQUE,
    display_name      VARCHAR(64) NOT NULL,
    password_hash     VARCHAR(128) NOT NULL,
    role              VARCHAR(32) NOT NULL,
    jurisdiction_code VARCHAR(6) REFERENCES jurisdictions(code),
    enterprise_id     VARCHAR(36) REFERENCES enterprises(id),
    email             VARCHAR(128) NOT NULL DEFAULT '',
    phone             VARCHAR(32) NOT NULL DEFAULT '',
    active            BOOLEAN NOT NULL DEFAULT TRUE,
    last_login_at     TIMESTAMP,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);
CREATE INDEX users_jurisdiction_role_idx ON users (jurisdiction_code, role);
CREATE INDEX users_enterprise_idx ON users (enterprise_id);

CREATE TABLE sessions (
    token_hash   VARCHAR(64) PRIMARY KEY,  -- SHA-256 of the cookie value; the value itself is never stored
    user_id      VARCHAR(36) NOT NULL REFERENCES users(id),
    created_at   TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    user_agent   VARCHAR(256) NOT NULL DEFAULT '',
    remote_addr  VARCHAR(64) NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

CREATE TABLE api_tokens (
    id           VARCHAR(36) PRIMARY KEY,
    user_id      VARCHAR(36) NOT NULL REFERENCES users(id),
    name         VARCHAR(64) NOT NULL,
    token_hash   VARCHAR(64) NOT NULL UNIQUE,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

CREATE TABLE login_failures (
    id          VARCHAR(36) PRIMARY KEY,
    username    VARCHAR(64) NOT NULL,
    remote_addr VARCHAR(64) NOT NULL,
    at          TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_username_idx ON login_failures (username, at);
CREATE INDEX login_failures_addr_idx ON login_failures (remote_addr, at);

-- Append-only, hash-chained: each row's hash covers its content and the previous row's hash.
CREATE TABLE audit_log (
    seq               BIGINT PRIMARY KEY,
    at                TIMESTAMP NOT NULL,
    actor_id          VARCHAR(36) NOT NULL DEFAULT '',
    actor_name        VARCHAR(64) NOT NULL DEFAULT '',
    role              VARCHAR(32) NOT NULL DEFAULT '',
    jurisdiction_code VARCHAR(6) NOT NULL DEFAULT '',
    action            VARCHAR(64) NOT NULL,
    object_type       VARCHAR(32) NOT NULL DEFAULT '',
    object_id         VARCHAR(128) NOT NULL DEFAULT '',
    before_state      TEXT NOT NULL DEFAULT '',
    after_state       TEXT NOT NULL DEFAULT '',
    reason            TEXT NOT NULL DEFAULT '',
    outcome           VARCHAR(16) NOT NULL,            -- ok | denied | rejected
    request_id        VARCHAR(64) NOT NULL DEFAULT '',
    prev_hash         VARCHAR(64) NOT NULL,
    hash              VARCHAR(64) NOT NULL
);
CREATE INDEX audit_log_object_idx ON audit_log (object_type, object_id, seq);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, seq);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE login_failures;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE enterprises;
DROP TABLE jurisdictions;
