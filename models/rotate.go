package models

import (
	"context"
	"fmt"
	"regexp"
)

// Resealer moves a sealed ID number to the current key generation (*pii.Sealer is one).
type Resealer interface {
	// Reseal returns p sealed under the current generation and whether it changed.
	Reseal(p PersonID) (PersonID, bool, error)
}

// RotateReport counts what a rotation pass did, per place ID numbers are stored.
type RotateReport struct {
	// Resealed values and rows scanned, by table.
	Resealed map[string]int `json:"resealed"`
	Scanned  map[string]int `json:"scanned"`
	// Failed counts values that could not be opened (a key missing from the configuration) or
	// rows that could not be written; they stay as they were and the next pass tries again.
	Failed int `json:"failed"`
}

// personIDJSON matches a PersonID as encoding/json writes it inside application content, so a
// rotation rewrites only the sealed values and leaves every other byte of the stored JSON alone.
var personIDJSON = regexp.MustCompile(`\{"cipher":"([^"\\]*)","lookup":"([^"\\]*)","masked":"([^"\\]*)"\}`)

// RotateIDNumbers reseals every stored ID number that is not of the current generation: the
// certificates, the session candidates, the application drafts, the submitted application
// versions and the accounts' TOTP secrets, in batches of batch rows, each batch in its own transaction. It is safe while the
// system serves (a row changed since it was read is left for the next pass: every update
// compares the old value) and resumable: stopped at any point, a second pass finds what is
// left, since values already current are skipped. progress, if set, is called after each batch.
func (db *DB) RotateIDNumbers(ctx context.Context, r Resealer, batch int, progress func(table string, scanned, resealed int)) (RotateReport, error) {
	if batch <= 0 {
		batch = 500
	}
	rep := RotateReport{Resealed: map[string]int{}, Scanned: map[string]int{}}
	type column struct{ table, key, cipher, lookup, masked string }
	for _, c := range []column{
		{"certificates", "id", "id_cipher", "id_lookup", "id_masked"},
		{"session_candidates", "id", "id_cipher", "id_lookup", "id_masked"},
	} {
		if err := db.rotateColumns(ctx, r, batch, c.table, c.key, c.cipher, c.lookup, c.masked, &rep, progress); err != nil {
			return rep, err
		}
	}
	if err := db.rotateJSON(ctx, r, batch, "applications", "id", "draft_json", &rep, progress); err != nil {
		return rep, err
	}
	if err := db.rotateJSON(ctx, r, batch, "application_versions", "application_id || '/' || CAST(version AS VARCHAR(12))", "content_json", &rep, progress); err != nil {
		return rep, err
	}
	if err := db.rotateTOTPSecrets(ctx, r, batch, &rep, progress); err != nil {
		return rep, err
	}
	return rep, nil
}

// rotateTOTPSecrets reseals the accounts' TOTP secrets (sealed by the same keyring, with no
// lookup or masked form) like rotateColumns.
func (db *DB) rotateTOTPSecrets(ctx context.Context, r Resealer, batch int, rep *RotateReport, progress func(string, int, int)) error {
	const table = "users"
	after := ""
	for {
		var rows []struct{ K, C string }
		if err := db.WithContext(ctx).Raw("SELECT id AS k, totp_secret AS c FROM users WHERE id > ? AND totp_secret <> '' ORDER BY id LIMIT ?",
			after, batch).Scan(&rows).Error; err != nil {
			return fmt.Errorf("rotate users: read: %w", err)
		}
		if len(rows) == 0 {
			return nil
		}
		n := 0
		err := db.Tx(ctx, func(tx *DB) error {
			for _, row := range rows {
				p, changed, err := r.Reseal(PersonID{Cipher: row.C})
				if err != nil {
					rep.Failed++
					continue
				}
				if !changed {
					continue
				}
				if err := tx.WithContext(ctx).Exec("UPDATE users SET totp_secret = ? WHERE id = ? AND totp_secret = ?", p.Cipher, row.K, row.C).Error; err != nil {
					return fmt.Errorf("rotate users: write: %w", err)
				}
				n++
			}
			return nil
		})
		if err != nil {
			return err
		}
		rep.Scanned[table] += len(rows)
		rep.Resealed[table] += n
		after = rows[len(rows)-1].K
		if progress != nil {
			progress(table, rep.Scanned[table], rep.Resealed[table])
		}
	}
}

