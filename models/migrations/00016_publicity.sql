-- +goose Up
-- Results publicity (认定结果公示, domain/publicity.go): the appraisal centre's approval publishes
-- a sitting's results for a number of working days, counted on the region's working-day table;
-- objections raised in the period are reviewed by the centre; certificates follow the period.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL. Timestamps are stored in UTC.

-- The working-day table: the dates that differ from "Monday to Friday" (holidays on weekdays,
-- weekend days worked in exchange), kept by the region each year.
CREATE TABLE work_calendar_days (
    day        VARCHAR(10) PRIMARY KEY,   -- YYYY-MM-DD, Asia/Shanghai
    kind       VARCHAR(8) NOT NULL,       -- holiday | workday
    note       VARCHAR(64) NOT NULL DEFAULT '',
    updated_by VARCHAR(36) NOT NULL DEFAULT '',
    updated_at TIMESTAMP NOT NULL
);

-- Settings the region keeps (publicity_days: the length of a publicity in working days).
CREATE TABLE region_settings (
    name       VARCHAR(32) PRIMARY KEY,
    value      VARCHAR(64) NOT NULL,
    updated_by VARCHAR(36) NOT NULL DEFAULT '',
    updated_at TIMESTAMP NOT NULL
);

-- A sitting's current publicity; NULL until the centre approves (and for sittings issued
-- before this migration, which had none).
ALTER TABLE assessment_sessions ADD COLUMN publicity_starts_at TIMESTAMP;
ALTER TABLE assessment_sessions ADD COLUMN publicity_ends_at TIMESTAMP;

-- Objections raised in a publicity. The objector's name and contact stay here, readable by the
-- centre only; the workflow carries the objection's ID.
CREATE TABLE result_objections (
    id              VARCHAR(36) PRIMARY KEY,
    session_id      VARCHAR(36) NOT NULL REFERENCES assessment_sessions(id),
    candidate_id    VARCHAR(36) NOT NULL DEFAULT '',  -- empty: the sitting as a whole
    objector        VARCHAR(64) NOT NULL DEFAULT '',
    contact         VARCHAR(64) NOT NULL DEFAULT '',
    content         TEXT NOT NULL,
    status          VARCHAR(16) NOT NULL,             -- received | open | dismissed | sustained | superseded | refused
    task_id         VARCHAR(128) NOT NULL DEFAULT '',
    decision_reason TEXT NOT NULL DEFAULT '',
    decided_by      VARCHAR(36) NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX result_objections_session_idx ON result_objections (session_id, created_at);

-- +goose Down
DROP INDEX result_objections_session_idx;
DROP TABLE result_objections;
ALTER TABLE assessment_sessions DROP COLUMN publicity_ends_at;
ALTER TABLE assessment_sessions DROP COLUMN publicity_starts_at;
DROP TABLE region_settings;
DROP TABLE work_calendar_days;
