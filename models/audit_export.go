package models

import "context"

// AuditExportRows lists the audit rows of a query oldest first (the chain's order), at most
// max of them, and the total the query matches; the export of the audit log reads it.
// Limit and Offset are ignored.
func (db *DB) AuditExportRows(ctx context.Context, f AuditQuery, max int) ([]AuditEntry, int64, error) {
	q := db.auditMatching(ctx, f)
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
