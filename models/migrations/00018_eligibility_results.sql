-- +goose Up
-- Eligibility by level (申报条件) and the recorded components of a result (品德、业绩).
-- Portable SQL: runs unchanged on SQLite and PostgreSQL. Timestamps are stored in UTC.

-- What a candidate declared for the eligibility check (domain.CandidateFacts). Candidates
-- registered before this migration keep zeros and an empty education: they were registered
-- without the check, and the sitting page shows their facts as not declared.
ALTER TABLE session_candidates ADD COLUMN years_in_occupation INTEGER NOT NULL DEFAULT 0;
ALTER TABLE session_candidates ADD COLUMN held_level INTEGER NOT NULL DEFAULT 0;
ALTER TABLE session_candidates ADD COLUMN held_year INTEGER NOT NULL DEFAULT 0;
ALTER TABLE session_candidates ADD COLUMN education VARCHAR(32) NOT NULL DEFAULT '';
ALTER TABLE session_candidates ADD COLUMN apprenticeship BOOLEAN NOT NULL DEFAULT FALSE;
-- Ethics (品德) and performance and achievements (业绩、创新成果): recorded with the scores,
-- shown to the appraisal centre; they do not enter the pass rule (domain.md §7).
ALTER TABLE session_candidates ADD COLUMN ethics VARCHAR(500) NOT NULL DEFAULT '';
ALTER TABLE session_candidates ADD COLUMN performance VARCHAR(1000) NOT NULL DEFAULT '';

-- An occupation's own eligibility routes for one level, replacing the common template's
-- (domain.CommonTemplate) for that level; an empty list closes the level.
CREATE TABLE eligibility_rules (
    occupation_code VARCHAR(10) NOT NULL,
    level           INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
    routes_json     TEXT NOT NULL,          -- []domain.EligibilityRoute
    source          VARCHAR(200) NOT NULL DEFAULT '', -- the standard it comes from, e.g. 国家职业技能标准（2019年版）
    updated_by      VARCHAR(36) NOT NULL DEFAULT '',
    updated_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (occupation_code, level)
);

-- +goose Down
DROP TABLE eligibility_rules;
ALTER TABLE session_candidates DROP COLUMN performance;
ALTER TABLE session_candidates DROP COLUMN ethics;
ALTER TABLE session_candidates DROP COLUMN apprenticeship;
ALTER TABLE session_candidates DROP COLUMN education;
ALTER TABLE session_candidates DROP COLUMN held_year;
ALTER TABLE session_candidates DROP COLUMN held_level;
ALTER TABLE session_candidates DROP COLUMN years_in_occupation;
