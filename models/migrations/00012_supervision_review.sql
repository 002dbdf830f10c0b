-- +goose Up
-- Supervision reports are reviewed by the region before they are published (domain/supervision.go):
-- submitted (待审核) → published (公开) | returned (退回督导员补充, with a reason) → submitted again
-- when the supervisor refiles. Only published reports are in the public list.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL. Timestamps are stored in UTC.

-- New reports are written with their status by the application; the default only fills the
-- existing rows, which the next statement settles.
ALTER TABLE supervision_reports ADD COLUMN status VARCHAR(16) NOT NULL DEFAULT 'submitted';
-- The reviewer's reason for returning the report (the latest one; earlier ones are in the audit log).
ALTER TABLE supervision_reports ADD COLUMN return_reason VARCHAR(500) NOT NULL DEFAULT '';
ALTER TABLE supervision_reports ADD COLUMN reviewed_by VARCHAR(36) NOT NULL DEFAULT '';
ALTER TABLE supervision_reports ADD COLUMN reviewed_at TIMESTAMP;
-- When a returned report was last refiled (created_at stays the first filing).
ALTER TABLE supervision_reports ADD COLUMN updated_at TIMESTAMP;

-- Every report filed before this migration was in the public list the moment it was filed. They
-- become published, so nothing the public could see disappears without a decision; reviewed_by
-- stays empty and reviewed_at NULL, which marks them as published without review. They notify
-- no enterprise now: they were public already, and a late message would be news to no one.
UPDATE supervision_reports SET status = 'published';

CREATE INDEX supervision_reports_status_idx ON supervision_reports (status, created_at);

-- +goose Down
DROP INDEX supervision_reports_status_idx;
ALTER TABLE supervision_reports DROP COLUMN updated_at;
ALTER TABLE supervision_reports DROP COLUMN reviewed_at;
ALTER TABLE supervision_reports DROP COLUMN reviewed_by;
ALTER TABLE supervision_reports DROP COLUMN return_reason;
ALTER TABLE supervision_reports DROP COLUMN status;
