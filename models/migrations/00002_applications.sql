-- +goose Up
-- The application form (附件1): one row per enterprise and campaign holding the working draft,
-- an immutable row per submitted version, and the reviewers' field-by-field return reasons.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL. Timestamps are stored in UTC.
-- Form content is JSON of models.Application in TEXT; ID numbers inside it are only ever sealed
-- (AES-256-GCM cipher, keyed lookup hash, masked form), never in clear.

CREATE TABLE applications (
    id                   VARCHAR(36) PRIMARY KEY,
    enterprise_id        VARCHAR(36) NOT NULL REFERENCES enterprises(id),
    campaign_id          VARCHAR(16) NOT NULL,
    status               VARCHAR(16) NOT NULL,             -- draft | submitted | returned | accepted | rejected | withdrawn
    draft_json           TEXT NOT NULL,                    -- the working copy, saved without validation
    draft_version        INTEGER NOT NULL DEFAULT 1,       -- optimistic lock: every save and submit bumps it
    current_version      INTEGER NOT NULL DEFAULT 0,       -- latest submitted version, 0 before the first
    credit_code          VARCHAR(18) NOT NULL DEFAULT '',  -- credit code of the latest submitted version
    credit_code_override VARCHAR(18) NOT NULL DEFAULT '',  -- code a region official accepted despite its check character
    submitted_at         TIMESTAMP,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    UNIQUE (enterprise_id, campaign_id)
);
-- One live application per credit code and campaign, whichever enterprise account typed it.
-- Partial unique indexes have the same syntax and meaning on SQLite and PostgreSQL.
CREATE UNIQUE INDEX applications_campaign_credit_code_idx ON applications (campaign_id, credit_code)
    WHERE credit_code <> '' AND status <> 'withdrawn';
CREATE INDEX applications_campaign_status_idx ON applications (campaign_id, status);

-- Submitted versions are never updated: reviewers, experts and the lifecycle read exactly what
-- was submitted, and compare one version with another.
CREATE TABLE application_versions (
    application_id VARCHAR(36) NOT NULL REFERENCES applications(id),
    version        INTEGER NOT NULL,
    content_json   TEXT NOT NULL,
    credit_code    VARCHAR(18) NOT NULL,
    submitted_at   TIMESTAMP NOT NULL,
    submitted_by   VARCHAR(36) NOT NULL REFERENCES users(id),
    PRIMARY KEY (application_id, version)
);

-- A version returned for correction, with the reviewer's reasons per field.
CREATE TABLE application_returns (
    application_id VARCHAR(36) NOT NULL,
    version        INTEGER NOT NULL,
    reasons        TEXT NOT NULL,                          -- JSON [{"field": "contact.mobile", "message": "..."}]
    returned_by    VARCHAR(36) NOT NULL DEFAULT '',        -- user ID of the official; '' when the system returned it
    returned_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (application_id, version),
    FOREIGN KEY (application_id, version) REFERENCES application_versions (application_id, version)
);

-- +goose Down
DROP TABLE application_returns;
DROP TABLE application_versions;
DROP TABLE applications;
