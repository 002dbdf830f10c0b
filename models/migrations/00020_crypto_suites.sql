-- +goose Up
-- Cryptographic suites and versioned keys (package cryptosuite; README "Keys and the 国密 suite").
-- Portable SQL: runs unchanged on SQLite and PostgreSQL. Timestamps are stored in UTC.
--
-- A sealed ID number names its generation in the cipher itself ("gm.2:<base64>"; untagged means
-- intl, key version 1), so the values inside application forms and workflow histories carry it too.
-- A certificate records the algorithm and the key that signed it: every certificate issued before
-- this migration was signed with Ed25519 by the one configured key (sig_key '' = that key).
ALTER TABLE certificates ADD COLUMN sig_alg VARCHAR(16) NOT NULL DEFAULT 'ed25519';
ALTER TABLE certificates ADD COLUMN sig_key VARCHAR(16) NOT NULL DEFAULT '';

-- The fingerprint of every key a process of this deployment has started with (a keyed hash of a
-- fixed label, which reveals nothing of the key). A process compares its keys with these rows at
-- start and refuses to start on a mismatch, instead of reporting ready and failing on the first
-- ID number or token it cannot read. purpose: data, lookup (with their key version), signing-ed25519,
-- signing-sm2, audit, session (version 0).
CREATE TABLE crypto_keys (
    purpose     VARCHAR(32) NOT NULL,
    version     INTEGER NOT NULL,
    fingerprint VARCHAR(64) NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (purpose, version)
);

-- +goose Down
DROP TABLE crypto_keys;
ALTER TABLE certificates DROP COLUMN sig_key;
ALTER TABLE certificates DROP COLUMN sig_alg;
