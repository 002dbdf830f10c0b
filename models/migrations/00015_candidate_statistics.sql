-- +goose Up
-- Statistics by gender and age band without opening ID numbers: each candidate carries its
-- gender (M | F, from the 17th digit of the ID number) and its age in whole years on the
-- sitting's exam date (from digits 7–14), derived when the candidate is recorded. Neither
-- identifies anyone. Rows recorded before this migration have NULLs here until the API process
-- backfills them at start (service.BackfillCandidateStats: it alone holds the data key).
ALTER TABLE session_candidates ADD COLUMN stat_gender VARCHAR(1);
ALTER TABLE session_candidates ADD COLUMN stat_age INTEGER;
-- The statistics read sittings by exam date within a set of jurisdictions, their candidates by
-- sitting (this index covers the columns they count), and certificates by issue date.
CREATE INDEX assessment_sessions_stats_idx ON assessment_sessions (exam_date, jurisdiction_code);
CREATE INDEX session_candidates_stats_idx ON session_candidates (session_id, result, stat_gender, stat_age);
CREATE INDEX certificates_stats_idx ON certificates (issue_date, level);
-- The backfill finds the rows still to derive.
CREATE INDEX session_candidates_stat_todo_idx ON session_candidates (stat_gender);

-- +goose Down
DROP INDEX session_candidates_stat_todo_idx;
DROP INDEX certificates_stats_idx;
DROP INDEX session_candidates_stats_idx;
DROP INDEX assessment_sessions_stats_idx;
ALTER TABLE session_candidates DROP COLUMN stat_age;
ALTER TABLE session_candidates DROP COLUMN stat_gender;
