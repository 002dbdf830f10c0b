-- +goose Up
-- Document numbers (domain.md §10): the 文号 of each directory publication (subject: campaign and
-- batch) and the 备案号 of each filed work plan (subject: case), drawn from a counter per kind,
-- scope (the league, when the pattern names it) and year. UPDATE … RETURNING on the counter row
-- serialises concurrent allocations; the unique keys make a subject's number and every number
-- unique whatever the pattern.
CREATE TABLE document_counters (
    kind      VARCHAR(32) NOT NULL,
    scope     VARCHAR(16) NOT NULL,
    year      INTEGER NOT NULL,
    last_seq  INTEGER NOT NULL,
    PRIMARY KEY (kind, scope, year)
);
CREATE TABLE document_numbers (
    id         VARCHAR(36) PRIMARY KEY,
    kind       VARCHAR(32) NOT NULL,
    subject    VARCHAR(100) NOT NULL,
    scope      VARCHAR(16) NOT NULL,
    year       INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    number     VARCHAR(60) NOT NULL,
    issued_at  TIMESTAMP NOT NULL,
    issued_by  VARCHAR(36) NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX document_numbers_subject_idx ON document_numbers (kind, subject);
CREATE UNIQUE INDEX document_numbers_number_idx ON document_numbers (number);
CREATE UNIQUE INDEX document_numbers_seq_idx ON document_numbers (kind, scope, year, seq);

-- The receipt of an enterprise's signed paper application (纸质版) by its league/city: the
-- electronic copy is the case; the paper one is recorded here, once per case (a correction
-- overwrites it and is audited).
CREATE TABLE paper_receipts (
    case_id      VARCHAR(36) PRIMARY KEY REFERENCES cases(id),
    received_on  VARCHAR(10) NOT NULL,
    received_by  VARCHAR(50) NOT NULL,
    remark       VARCHAR(500) NOT NULL DEFAULT '',
    recorded_by  VARCHAR(36) NOT NULL,
    recorded_at  TIMESTAMP NOT NULL
);

-- A filing code (备案编码) identifies one organisation with the national centre.
CREATE UNIQUE INDEX enterprises_filing_code_idx ON enterprises (filing_code) WHERE filing_code <> '';

-- +goose Down
DROP INDEX enterprises_filing_code_idx;
DROP TABLE paper_receipts;
DROP TABLE document_numbers;
DROP TABLE document_counters;
