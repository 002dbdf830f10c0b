-- +goose Up
-- Certificates (职业技能等级证书) issued by the pilot enterprises, the serial counters behind
-- their numbers, and the queue that pushes them to the national query system.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL. Timestamps are stored in UTC.
-- ID numbers are only ever stored sealed (AES-256-GCM cipher, keyed lookup hash, masked form).

CREATE TABLE certificates (
    id              VARCHAR(36) PRIMARY KEY,
    number          VARCHAR(22) NOT NULL UNIQUE,      -- domain.md §9, e.g. Y000015000123263000001
    enterprise_id   VARCHAR(36) NOT NULL REFERENCES enterprises(id),
    case_id         VARCHAR(36) NOT NULL DEFAULT '',
    session_id      VARCHAR(64) NOT NULL DEFAULT '',  -- the assessment session that certified the holder
    candidate_key   VARCHAR(160) NOT NULL UNIQUE,     -- session + candidate: issuing twice returns the first certificate
    holder_name     VARCHAR(64) NOT NULL,             -- normalised (models.NormalizeHolderName)
    id_cipher       TEXT NOT NULL,
    id_lookup       VARCHAR(64) NOT NULL,
    id_masked       VARCHAR(18) NOT NULL,
    occupation_code VARCHAR(10) NOT NULL,
    occupation_name VARCHAR(64) NOT NULL,
    work_type       VARCHAR(64) NOT NULL DEFAULT '--', -- 工种; '--' when the occupation is not divided
    level           INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
    issue_date      TIMESTAMP NOT NULL,               -- a calendar date (Asia/Shanghai), stored as its midnight UTC
    issuer_name     VARCHAR(128) NOT NULL,
    status          VARCHAR(16) NOT NULL,             -- valid | revoked
    revoked_at      TIMESTAMP,
    revoke_reason   TEXT NOT NULL DEFAULT '',
    token           VARCHAR(32) NOT NULL UNIQUE,      -- opaque QR token: base64url of 24 random bytes
    signature       VARCHAR(88) NOT NULL,             -- base64 Ed25519 over the canonical encoding (models.CertificatePayload)
    created_at      TIMESTAMP NOT NULL
);
-- The public query: name + ID number is one equality lookup on this index; by number, the
-- UNIQUE constraint's index serves.
CREATE INDEX certificates_query_idx ON certificates (id_lookup, holder_name);
CREATE INDEX certificates_enterprise_idx ON certificates (enterprise_id, status);

-- Running numbers per enterprise, issue year and level (positions 17–22 of the number). A row
-- is incremented with UPDATE ... RETURNING inside the issuing transaction, so concurrent
-- issuers queue on the row and the serials have neither gaps nor duplicates.
-- The row ('', 0, 0) is the region-wide counter of site serials (positions 8–13), which the
-- region assigns to an enterprise the first time it issues a certificate.
CREATE TABLE certificate_serials (
    enterprise_id VARCHAR(36) NOT NULL,
    year          INTEGER NOT NULL,
    level         INTEGER NOT NULL,
    last_serial   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (enterprise_id, year, level)
);

-- Delivery of issued and revoked certificates to the national query system. A row moves
-- pending → sending (claimed by one replica with a conditional UPDATE) → sent | pending again
-- (retry at next_attempt_at) | failed.
CREATE TABLE certificate_sync (
    certificate_id  VARCHAR(36) NOT NULL REFERENCES certificates(id),
    action          VARCHAR(16) NOT NULL,             -- issue | revoke
    status          VARCHAR(16) NOT NULL,             -- pending | sending | sent | failed
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_at      TIMESTAMP,
    claim_token     VARCHAR(36) NOT NULL DEFAULT '',
    delivered_at    TIMESTAMP,
    created_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (certificate_id, action)
);
CREATE INDEX certificate_sync_due_idx ON certificate_sync (status, next_attempt_at);

-- +goose Down
DROP TABLE certificate_sync;
DROP TABLE certificate_serials;
DROP TABLE certificates;
