-- +goose Up
-- Assessment sittings of pilot enterprises, their candidates and scores, and quality
-- supervision draws (双随机一公开) with the supervisors' reports.
CREATE TABLE assessment_sessions (
    id                VARCHAR(36) PRIMARY KEY,
    workflow_id       VARCHAR(64) NOT NULL UNIQUE,
    case_id           VARCHAR(36) NOT NULL,
    enterprise_id     VARCHAR(36) NOT NULL,
    enterprise_name   VARCHAR(128) NOT NULL,
    jurisdiction_code VARCHAR(6) NOT NULL,
    occupation_code   VARCHAR(10) NOT NULL,
    occupation_name   VARCHAR(64) NOT NULL,
    work_type         VARCHAR(64) NOT NULL DEFAULT '',
    level             INTEGER NOT NULL,
    exam_date         TIMESTAMP NOT NULL,
    site              VARCHAR(200) NOT NULL,
    assessors_json    TEXT NOT NULL,
    status            VARCHAR(16) NOT NULL,   -- open | submitted | audited | issued | cancelled
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);
CREATE INDEX assessment_sessions_scope_idx ON assessment_sessions (jurisdiction_code, status);
CREATE INDEX assessment_sessions_case_idx ON assessment_sessions (case_id);

CREATE TABLE session_candidates (
    id                 VARCHAR(36) PRIMARY KEY,
    session_id         VARCHAR(36) NOT NULL REFERENCES assessment_sessions(id),
    name               VARCHAR(64) NOT NULL,
    id_cipher          TEXT NOT NULL,
    id_lookup          VARCHAR(64) NOT NULL,
    id_masked          VARCHAR(32) NOT NULL,
    employee           BOOLEAN NOT NULL,
    theory             INTEGER,
    skill              INTEGER,
    review             INTEGER,
    notes              TEXT NOT NULL DEFAULT '',
    result             VARCHAR(16) NOT NULL DEFAULT 'pending',  -- pending | pass | fail
    audit_status       VARCHAR(16) NOT NULL DEFAULT 'pending',  -- pending | approved | rejected
    audit_reason       TEXT NOT NULL DEFAULT '',
    certificate_number VARCHAR(22) NOT NULL DEFAULT '',
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX session_candidates_person_idx ON session_candidates (session_id, id_lookup);
CREATE INDEX session_candidates_lookup_idx ON session_candidates (id_lookup);

-- +goose Down
DROP TABLE session_candidates;
DROP TABLE assessment_sessions;
