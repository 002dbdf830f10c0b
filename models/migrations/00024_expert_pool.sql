-- +goose Up
-- The expert pool managed by the region's appraisal centre (评估专家库): besides the employer
-- (recusal) and the field (kept in the speciality column), the occupations an expert evaluates
-- and when the entry last changed. Entries are added for expert accounts by the centre (page,
-- API or XLSX import), no longer only by `skillcert dev`.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL. Timestamps are stored in UTC.

-- Occupation codes (国家职业分类大典), comma-separated.
ALTER TABLE experts ADD COLUMN occupations TEXT NOT NULL DEFAULT '';
ALTER TABLE experts ADD COLUMN updated_at TIMESTAMP;

-- +goose Down
ALTER TABLE experts DROP COLUMN updated_at;
ALTER TABLE experts DROP COLUMN occupations;
