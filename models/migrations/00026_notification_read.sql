-- +goose Up
-- read_at records when the recipient opened the in-app notification list and marked the row read;
-- NULL is unread. Delivery (status, attempts) is independent of it: a mail sent is not a mail read.
ALTER TABLE notifications ADD COLUMN read_at TIMESTAMP;
CREATE INDEX notifications_unread_idx ON notifications (user_id, read_at);

-- +goose Down
DROP INDEX notifications_unread_idx;
ALTER TABLE notifications DROP COLUMN read_at;