func (db *DB) rotateColumns(ctx context.Context, r Resealer, batch int, table, key, cipher, lookup, masked string,
	rep *RotateReport, progress func(string, int, int)) error {
	after := ""
	for {
		var rows []struct {
			K, C, L, M string
		}
		q := fmt.Sprintf("SELECT %s AS k, %s AS c, %s AS l, %s AS m FROM %s WHERE %s > ? ORDER BY %s LIMIT ?", key, cipher, lookup, masked, table, key, key)
		if err := db.WithContext(ctx).Raw(q, after, batch).Scan(&rows).Error; err != nil {
			return fmt.Errorf("rotate %s: read: %w", table, err)
		}
		if len(rows) == 0 {
			return nil
		}
		n := 0
		err := db.Tx(ctx, func(tx *DB) error {
			for _, row := range rows {
				p, changed, err := r.Reseal(PersonID{Cipher: row.C, Lookup: row.L, Masked: row.M})
				if err != nil {
					rep.Failed++
					continue
				}
				if !changed {
					continue
				}
				u := fmt.Sprintf("UPDATE %s SET %s = ?, %s = ? WHERE %s = ? AND %s = ?", table, cipher, lookup, key, cipher)
				if err := tx.WithContext(ctx).Exec(u, p.Cipher, p.Lookup, row.K, row.C).Error; err != nil {
					return fmt.Errorf("rotate %s: write: %w", table, err)
				}
				n++
			}
			return nil
		})
		if err != nil {
			return err
		}
		rep.Scanned[table] += len(rows)
		rep.Resealed[table] += n
		after = rows[len(rows)-1].K
		if progress != nil {
			progress(table, rep.Scanned[table], rep.Resealed[table])
		}
	}
}

func (db *DB) rotateJSON(ctx context.Context, r Resealer, batch int, table, key, col string, rep *RotateReport, progress func(string, int, int)) error {
	after := ""
	for {
		var rows []struct{ K, J string }
		q := fmt.Sprintf("SELECT %s AS k, %s AS j FROM %s WHERE %s > ? ORDER BY %s LIMIT ?", key, col, table, key, key)
		if err := db.WithContext(ctx).Raw(q, after, batch).Scan(&rows).Error; err != nil {
			return fmt.Errorf("rotate %s: read: %w", table, err)
		}
		if len(rows) == 0 {
			return nil
		}
		n := 0
		err := db.Tx(ctx, func(tx *DB) error {
			for _, row := range rows {
				changed := 0
				var failed error
				out := personIDJSON.ReplaceAllStringFunc(row.J, func(m string) string {
					g := personIDJSON.FindStringSubmatch(m)
					p, ch, err := r.Reseal(PersonID{Cipher: g[1], Lookup: g[2], Masked: g[3]})
					if err != nil {
						failed = err
						return m
					}
					if !ch {
						return m
					}
					changed++
					return `{"cipher":"` + p.Cipher + `","lookup":"` + p.Lookup + `","masked":"` + p.Masked + `"}`
				})
				if failed != nil {
					rep.Failed++
				}
				if changed == 0 {
					continue
				}
				u := fmt.Sprintf("UPDATE %s SET %s = ? WHERE %s = ? AND %s = ?", table, col, key, col)
				if err := tx.WithContext(ctx).Exec(u, out, row.K, row.J).Error; err != nil {
					return fmt.Errorf("rotate %s: write: %w", table, err)
				}
				n += changed
			}
			return nil
		})
		if err != nil {
			return err
		}
		rep.Scanned[table] += len(rows)
		rep.Resealed[table] += n
		after = rows[len(rows)-1].K
		if progress != nil {
			progress(table, rep.Scanned[table], rep.Resealed[table])
		}
	}
}
