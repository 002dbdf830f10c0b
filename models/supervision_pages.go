package models

import (
	"context"
	"strings"
)

// Queries of the supervision pages: the draws of a jurisdiction, the draws a supervisor was
// drawn in, and a draw's sittings, supervisors and reports.

// DrawsIn lists the draws of the jurisdictions, newest first.
func (db *DB) DrawsIn(ctx context.Context, jurisdictions []string, limit int) ([]SupervisionDraw, error) {
	var out []SupervisionDraw
	err := db.WithContext(ctx).Where("jurisdiction_code IN ?", jurisdictions).Order("created_at DESC, id").Limit(clampLimit(limit)).Find(&out).Error
	return out, err
}

// DrawsOfSupervisor lists the draws that assigned the supervisor a sitting, newest first. The
// assignments are JSON; the text match narrows, the caller decodes and checks.
func (db *DB) DrawsOfSupervisor(ctx context.Context, userID string, limit int) ([]SupervisionDraw, error) {
	var out []SupervisionDraw
	pattern := "%\"" + strings.NewReplacer("%", "", "_", "", "\"", "").Replace(userID) + "\"%"
	err := db.WithContext(ctx).Where("assignments_json LIKE ?", pattern).Order("created_at DESC, id").Limit(clampLimit(limit)).Find(&out).Error
	return out, err
}

// SessionsByIDs returns the sittings with these IDs, by ID.
func (db *DB) SessionsByIDs(ctx context.Context, ids []string) (map[string]AssessmentSession, error) {
	out := map[string]AssessmentSession{}
	if len(ids) == 0 {
		return out, nil
	}
	var ss []AssessmentSession
	if err := db.WithContext(ctx).Where("id IN ?", ids).Find(&ss).Error; err != nil {
		return nil, err
	}
	for _, s := range ss {
		out[s.ID] = s
	}
	return out, nil
}

// DisplayNames returns the users' display names, by ID.
func (db *DB) DisplayNames(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var us []User
	if err := db.WithContext(ctx).Select("id", "display_name", "username").Where("id IN ?", ids).Find(&us).Error; err != nil {
		return nil, err
	}
	for _, u := range us {
		out[u.ID] = u.DisplayName
		if out[u.ID] == "" {
			out[u.ID] = u.Username
		}
	}
	return out, nil
}

// ReportsOfDraws lists the reports filed in the draws.
func (db *DB) ReportsOfDraws(ctx context.Context, drawIDs []string) ([]SupervisionReport, error) {
	var out []SupervisionReport
	if len(drawIDs) == 0 {
		return out, nil
	}
	err := db.WithContext(ctx).Where("draw_id IN ?", drawIDs).Order("created_at, id").Find(&out).Error
	return out, err
}
