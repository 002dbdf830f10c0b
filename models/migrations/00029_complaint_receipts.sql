-- +goose Up
-- Complaint receipts as short codes (issue 17): the complainant follows the complaint on the
-- public progress page (/complaint/status) with the code and a second factor.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.

-- receipt_code: 8 characters of an alphabet without 0/O/1/I/L (shown as ABCD-EFGH), unique;
-- new complaints get a crypto/rand code. Existing rows are backfilled from their UUID's first
-- 8 hex digits, 0 and 1 written as X and Y (a one-to-one mapping into the alphabet).
-- receipt_pin: the 4-digit second factor shown on the receipt when the complaint left no
-- contact with 4 digits (anonymous, or an e-mail address); otherwise the last 4 digits of the
-- contact are the second factor and receipt_pin is empty.
ALTER TABLE complaints ADD COLUMN receipt_code VARCHAR(8);
ALTER TABLE complaints ADD COLUMN receipt_pin VARCHAR(4) NOT NULL DEFAULT '';
UPDATE complaints SET receipt_code = UPPER(REPLACE(REPLACE(SUBSTR(REPLACE(id, '-', ''), 1, 8), '0', 'X'), '1', 'Y'));
CREATE UNIQUE INDEX complaints_receipt_code_idx ON complaints (receipt_code);

-- +goose Down
DROP INDEX complaints_receipt_code_idx;
ALTER TABLE complaints DROP COLUMN receipt_pin;
ALTER TABLE complaints DROP COLUMN receipt_code;
