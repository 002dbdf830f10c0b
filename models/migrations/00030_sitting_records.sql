-- +goose Up
-- Original records of a sitting (签到表, 试卷或答题记录, 成绩登记表, 视频监控录像索引) are attachments
-- tied to the sitting: versioned and hashed like every other, listed with the sitting and not
-- with the application. A new version keeps its first version's sitting.
ALTER TABLE attachments ADD COLUMN session_id VARCHAR(36) REFERENCES assessment_sessions(id);
CREATE INDEX attachments_session_idx ON attachments (session_id, purpose) WHERE session_id IS NOT NULL;

-- +goose Down
DROP INDEX attachments_session_idx;
ALTER TABLE attachments DROP COLUMN session_id;
