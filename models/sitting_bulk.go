package models

import (
	"context"
	"fmt"
	"time"

	"skillcert/domain"
)

// RemoveOpenCandidate deletes a candidate of a sitting that is still open (results not yet
// submitted); ErrConflict when the sitting is no longer open or the candidate is gone.
func (db *DB) RemoveOpenCandidate(ctx context.Context, sessionID, candidateID string) error {
	open := db.WithContext(ctx).Model(&AssessmentSession{}).Select("id").Where("id = ? AND status = ?", sessionID, SessionOpen)
	res := db.WithContext(ctx).Where("id = ? AND session_id IN (?)", candidateID, open).Delete(&SessionCandidate{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("%w: candidate %s not removable", ErrConflict, candidateID)
	}
	return nil
}

// AmendSupervisionReport replaces the rating and findings of a report still awaiting review;
// ErrConflict when it is no longer submitted (the region has reviewed it meanwhile).
func (db *DB) AmendSupervisionReport(ctx context.Context, id, rating, findings string, at time.Time) error {
	res := db.WithContext(ctx).Model(&SupervisionReport{}).Where("id = ? AND status = ?", id, domain.ReportSubmitted).
		Updates(map[string]any{"rating": rating, "findings": findings, "updated_at": at})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("%w: report %s is not awaiting review", ErrConflict, id)
	}
	return nil
}
