package models

import (
	"context"
	"encoding/json"
)

// ApplicationContent returns the content of a submitted application version.
func (db *DB) ApplicationContent(ctx context.Context, applicationID string, version int) (Application, error) {
	var raw string
	err := db.WithContext(ctx).Table("application_versions").Select("content_json").
		Where("application_id = ? AND version = ?", applicationID, version).Row().Scan(&raw)
	if err != nil {
		return Application{}, notFound(err)
	}
	var app Application
	if err := json.Unmarshal([]byte(raw), &app); err != nil {
		return Application{}, err
	}
	return app, nil
}
