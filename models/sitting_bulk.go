package models

import (
	"context"
	"fmt"
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
