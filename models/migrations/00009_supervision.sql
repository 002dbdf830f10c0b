-- +goose Up
-- Quality supervision by 双随机一公开: each draw records its seed and the candidate lists, so it
-- can be re-run and checked; supervisors file a report per session; results are public.
CREATE TABLE supervision_draws (
    id                 VARCHAR(36) PRIMARY KEY,
    title              VARCHAR(200) NOT NULL,
    jurisdiction_code  VARCHAR(6) NOT NULL,
    seed               BIGINT NOT NULL,
    per_session        INTEGER NOT NULL,
    sessions_json      TEXT NOT NULL,   -- candidate sessions, in the order drawn from
    supervisors_json   TEXT NOT NULL,   -- candidate supervisors with employers and conflicts
    assignments_json   TEXT NOT NULL,   -- drawn sessions and their supervisors
    created_by         VARCHAR(36) NOT NULL,
    created_at         TIMESTAMP NOT NULL
);
CREATE INDEX supervision_draws_scope_idx ON supervision_draws (jurisdiction_code, created_at);

CREATE TABLE supervision_reports (
    id            VARCHAR(36) PRIMARY KEY,
    draw_id       VARCHAR(36) NOT NULL REFERENCES supervision_draws(id),
    session_id    VARCHAR(36) NOT NULL,
    supervisor_id VARCHAR(36) NOT NULL,
    rating        VARCHAR(16) NOT NULL,   -- good | acceptable | rectify | serious
    findings      TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX supervision_reports_one_idx ON supervision_reports (draw_id, session_id, supervisor_id);

-- +goose Down
DROP TABLE supervision_reports;
DROP TABLE supervision_draws;
