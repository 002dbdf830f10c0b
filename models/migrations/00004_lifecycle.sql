-- +goose Up
-- Read-side projection of the pilot lifecycle, written only by workflow activities.

CREATE TABLE campaigns (
    id                  VARCHAR(16) PRIMARY KEY,   -- pilot year, e.g. 2027
    year                INTEGER NOT NULL,
    collection_deadline TIMESTAMP NOT NULL,
    publication_target  TIMESTAMP NOT NULL,
    status              VARCHAR(24) NOT NULL,      -- collecting | evaluating | published | closed
    batch1_published_at TIMESTAMP,
    batch2_published_at TIMESTAMP,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);

CREATE TABLE league_collections (
    id                VARCHAR(40) PRIMARY KEY,     -- <campaign>-<league code>
    campaign_id       VARCHAR(16) NOT NULL REFERENCES campaigns(id),
    jurisdiction_code VARCHAR(6) NOT NULL REFERENCES jurisdictions(code),
    status            VARCHAR(16) NOT NULL,        -- collecting | submitted | overdue
    submitted_at      TIMESTAMP,
    submitted_by      VARCHAR(36) NOT NULL DEFAULT '',
    contact_name      VARCHAR(64) NOT NULL DEFAULT '',
    contact_phone     VARCHAR(32) NOT NULL DEFAULT '',
    updated_at        TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX league_collections_campaign_idx ON league_collections (campaign_id, jurisdiction_code);

CREATE TABLE cases (
    id                      VARCHAR(36) PRIMARY KEY,
    workflow_id             VARCHAR(64) NOT NULL UNIQUE,
    campaign_id             VARCHAR(16) NOT NULL,
    enterprise_id           VARCHAR(36) NOT NULL REFERENCES enterprises(id),
    enterprise_name         VARCHAR(128) NOT NULL,
    application_id          VARCHAR(36) NOT NULL,
    application_version     INTEGER NOT NULL,
    jurisdiction_code       VARCHAR(6) NOT NULL,   -- the enterprise's jurisdiction
    league_code             VARCHAR(6) NOT NULL,   -- the league/city it reports through
    stage                   VARCHAR(32) NOT NULL,
    status                  VARCHAR(16) NOT NULL,  -- open | closed
    outcome                 VARCHAR(32) NOT NULL DEFAULT '',
    batch                   INTEGER NOT NULL DEFAULT 0,
    approved_json           TEXT NOT NULL DEFAULT '',
    panel_json              TEXT NOT NULL DEFAULT '',
    waiting_on              VARCHAR(64) NOT NULL DEFAULT '',
    next_deadline           TIMESTAMP,
    sla_state               VARCHAR(16) NOT NULL DEFAULT '',
    last_event_at           TIMESTAMP NOT NULL,
    created_at              TIMESTAMP NOT NULL,
    updated_at              TIMESTAMP NOT NULL
);
CREATE INDEX cases_scope_idx ON cases (jurisdiction_code, stage);
CREATE INDEX cases_league_idx ON cases (league_code, campaign_id, stage);
CREATE INDEX cases_enterprise_idx ON cases (enterprise_id);
CREATE UNIQUE INDEX cases_application_idx ON cases (application_id);

CREATE TABLE tasks (
    id                     VARCHAR(128) PRIMARY KEY,
    workflow_id            VARCHAR(64) NOT NULL,
    case_id                VARCHAR(36) NOT NULL DEFAULT '',
    kind                   VARCHAR(32) NOT NULL,
    title                  VARCHAR(200) NOT NULL,
    stage                  VARCHAR(32) NOT NULL DEFAULT '',
    candidate_role         VARCHAR(32) NOT NULL,
    candidate_domain       VARCHAR(64) NOT NULL,   -- jurisdiction code or enterprise node
    jurisdiction_code      VARCHAR(6) NOT NULL,    -- for scope filtering: the case's jurisdiction
    league_code            VARCHAR(6) NOT NULL DEFAULT '',
    enterprise_name        VARCHAR(128) NOT NULL DEFAULT '',
    campaign_id            VARCHAR(16) NOT NULL DEFAULT '',
    batch                  INTEGER NOT NULL DEFAULT 0,
    assignee_id            VARCHAR(36) NOT NULL DEFAULT '',
    status                 VARCHAR(16) NOT NULL,   -- open | done | cancelled
    sla_state              VARCHAR(16) NOT NULL DEFAULT 'on_time',
    due_at                 TIMESTAMP NOT NULL,
    escalated              INTEGER NOT NULL DEFAULT 0,
    outcome                VARCHAR(32) NOT NULL DEFAULT '',
    reasons                TEXT NOT NULL DEFAULT '',
    decided_by             VARCHAR(36) NOT NULL DEFAULT '',
    request_key            VARCHAR(64) NOT NULL DEFAULT '',   -- of the decision that closed it
    decided_at             TIMESTAMP,
    version                INTEGER NOT NULL DEFAULT 1,
    created_at             TIMESTAMP NOT NULL,
    updated_at             TIMESTAMP NOT NULL
);
-- One index per inbox view, each ending in due_at so the first page is read in order:
-- the unit's queue, my claimed tasks, and "all open" for a county, a league and the region.
CREATE INDEX tasks_unit_idx ON tasks (status, candidate_role, candidate_domain, assignee_id, due_at);
CREATE INDEX tasks_assignee_idx ON tasks (assignee_id, status, due_at);
CREATE INDEX tasks_county_idx ON tasks (status, jurisdiction_code, due_at);
CREATE INDEX tasks_league_idx ON tasks (status, league_code, due_at);
CREATE INDEX tasks_due_idx ON tasks (status, due_at);
CREATE INDEX tasks_case_idx ON tasks (case_id, status);

CREATE TABLE case_events (
    id            VARCHAR(36) PRIMARY KEY,
    case_id       VARCHAR(36) NOT NULL,
    at            TIMESTAMP NOT NULL,
    kind          VARCHAR(48) NOT NULL,
    stage         VARCHAR(32) NOT NULL DEFAULT '',
    actor_id      VARCHAR(36) NOT NULL DEFAULT '',
    actor_name    VARCHAR(64) NOT NULL DEFAULT '',
    actor_role    VARCHAR(32) NOT NULL DEFAULT '',
    summary       TEXT NOT NULL,
    detail_json   TEXT NOT NULL DEFAULT '',
    public        BOOLEAN NOT NULL DEFAULT TRUE        -- shown to the enterprise
);
CREATE INDEX case_events_case_idx ON case_events (case_id, at);

-- Applied workflow transitions, keyed by workflow ID + step, make every projection write idempotent.
CREATE TABLE transitions (
    transition_key VARCHAR(128) PRIMARY KEY,
    applied_at TIMESTAMP NOT NULL
);

CREATE TABLE notifications (
    id           VARCHAR(36) PRIMARY KEY,
    dedupe_key   VARCHAR(160) NOT NULL UNIQUE,
    user_id      VARCHAR(36) NOT NULL,
    case_id      VARCHAR(36) NOT NULL DEFAULT '',
    kind         VARCHAR(48) NOT NULL,
    subject      VARCHAR(200) NOT NULL,
    body         TEXT NOT NULL,
    status       VARCHAR(16) NOT NULL,   -- pending | sent | failed
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    sent_at      TIMESTAMP
);
CREATE INDEX notifications_pending_idx ON notifications (status, created_at);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at);

