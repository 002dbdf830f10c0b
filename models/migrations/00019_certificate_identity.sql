-- +goose Up
-- The holder's identity as the national certificate sample prints it (证件类型, 性别, 照片), and
-- the assessing organisation's filing code (备案编码) the national interface sends.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL. Timestamps are stored in UTC.

-- ID type (domain.IDTypes) and gender (male | female) of a candidate; for a 居民身份证 the gender
-- is derived from the number. Candidates registered before this migration all gave resident ID
-- numbers: their type is filled in, their gender stays empty (shown as not recorded).
ALTER TABLE session_candidates ADD COLUMN id_type VARCHAR(24) NOT NULL DEFAULT 'resident_id';
ALTER TABLE session_candidates ADD COLUMN gender VARCHAR(8) NOT NULL DEFAULT '';
-- The certificate photo: storage key of the checked JPEG/PNG, its content type and SHA-256.
ALTER TABLE session_candidates ADD COLUMN photo_key VARCHAR(128) NOT NULL DEFAULT '';
ALTER TABLE session_candidates ADD COLUMN photo_type VARCHAR(16) NOT NULL DEFAULT '';
ALTER TABLE session_candidates ADD COLUMN photo_sha256 VARCHAR(64) NOT NULL DEFAULT '';

-- The same, copied onto the certificate when it is issued.
ALTER TABLE certificates ADD COLUMN id_type VARCHAR(24) NOT NULL DEFAULT 'resident_id';
ALTER TABLE certificates ADD COLUMN gender VARCHAR(8) NOT NULL DEFAULT '';
ALTER TABLE certificates ADD COLUMN photo_key VARCHAR(128) NOT NULL DEFAULT '';
ALTER TABLE certificates ADD COLUMN photo_type VARCHAR(16) NOT NULL DEFAULT '';
ALTER TABLE certificates ADD COLUMN photo_sha256 VARCHAR(64) NOT NULL DEFAULT '';

-- The assessing organisation's filing code with the national centre (备案编码), set by the region.
ALTER TABLE enterprises ADD COLUMN filing_code VARCHAR(32) NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE enterprises DROP COLUMN filing_code;
ALTER TABLE certificates DROP COLUMN photo_sha256;
ALTER TABLE certificates DROP COLUMN photo_type;
ALTER TABLE certificates DROP COLUMN photo_key;
ALTER TABLE certificates DROP COLUMN gender;
ALTER TABLE certificates DROP COLUMN id_type;
ALTER TABLE session_candidates DROP COLUMN photo_sha256;
ALTER TABLE session_candidates DROP COLUMN photo_type;
ALTER TABLE session_candidates DROP COLUMN photo_key;
ALTER TABLE session_candidates DROP COLUMN gender;
ALTER TABLE session_candidates DROP COLUMN id_type;
