-- +goose Up
-- A keyed audit chain with signed checkpoints (models/audit.go; README "The audit chain").
-- Portable SQL: runs unchanged on SQLite and PostgreSQL. Timestamps are stored in UTC.
--
-- hash_alg names how a row's hash was made: 'sha256' (the unkeyed chain of every row before this
-- migration), 'hmac-sha256' or 'hmac-sm3' (keyed with SKILLCERT_AUDIT_KEY, which the database never
-- holds, so a chain edited and recomputed by someone without the key no longer verifies).
ALTER TABLE audit_log ADD COLUMN hash_alg VARCHAR(16) NOT NULL DEFAULT 'sha256';

-- Signed checkpoints of the chain: after every N rows or M minutes, the row count (the last seq),
-- that row's hash, the time, the first keyed row, signed (Ed25519 or SM2) with the certificate
-- signing key of the configured suite. Append-only: the code has no update or delete of it, and
-- models.Migrate installs triggers that refuse UPDATE and DELETE (PostgreSQL and SQLite). A deleted
-- tail of audit_log is told by the last checkpoint counting rows that are no longer there.
CREATE TABLE audit_checkpoints (
    id         BIGINT PRIMARY KEY,          -- 1, 2, 3 … without gaps
    seq        BIGINT NOT NULL,             -- the chain's last row when signed (= its row count)
    last_hash  VARCHAR(64) NOT NULL,
    at         TIMESTAMP NOT NULL,
    keyed_from BIGINT NOT NULL,             -- first row keyed with the audit key; 0 = none yet
    sig_alg    VARCHAR(16) NOT NULL,
    sig_key    VARCHAR(16) NOT NULL,
    signature  TEXT NOT NULL
);

-- +goose Down
DROP TABLE audit_checkpoints;
ALTER TABLE audit_log DROP COLUMN hash_alg;
