-- +goose Up
-- Abuse resistance of the public routes (domain/throttle.go): attempt counters by purpose and
-- key, shared by every api replica, and the answers of the CAPTCHAs handed out.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL. Timestamps are stored in UTC.

-- One row per purpose (login, register, complaint, query) and key (addr:<IPv4 or IPv6 /64>,
-- account:<username>): the attempts counted since the count was last forgotten, which happens
-- once the purpose's window has passed since last_at. Incremented with one upsert, so
-- concurrent attempts on several replicas all count.
CREATE TABLE throttles (
    purpose  VARCHAR(16)  NOT NULL,
    subject  VARCHAR(160) NOT NULL,
    count    INTEGER      NOT NULL,
    first_at TIMESTAMP    NOT NULL,
    last_at  TIMESTAMP    NOT NULL,
    PRIMARY KEY (purpose, subject)
);
CREATE INDEX throttles_last_at_idx ON throttles (last_at);

-- A CAPTCHA handed out: only the hash of its ID and answer is kept. Each is checked once (the
-- row is deleted by the check, right or wrong) and expires within minutes.
CREATE TABLE captchas (
    id          VARCHAR(40) PRIMARY KEY,
    answer_hash VARCHAR(64) NOT NULL,
    expires_at  TIMESTAMP   NOT NULL
);
CREATE INDEX captchas_expires_at_idx ON captchas (expires_at);

-- Failed logins are counted in throttles now; the per-row ledger, whose address budget
-- registrations shared and whose hard lock shut the owner out, goes.
DROP TABLE login_failures;

-- +goose Down
CREATE TABLE login_failures (
    id          VARCHAR(36) PRIMARY KEY,
    username    VARCHAR(64) NOT NULL,
    remote_addr VARCHAR(64) NOT NULL,
    at          TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_username_idx ON login_failures (username, at);
CREATE INDEX login_failures_addr_idx ON login_failures (remote_addr, at);
DROP TABLE captchas;
DROP TABLE throttles;
