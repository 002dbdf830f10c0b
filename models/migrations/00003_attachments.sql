-- +goose Up
-- Uploaded evidence. Every version of a document is a row of its own and rows are never
-- updated: a new upload into the same slot gets the next version and points at the one it
-- replaces, so what an application cited stays retrievable. The bytes live in the attachment
-- store under storage_key, a random server-generated key.

CREATE TABLE attachments (
    id                VARCHAR(36) PRIMARY KEY,
    enterprise_id     VARCHAR(36) NOT NULL REFERENCES enterprises(id),
    jurisdiction_code VARCHAR(6) NOT NULL REFERENCES jurisdictions(code), -- the enterprise's at upload, for subtree lists
    purpose           VARCHAR(32) NOT NULL,               -- condition_1..7 | rules | site | agreement | work_plan | ...
    slot_id           VARCHAR(36) NOT NULL,               -- id of version 1; shared by every version of the document
    version           INTEGER NOT NULL,
    replaces_id       VARCHAR(36) REFERENCES attachments(id), -- the previous version, NULL for version 1
    name              VARCHAR(255) NOT NULL,              -- sanitised original file name, for display only
    content_type      VARCHAR(128) NOT NULL,              -- decided by the server from the content, never the client
    size              BIGINT NOT NULL,
    sha256            VARCHAR(64) NOT NULL,
    storage_key       VARCHAR(128) NOT NULL UNIQUE,
    uploaded_by       VARCHAR(36) NOT NULL REFERENCES users(id),
    created_at        TIMESTAMP NOT NULL
);
CREATE INDEX attachments_enterprise_idx ON attachments (enterprise_id, purpose, created_at);
CREATE INDEX attachments_jurisdiction_idx ON attachments (jurisdiction_code);
-- A version can be replaced once, so two concurrent replacements of the same version cannot
-- fork the history: the second one fails and is told to refresh. (NULLs do not collide.)
CREATE UNIQUE INDEX attachments_replaces_idx ON attachments (replaces_id);
CREATE UNIQUE INDEX attachments_slot_version_idx ON attachments (slot_id, version);

-- +goose Down
DROP TABLE attachments;
