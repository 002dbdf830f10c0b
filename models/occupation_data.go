package models

import (
	"bytes"
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"skillcert/models/occupations"
)

// OccupationImport is an official occupation CSV imported to replace the embedded dictionary.
type OccupationImport struct {
	ID         string    `gorm:"primaryKey" json:"id"`
	SourceName string    `json:"source_name"`
	RowsCount  int       `json:"rows_count"`
	Content    string    `json:"-"`
	ImportedBy string    `json:"imported_by"`
	ImportedAt time.Time `json:"imported_at"`
}

// OccupationExclusion is an access-type occupation excluded from the pilot, keyed by name
// (some have no code in the classification).
type OccupationExclusion struct {
	Code      string    `json:"code"`
	Name      string    `gorm:"primaryKey" json:"name"`
	Reason    string    `json:"reason"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// ImportOccupations parses an official CSV (header code,name,major,middle,minor) and stores it
// as the dictionary in force; a malformed file is refused with its line-numbered errors.
func (db *DB) ImportOccupations(ctx context.Context, source string, csv []byte, by string) (int, error) {
	d, err := occupations.Load(bytes.NewReader(csv))
	if err != nil {
		return 0, err
	}
	row := OccupationImport{ID: NewID(), SourceName: source, RowsCount: d.Len(), Content: string(csv), ImportedBy: by, ImportedAt: time.Now().UTC()}
	return d.Len(), db.WithContext(ctx).Create(&row).Error
}

// OccupationDictionary returns the dictionary in force: the newest import, or the embedded one.
func (db *DB) OccupationDictionary(ctx context.Context) (*occupations.Dictionary, error) {
	var row OccupationImport
	err := db.WithContext(ctx).Order("imported_at DESC").Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return occupations.Default(), nil
	}
	if err != nil {
		return nil, err
	}
	return occupations.Load(bytes.NewReader([]byte(row.Content)))
}

// SeedExclusions inserts the default access-type exclusions that are missing.
func (db *DB) SeedExclusions(ctx context.Context) error {
	now := time.Now().UTC()
	for _, e := range occupations.DefaultExclusions() {
		row := OccupationExclusion{Code: e.Code, Name: e.Name, Reason: e.Reason, CreatedAt: now}
		if err := db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
			return err
		}
	}
	return nil
}

// Exclusions lists the excluded occupations.
func (db *DB) Exclusions(ctx context.Context) ([]OccupationExclusion, error) {
	var es []OccupationExclusion
	err := db.WithContext(ctx).Order("code, name").Find(&es).Error
	return es, err
}

// AddExclusion adds an occupation to the exclusion list; an existing name is ErrConflict.
func (db *DB) AddExclusion(ctx context.Context, e OccupationExclusion) error {
	e.CreatedAt = time.Now().UTC()
	return conflict(db.WithContext(ctx).Create(&e).Error)
}

// RemoveExclusion takes an occupation off the exclusion list.
func (db *DB) RemoveExclusion(ctx context.Context, name string) error {
	res := db.WithContext(ctx).Delete(&OccupationExclusion{}, "name = ?", name)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}
