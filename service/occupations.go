package service

import (
	"context"
	"strings"
	"sync"
	"time"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/occupations"
	"skillcert/models/validate"
)

// exclusionCache holds the region's exclusion list as a lookup; edits on this replica refresh it
// at once, others within exclusionTTL.
type exclusionCache struct {
	mu       sync.RWMutex
	excluded func(code string) bool
	loaded   time.Time
}

const exclusionTTL = 30 * time.Second

func (s *Service) refreshExclusions(ctx context.Context) error {
	rows, err := s.db.Exclusions(ctx)
	if err != nil {
		return err
	}
	list := make([]occupations.Exclusion, 0, len(rows))
	for _, r := range rows {
		list = append(list, occupations.Exclusion{Code: r.Code, Name: r.Name, Reason: r.Reason})
	}
	f := occupations.Excluder(s.apps.dict, list)
	s.excl.mu.Lock()
	s.excl.excluded, s.excl.loaded = f, time.Now()
	s.excl.mu.Unlock()
	return nil
}

// isExcluded reports whether an occupation code is on the region's exclusion list.
func (s *Service) isExcluded(code string) bool {
	s.excl.mu.RLock()
	f, stale := s.excl.excluded, time.Since(s.excl.loaded) > exclusionTTL
	s.excl.mu.RUnlock()
	if stale || f == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.refreshExclusions(ctx); err != nil {
			s.log.Warn("refresh occupation exclusions", "err", err)
		}
		s.excl.mu.RLock()
		f = s.excl.excluded
		s.excl.mu.RUnlock()
	}
	return f != nil && f(code)
}

type OccupationItem struct {
	occupations.Occupation
	Excluded   bool   `json:"excluded"`
	LevelsText string `json:"levels_text"`
}

// NoLevelsText is the level text of an occupation outside the skill-type groups, which has no
// levels (a professional occupation such as 汽车工程技术人员 found by searching 车工).
const NoLevelsText = "非技能类职业，不设等级"

// occupationLevelsText is the level range as forms write it, or NoLevelsText.
func occupationLevelsText(o occupations.Occupation) string {
	if !o.SkillType || o.Levels.IsZero() {
		return NoLevelsText
	}
	return o.Levels.String()
}

// SearchOccupations searches the dictionary by code prefix or name, marking the excluded ones.
func (s *Service) SearchOccupations(q string, limit int) []OccupationItem {
	out := []OccupationItem{}
	for _, o := range s.apps.dict.Search(strings.TrimSpace(q), limit) {
		out = append(out, OccupationItem{Occupation: o, Excluded: s.isExcluded(o.Code), LevelsText: occupationLevelsText(o)})
	}
	return out
}

type ExclusionBody struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// AddExclusion puts an occupation on the access-type exclusion list (occupation:manage), with
// its audit row, and answers with the code and name listed.
func (s *Service) AddExclusion(ctx context.Context, a *Actor, b ExclusionBody) (ExclusionBody, error) {
	if a == nil {
		return b, ErrUnauthenticated
	}
	if err := s.Require(ctx, a, "occupation", "manage", a.Domain); err != nil {
		return b, err
	}
	var errs validate.Errors
	b.Code = validate.NormalizeOccupationCode(b.Code)
	if b.Code != "" {
		o, ok := s.apps.dict.Lookup(b.Code)
		if !ok {
			errs.Add("code", "unknown", "职业分类大典中没有编码 "+b.Code+"。")
		} else if b.Name == "" {
			b.Name = o.Name
		}
	}
	if strings.TrimSpace(b.Name) == "" {
		errs.Add("name", "required", "请填写职业名称或编码。")
	}
	if strings.TrimSpace(b.Reason) == "" {
		errs.Add("reason", "required", "请说明列入准入类排除名单的依据。")
	}
	domain.OccupationName.Add(&errs, "name", strings.TrimSpace(b.Name))
	domain.Reason.Add(&errs, "reason", b.Reason)
	if len(errs) > 0 {
		return b, Invalid(errs)
	}
	err := s.db.AddExclusion(ctx, models.OccupationExclusion{Code: b.Code, Name: strings.TrimSpace(b.Name), Reason: b.Reason, CreatedBy: a.User.ID})
	if isConflict(err) {
		return b, Invalid(validate.Errors{{Field: "name", Code: "exists", Message: "该职业已在排除名单中。"}})
	}
	if err != nil {
		return b, err
	}
	_ = s.Audit(ctx, a, models.AuditEntry{Action: "occupation.exclude", ObjectType: "occupation", ObjectID: b.Name, AfterState: b.Code, Reason: b.Reason})
	if err := s.refreshExclusions(ctx); err != nil {
		return b, err
	}
	return b, nil
}

// RemoveExclusion takes an occupation off the exclusion list (occupation:manage), with its
// audit row.
func (s *Service) RemoveExclusion(ctx context.Context, a *Actor, name, reason string) error {
	if a == nil {
		return ErrUnauthenticated
	}
	if err := s.Require(ctx, a, "occupation", "manage", a.Domain); err != nil {
		return err
	}
	if err := s.db.RemoveExclusion(ctx, name); err != nil {
		return err
	}
	_ = s.Audit(ctx, a, models.AuditEntry{Action: "occupation.unexclude", ObjectType: "occupation", ObjectID: name, Reason: reason})
	return s.refreshExclusions(ctx)
}