CREATE TABLE directory_entries (
    case_id          VARCHAR(36) PRIMARY KEY,
    campaign_id      VARCHAR(16) NOT NULL,
    enterprise_id    VARCHAR(36) NOT NULL,
    batch            INTEGER NOT NULL,
    enterprise_name  VARCHAR(128) NOT NULL,
    address          VARCHAR(256) NOT NULL DEFAULT '',
    contact_name     VARCHAR(64) NOT NULL DEFAULT '',
    contact_phone    VARCHAR(32) NOT NULL DEFAULT '',
    jurisdiction_code VARCHAR(6) NOT NULL,
    occupations_json TEXT NOT NULL,
    status           VARCHAR(16) NOT NULL,   -- active | suspended | removed
    published_at     TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX directory_batch_idx ON directory_entries (campaign_id, batch, status);

CREATE TABLE complaints (
    id                VARCHAR(36) PRIMARY KEY,
    enterprise_id     VARCHAR(36) NOT NULL,
    case_id           VARCHAR(36) NOT NULL DEFAULT '',
    jurisdiction_code VARCHAR(6) NOT NULL,
    anonymous         BOOLEAN NOT NULL DEFAULT FALSE,
    complainant       VARCHAR(64) NOT NULL DEFAULT '',
    contact           VARCHAR(64) NOT NULL DEFAULT '',
    content           TEXT NOT NULL,
    status            VARCHAR(16) NOT NULL,  -- open | closed
    outcome           VARCHAR(24) NOT NULL DEFAULT '',
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);
CREATE INDEX complaints_scope_idx ON complaints (jurisdiction_code, status);

CREATE TABLE findings (
    id          VARCHAR(36) PRIMARY KEY,
    finding_key VARCHAR(160) NOT NULL UNIQUE,   -- kind + object: one finding per problem
    kind        VARCHAR(24) NOT NULL,           -- overdue_task | silent_case | retrying_activity | drift
    case_id     VARCHAR(36) NOT NULL DEFAULT '',
    task_id     VARCHAR(128) NOT NULL DEFAULT '',
    jurisdiction_code VARCHAR(6) NOT NULL DEFAULT '',
    detail      TEXT NOT NULL,
    since       TIMESTAMP NOT NULL,             -- when the problem began (for its age)
    first_seen  TIMESTAMP NOT NULL,
    last_seen   TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP
);
CREATE INDEX findings_open_idx ON findings (resolved_at, kind);

CREATE TABLE experts (
    user_id     VARCHAR(36) PRIMARY KEY REFERENCES users(id),
    employer    VARCHAR(128) NOT NULL DEFAULT '',
    speciality  VARCHAR(128) NOT NULL DEFAULT '',
    conflicts   TEXT NOT NULL DEFAULT '',   -- enterprise IDs (comma-separated) the expert declared a conflict with
    active      BOOLEAN NOT NULL DEFAULT TRUE
);

-- +goose Down
DROP TABLE experts;
DROP TABLE findings;
DROP TABLE complaints;
DROP TABLE directory_entries;
DROP TABLE notifications;
DROP TABLE transitions;
DROP TABLE case_events;
DROP TABLE tasks;
DROP TABLE cases;
DROP TABLE league_collections;
DROP TABLE campaigns;
