package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// CryptoKey is the recorded fingerprint of one key of the deployment (crypto_keys).
type CryptoKey struct {
	Purpose     string `gorm:"primaryKey"`
	Version     int    `gorm:"primaryKey;autoIncrement:false"`
	Fingerprint string
	CreatedAt   time.Time
}

// TableName is the key fingerprint table.
func (CryptoKey) TableName() string { return "crypto_keys" }

// KeyInUse is one key a process starts with: its purpose and version, its fingerprint
// (cryptosuite.Fingerprint) and the setting it comes from, for the error message.
type KeyInUse struct {
	Purpose     string
	Version     int
	Fingerprint string
	Setting     string
}

// CheckKeys compares the process's keys with the fingerprints recorded for the deployment: a key
// seen for the first time is recorded, a key whose purpose and version were recorded with another
// fingerprint is an error naming the setting, so a replica started with other keys refuses to
// start instead of reporting ready and failing on the first ID number, token or checkpoint.
// Concurrent first starts record one fingerprint; the loser compares with it.
func (db *DB) CheckKeys(ctx context.Context, keys []KeyInUse) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	for _, k := range keys {
		row := CryptoKey{Purpose: k.Purpose, Version: k.Version, Fingerprint: k.Fingerprint, CreatedAt: now}
		if err := db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
			return fmt.Errorf("record key fingerprint: %w", err)
		}
		var got CryptoKey
		if err := db.WithContext(ctx).First(&got, "purpose = ? AND version = ?", k.Purpose, k.Version).Error; err != nil {
			return fmt.Errorf("read key fingerprint: %w", err)
		}
		if got.Fingerprint != k.Fingerprint {
			return fmt.Errorf("%s (%s key, version %d) is not the key this deployment uses: the database recorded fingerprint %s on %s, this process has %s. "+
				"Start every api and worker with the same keys; to change a data or lookup key, give it a new SKILLCERT_KEY_VERSION, "+
				"keep the old one in SKILLCERT_RETIRED_KEYS and run `skillcert keys rotate`",
				k.Setting, k.Purpose, k.Version, got.Fingerprint, got.CreatedAt.UTC().Format(time.DateOnly), k.Fingerprint)
		}
	}
	return nil
}

// KeyFingerprints lists the recorded fingerprints.
func (db *DB) KeyFingerprints(ctx context.Context) ([]CryptoKey, error) {
	var out []CryptoKey
	err := db.WithContext(ctx).Order("purpose, version").Find(&out).Error
	return out, err
}
