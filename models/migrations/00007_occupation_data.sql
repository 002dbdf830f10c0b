-- +goose Up
-- The occupation dictionary an official CSV replaced (the newest import wins; none: the 2022
-- classification embedded in the binary) and the region's editable list of access-type
-- occupations excluded from the pilot.
CREATE TABLE occupation_imports (
    id          VARCHAR(36) PRIMARY KEY,
    source_name VARCHAR(200) NOT NULL,
    rows_count  INTEGER NOT NULL,
    content     TEXT NOT NULL,
    imported_by VARCHAR(64) NOT NULL DEFAULT '',
    imported_at TIMESTAMP NOT NULL
);
CREATE INDEX occupation_imports_at_idx ON occupation_imports (imported_at);

CREATE TABLE occupation_exclusions (
    code       VARCHAR(10) NOT NULL DEFAULT '',
    name       VARCHAR(64) NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    created_by VARCHAR(36) NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (name)
);

-- +goose Down
DROP TABLE occupation_exclusions;
DROP TABLE occupation_imports;
