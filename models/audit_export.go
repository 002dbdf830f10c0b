package models

import "context"

// AuditExportRows lists the audit rows of a query oldest first (the chain's order), at most
// max of them, and the total the query matches; the export of the audit log reads it.
// Limit and Offset are ignored.
func (db *DB) AuditExportRows(ctx context.Context, f AuditQuery, max int) ([]AuditEntry, int64, error) {
	q := db.WithContext(ctx).Model(&AuditEntry{})
	for _, eq := range [][2]string{{"object_type", f.ObjectType}, {"object_id", f.ObjectID}, {"actor_id", f.ActorID},
		{"action", f.Action}, {"actor_name", f.ActorName}, {"outcome", f.Outcome}} {
		if eq[1] != "" {
			q = q.Where(eq[0]+" = ?", eq[1])
		}
	}
	if f.Jurisdictions != nil {
		q = q.Where("jurisdiction_code IN ?", f.Jurisdictions)
	}
	if !f.From.IsZero() {
		q = q.Where("at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("at < ?", f.To.UTC())
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	if total > int64(max) {
		return nil, total, nil
	}
	var rows []AuditEntry
	err := q.Order("seq").Limit(max).Find(&rows).Error
	return rows, total, err
}
