-- +goose Up
-- Delivery bookkeeping of the notification outbox. A row moves pending → sending (claimed by one
-- worker replica with a conditional UPDATE) → sent | pending again (retry at next_attempt_at) | failed.
-- NULL next_attempt_at means "due now", so rows written before this migration are delivered as before.

ALTER TABLE notifications ADD COLUMN next_attempt_at TIMESTAMP;
-- claimed_at lets a row whose sender died in the middle of a delivery go back to pending.
ALTER TABLE notifications ADD COLUMN claimed_at TIMESTAMP;
-- claim_token identifies one claim, so a replica whose claim expired cannot overwrite the outcome of
-- the replica that claimed the row after it.
ALTER TABLE notifications ADD COLUMN claim_token VARCHAR(36) NOT NULL DEFAULT '';
-- delivery_note says why a row counts as sent without a message leaving (e.g. no e-mail address).
ALTER TABLE notifications ADD COLUMN delivery_note VARCHAR(200) NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE notifications DROP COLUMN delivery_note;
ALTER TABLE notifications DROP COLUMN claim_token;
ALTER TABLE notifications DROP COLUMN claimed_at;
ALTER TABLE notifications DROP COLUMN next_attempt_at;
