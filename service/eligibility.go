package service

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
)

// Eligibility by level (申报条件): the common template of the national standards
// (domain.CommonTemplate), with an occupation's overrides per level from eligibility_rules.

// eligibilityRules answers an occupation's rules: the template with its overrides.
func (s *Service) eligibilityRules(ctx context.Context, occupation string) (domain.EligibilityRules, error) {
	rows, err := s.db.EligibilityRules(ctx, occupation)
	if err != nil {
		return nil, err
	}
	over := map[int][]domain.EligibilityRoute{}
	for _, r := range rows {
		var routes []domain.EligibilityRoute
		if err := json.Unmarshal([]byte(r.RoutesJSON), &routes); err != nil {
			return nil, fmt.Errorf("eligibility rule %s level %d: %w", r.OccupationCode, r.Level, err)
		}
		over[r.Level] = routes
	}
	return domain.RulesFor(over), nil
}

// EligibilityLevel is one level's routes as an occupation applies them.
type EligibilityLevel struct {
	Level     int                       `json:"level"`
	LevelName string                    `json:"level_name"`
	Routes    []domain.EligibilityRoute `json:"routes"`
	// Texts describe the routes in the words of the standards.
	Texts []string `json:"texts"`
	// Override: the occupation's own rule replaces the template's; Source names its standard.
	Override bool   `json:"override"`
	Source   string `json:"source"`
}

// Eligibility answers an occupation's eligibility routes by level (五级 first), to anyone signed in.
func (s *Service) Eligibility(ctx context.Context, a *Actor, code string) ([]EligibilityLevel, error) {
	if a == nil {
		return nil, ErrUnauthenticated
	}
	code = validate.NormalizeOccupationCode(code)
	if _, ok := s.apps.dict.Lookup(code); !ok {
		return nil, ErrNotFound
	}
	rules, err := s.eligibilityRules(ctx, code)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.EligibilityRules(ctx, code)
	if err != nil {
		return nil, err
	}
	source := map[int]string{}
	for _, r := range rows {
		source[r.Level] = r.Source
	}
	out := []EligibilityLevel{}
	for l := 5; l >= 1; l-- {
		routes := rules[l]
		if routes == nil {
			routes = []domain.EligibilityRoute{}
		}
		el := EligibilityLevel{Level: l, LevelName: validate.Level(l).Name(), Routes: routes, Texts: []string{}}
		el.Source, el.Override = source[l]
		for _, r := range routes {
			el.Texts = append(el.Texts, r.Text())
		}
		out = append(out, el)
	}
	return out, nil
}

// EligibilityBody is an occupation's own routes for one level, replacing the template's; an
// empty list closes the level. Source names the standard, Reason is for the audit.
type EligibilityBody struct {
	Routes []domain.EligibilityRoute `json:"routes"`
	Source string                    `json:"source"`
	Reason string                    `json:"reason"`
}

// SetEligibility stores an occupation's override for one level (occupation:manage, the region),
// with its audit row.
func (s *Service) SetEligibility(ctx context.Context, a *Actor, code, level string, b EligibilityBody) ([]EligibilityLevel, error) {
	if a == nil {
		return nil, ErrUnauthenticated
	}
	if err := s.Require(ctx, a, "occupation", "manage", a.Domain); err != nil {
		return nil, err
	}
	code = validate.NormalizeOccupationCode(code)
	if _, ok := s.apps.dict.Lookup(code); !ok {
		return nil, ErrNotFound
	}
	l, err := strconv.Atoi(level)
	if err != nil || !validate.Level(l).Valid() {
		return nil, ErrNotFound
	}
	var errs validate.Errors
	if b.Routes == nil {
		errs.Add("routes", "required", "请填写申报条件；不设该等级时填写空列表。")
	}
	if len(b.Routes) > 10 {
		errs.Add("routes", "too_many", "申报条件不超过 10 种。")
	}
	for i, r := range b.Routes {
		if msg := domain.CheckRoute(l, r); msg != "" {
			errs.Add(fmt.Sprintf("routes[%d]", i), "invalid_route", msg+"。")
		}
	}
	b.Source = strings.TrimSpace(b.Source)
	if b.Source == "" {
		errs.Add("source", "required", "请注明依据的国家职业技能标准。")
	}
	domain.EligibilitySource.Add(&errs, "source", b.Source)
	domain.Reason.Add(&errs, "reason", b.Reason)
	if len(errs) > 0 {
		return nil, Invalid(errs)
	}
	raw, _ := json.Marshal(b.Routes)
	err = s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		if err := tx.SaveEligibilityRule(ctx, models.EligibilityRule{OccupationCode: code, Level: l, RoutesJSON: string(raw),
			Source: b.Source, UpdatedBy: a.User.ID, UpdatedAt: s.now().UTC()}); err != nil {
			return models.AuditEntry{}, err
		}
		return models.AuditEntry{Action: "occupation.eligibility", ObjectType: "occupation", ObjectID: code + "/" + level,
			AfterState: string(raw), Reason: b.Reason}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.Eligibility(ctx, a, code)
}
