package models

import "context"

// ApplicationContent returns the content of a submitted application version.
func (db *DB) ApplicationContent(ctx context.Context, applicationID string, version int) (Application, error) {
	v, err := db.ApplicationVersionByNumber(ctx, applicationID, version)
	if err != nil {
		return Application{}, err
	}
	return v.Content()
}
