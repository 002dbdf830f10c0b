package models

import (
	"context"
	"fmt"
	"time"
)

// StatsFilter selects the sittings and certificates the statistics count.
type StatsFilter struct {
	// Jurisdictions is the caller's subtree: only sittings and certificates of enterprises
	// registered there count. Nil means all.
	Jurisdictions []string
	// ExamFrom and ExamTo bound the sittings' exam dates, [ExamFrom, ExamTo) (instants: a
	// sitting's exam date is its day's midnight in Asia/Shanghai).
	ExamFrom, ExamTo time.Time
	// IssueFrom and IssueTo bound the certificates' issue dates, [IssueFrom, IssueTo) (an issue
	// date is stored as its calendar day's midnight UTC).
	IssueFrom, IssueTo time.Time
}

// StatsCell is one cell of the candidates' cube: the candidates of one occupation, level,
// jurisdiction, exam date, gender and age.
type StatsCell struct {
	OccupationCode   string
	OccupationName   string
	Level            int
	JurisdictionCode string
	ExamDate         time.Time
	Gender           *string
	Age              *int
	// Candidates registered, those with a result (assessed) and those who passed.
	Candidates, Assessed, Passed int64
}

// CandidateStatsCube counts the candidates of the sittings in the filter in one grouped query,
// by occupation, level, jurisdiction, exam date, gender and age (the non-identifying columns
// derived when a candidate is recorded). The service rolls the cube up into each breakdown; its
// size is bounded by the sittings times the genders and ages present, never by the candidates.
func (db *DB) CandidateStatsCube(ctx context.Context, f StatsFilter) ([]StatsCell, error) {
	q := db.WithContext(ctx).Table("session_candidates AS c").Joins("JOIN assessment_sessions AS s ON s.id = c.session_id").
		Select("s.occupation_code AS occupation_code, MAX(s.occupation_name) AS occupation_name, s.level AS level, "+
			"s.jurisdiction_code AS jurisdiction_code, s.exam_date AS exam_date, c.stat_gender AS gender, c.stat_age AS age, "+
			"COUNT(*) AS candidates, SUM(CASE WHEN c.result <> 'pending' THEN 1 ELSE 0 END) AS assessed, "+
			"SUM(CASE WHEN c.result = 'pass' THEN 1 ELSE 0 END) AS passed").
		Where("s.exam_date >= ? AND s.exam_date < ? AND s.status <> ?", f.ExamFrom.UTC(), f.ExamTo.UTC(), "cancelled").
		Group("s.occupation_code, s.level, s.jurisdiction_code, s.exam_date, c.stat_gender, c.stat_age")
	if f.Jurisdictions != nil {
		q = q.Where("s.jurisdiction_code IN ?", f.Jurisdictions)
	}
	var cells []StatsCell
	if err := q.Scan(&cells).Error; err != nil {
		return nil, fmt.Errorf("candidate statistics: %w", err)
	}
	return cells, nil
}

// HighSkillCell is the number of valid certificates of one level in one jurisdiction.
type HighSkillCell struct {
	Level            int
	JurisdictionCode string
	Certificates     int64
}

// HighSkillCounts counts the valid certificates of levels 3 to 1 (高技能人才) issued in the
// filter's period by enterprises in its jurisdictions, by level and jurisdiction, and the
// distinct holders among them (by the ID number's lookup hash: one person with two
// certificates counts once). Two grouped queries.
func (db *DB) HighSkillCounts(ctx context.Context, f StatsFilter) ([]HighSkillCell, int64, error) {
	base := func() *DB {
		q := db.WithContext(ctx).Table("certificates AS c").Joins("JOIN enterprises AS e ON e.id = c.enterprise_id").
			Where("c.status = ? AND c.level BETWEEN 1 AND 3 AND c.issue_date >= ? AND c.issue_date < ?",
				CertificateValid, f.IssueFrom.UTC(), f.IssueTo.UTC())
		if f.Jurisdictions != nil {
			q = q.Where("e.jurisdiction_code IN ?", f.Jurisdictions)
		}
		return &DB{DB: q, Dialect: db.Dialect}
	}
	var cells []HighSkillCell
	if err := base().Select("c.level AS level, e.jurisdiction_code AS jurisdiction_code, COUNT(*) AS certificates").
		Group("c.level, e.jurisdiction_code").Scan(&cells).Error; err != nil {
		return nil, 0, fmt.Errorf("high-skill statistics: %w", err)
	}
	var holders int64
	if err := base().Select("COUNT(DISTINCT c.id_lookup)").Scan(&holders).Error; err != nil {
		return nil, 0, fmt.Errorf("high-skill holders: %w", err)
	}
	return cells, holders, nil
}

// CandidateToDerive is a candidate whose statistics columns are still empty, with what deriving
// them needs.
type CandidateToDerive struct {
	ID       string
	IDCipher string
	IDLookup string
	IDMasked string
	ExamDate time.Time
}

// CandidatesToDerive returns up to limit candidates recorded without statistics columns, in ID
// order after the given ID (keyset paging, so a row that cannot be derived is passed over).
func (db *DB) CandidatesToDerive(ctx context.Context, after string, limit int) ([]CandidateToDerive, error) {
	var out []CandidateToDerive
	err := db.WithContext(ctx).Table("session_candidates AS c").Joins("JOIN assessment_sessions AS s ON s.id = c.session_id").
		Select("c.id AS id, c.id_cipher AS id_cipher, c.id_lookup AS id_lookup, c.id_masked AS id_masked, s.exam_date AS exam_date").
		Where("c.stat_gender IS NULL AND c.id > ?", after).Order("c.id").Limit(limit).Scan(&out).Error
	return out, err
}

// SetCandidateStats stores a candidate's derived gender and age, only if they are still empty.
func (db *DB) SetCandidateStats(ctx context.Context, id, gender string, age *int) error {
	return db.WithContext(ctx).Model(&SessionCandidate{}).Where("id = ? AND stat_gender IS NULL", id).
		Updates(map[string]any{"stat_gender": gender, "stat_age": age}).Error
}
