package service

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/policies"
)

// LevelOf is the level of a jurisdiction code (empty for enterprise nodes and unknown codes).
func (s *Service) LevelOf(code string) string {
	level, _ := s.jcache.lookup(s, code)
	return level
}

// JurisdictionName is the name of a jurisdiction code (empty when unknown).
func (s *Service) JurisdictionName(code string) string {
	_, name := s.jcache.lookup(s, code)
	return name
}

// jurisdictionCache holds every jurisdiction's level and name: every page and inbox needs them.
// Administrators add and rename counties, so the cache is read again when it is a minute old,
// when a code is not in it (at most every two seconds), and at once after such a change on
// this replica (invalidate).
type jurisdictionCache struct {
	mu            sync.RWMutex
	levels, names map[string]string
	loaded        time.Time
	lastMiss      time.Time
}

func (jc *jurisdictionCache) lookup(s *Service, code string) (level, name string) {
	jc.mu.RLock()
	level, known := jc.levels[code]
	name = jc.names[code]
	stale := time.Since(jc.loaded) > time.Minute
	recentMiss := time.Since(jc.lastMiss) < 2*time.Second
	jc.mu.RUnlock()
	if (known && !stale) || (!known && !stale && recentMiss) {
		return level, name
	}
	jc.mu.Lock()
	defer jc.mu.Unlock()
	if level, known = jc.levels[code]; known && time.Since(jc.loaded) <= time.Minute {
		return level, jc.names[code] // another request has just read them
	}
	if !known {
		if time.Since(jc.lastMiss) < 2*time.Second && time.Since(jc.loaded) <= time.Minute {
			return "", ""
		}
		jc.lastMiss = time.Now()
	}
	js, err := s.db.Jurisdictions(context.Background())
	if err != nil {
		s.log.Error("load jurisdictions", "err", err)
		return level, name
	}
	jc.levels, jc.names, jc.loaded = make(map[string]string, len(js)), make(map[string]string, len(js)), time.Now()
	for _, j := range js {
		jc.levels[j.Code], jc.names[j.Code] = j.Level, j.Name
	}
	return jc.levels[code], jc.names[code]
}

// invalidate makes the next lookup read the jurisdictions again.
func (jc *jurisdictionCache) invalidate() {
	jc.mu.Lock()
	jc.loaded = time.Time{}
	jc.mu.Unlock()
}

func ParseDate(v string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.ParseInLocation("2006-01-02", v, loc)
}

// ListJurisdictions lists the jurisdictions of the subtree of under (empty: the caller's own
// domain), where the caller needs jurisdiction:read.
func (s *Service) ListJurisdictions(ctx context.Context, a *Actor, under string) ([]models.Jurisdiction, error) {
	if under == "" && a != nil {
		under = a.Domain
	}
	if err := s.Require(ctx, a, "jurisdiction", "read", under); err != nil {
		return nil, err
	}
	all, err := s.db.Jurisdictions(ctx)
	if err != nil {
		return nil, err
	}
	in := map[string]bool{}
	for _, code := range s.SubtreeOf(under) {
		in[code] = true
	}
	out := []models.Jurisdiction{}
	for _, j := range all {
		if in[j.Code] {
			out = append(out, j)
		}
	}
	return out, nil
}

// Timing of the enforcer's own tree reloads (policies.TreeRefresh): a question about a
// jurisdiction this replica does not know reloads at most every treeMinGap, and a tree older
// than treeMaxAge is reloaded on the next question, so a county added on another replica shows
// in this one's subtree lists within that time.
const (
	treeMinGap      = 2 * time.Second
	treeMaxAge      = time.Minute
	treeLoadTimeout = 5 * time.Second
)

// CountyRequest is the body of POST /api/v1/jurisdictions.
type CountyRequest struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	ParentCode string `json:"parent_code"`
	// AreaCode is the landline area code; empty means the parent's.
	AreaCode string `json:"area_code"`
}

// CountyPatch is the body of PATCH /api/v1/jurisdictions/:code; absent fields stay.
type CountyPatch struct {
	Name *string `json:"name"`
	// AreaCode, when present but empty, goes back to the parent's.
	AreaCode *string `json:"area_code"`
}

var (
	// divisionCodeRe is a GB/T 2260 code in Inner Mongolia (province 15).
	divisionCodeRe = regexp.MustCompile(`^15[0-9]{4}$`)
	// areaCodeRe is a landline area code without its number: 0 and two or three digits.
	areaCodeRe = regexp.MustCompile(`^0[0-9]{2,3}$`)
)

// maxJurisdictionName is the length of jurisdictions.name.
const maxJurisdictionName = 64

// CreateCounty adds a county-level jurisdiction under a league/city, with its audit row in the
// same transaction. The caller needs jurisdiction:manage in its own domain and in the parent's.
// The county is authorized under its league as soon as it is returned.
func (s *Service) CreateCounty(ctx context.Context, a *Actor, req CountyRequest) (models.Jurisdiction, error) {
	if a == nil {
		return models.Jurisdiction{}, ErrUnauthenticated
	}
	if err := s.Require(ctx, a, "jurisdiction", "manage", a.Domain); err != nil {
		return models.Jurisdiction{}, err
	}
	in, parent, errs, err := s.checkCounty(ctx, req)
	if err != nil {
		return models.Jurisdiction{}, err
	}
	if len(errs) > 0 {
		return models.Jurisdiction{}, Invalid(errs)
	}
	if err := s.Require(ctx, a, "jurisdiction", "manage", parent.Code); err != nil {
		return models.Jurisdiction{}, err
	}
	j := models.Jurisdiction{Code: in.Code, Name: in.Name, ParentCode: &parent.Code, AreaCode: in.AreaCode}
	audit := s.auditRow(ctx, a, models.AuditEntry{Action: "jurisdiction.create", JurisdictionCode: in.Code,
		AfterState: "name=" + in.Name + " parent=" + parent.Code + " area_code=" + in.AreaCode})
	switch err := s.db.CreateCounty(ctx, &j, &audit); {
	case errors.Is(err, models.ErrJurisdictionCodeTaken):
		return models.Jurisdiction{}, Invalid(validate.Errors{{Field: "code", Code: "taken", Message: "代码 " + in.Code + " 已被使用（可能刚由他人新增），请核对。"}})
	case errors.Is(err, models.ErrJurisdictionNameTaken):
		return models.Jurisdiction{}, Invalid(validate.Errors{nameTaken(parent, in.Name)})
	case err != nil:
		return models.Jurisdiction{}, err
	}
	// The row is committed: a failed reload is logged, not answered, and the enforcer reloads
	// by itself at the first question about the new code.
	if err := s.reloadTree(ctx); err != nil {
		s.log.ErrorContext(ctx, "install jurisdiction tree", "jurisdiction", j.Code, "err", err)
	}
	return j, nil
}

// checkCounty normalises a new county and checks every field, returning the normalised
// request, the parent (when it exists) and the field errors. err is a database failure.
func (s *Service) checkCounty(ctx context.Context, req CountyRequest) (CountyRequest, models.Jurisdiction, validate.Errors, error) {
	var errs validate.Errors
	in := CountyRequest{Code: strings.TrimSpace(req.Code), Name: strings.TrimSpace(req.Name),
		ParentCode: strings.TrimSpace(req.ParentCode), AreaCode: strings.TrimSpace(req.AreaCode)}
	js, err := s.db.Jurisdictions(ctx)
	if err != nil {
		return in, models.Jurisdiction{}, nil, err
	}
	byCode := make(map[string]models.Jurisdiction, len(js))
	for _, j := range js {
		byCode[j.Code] = j
	}

	parent, parentOK := byCode[in.ParentCode]
	switch {
	case in.ParentCode == "":
		errs.Add("parent_code", "required", "请选择所属盟市。")
	case !parentOK:
		errs.Add("parent_code", "unknown_jurisdiction", "所选盟市不存在，请从列表中选择。")
	case parent.Level == models.LevelLeague && parent.ReportsDirectly:
		errs.Add("parent_code", "reports_directly", "“"+parent.Name+"”是自治区直接联系的县级市，本身相当于旗县（市、区），其下不再设旗县（市、区）。")
		parentOK = false
	case parent.Level != models.LevelLeague:
		errs.Add("parent_code", "not_league", "“"+parent.Name+"”不是盟市。旗县（市、区）只能设在盟市之下，请选择所属盟市。")
		parentOK = false
	}

	switch old, taken := byCode[in.Code]; {
	case in.Code == "":
		errs.Add("code", "required", "请填写行政区划代码。")
	case !divisionCodeRe.MatchString(in.Code):
		errs.Add("code", "bad_code", "行政区划代码应为 6 位数字，以内蒙古自治区的省级代码 15 开头（GB/T 2260），如 150302。")
	case taken:
		errs.Add("code", "taken", "代码 "+in.Code+" 已是“"+old.Name+"”的代码，请核对。")
	case parentOK && in.Code[:4] != parent.Code[:4]:
		errs.Add("code", "outside_block", fmt.Sprintf("代码 %s 不在%s（%s）的代码段内：按 GB/T 2260，盟市所辖旗县（市、区）代码的前四位与盟市代码相同，%s所辖应为 %sxx。",
			in.Code, parent.Name, parent.Code, parent.Name, parent.Code[:4]))
	}

	checkJurisdictionName(&errs, in.Name)
	if parentOK && in.Name != "" {
		for _, j := range js {
			if j.Parent() == parent.Code && j.Name == in.Name {
				errs = append(errs, nameTaken(parent, in.Name))
				break
			}
		}
	}

	switch {
	case in.AreaCode == "" && parentOK:
		in.AreaCode = parent.AreaCode
	case in.AreaCode != "" && !areaCodeRe.MatchString(in.AreaCode):
		errs.Add("area_code", "bad_area_code", "长途区号应为以 0 开头的 3 至 4 位数字，如 0473；不填则沿用所属盟市的区号。")
	}
	return in, parent, errs, nil
}

// checkJurisdictionName adds the field error of a name that is empty, too long or not one line.
func checkJurisdictionName(errs *validate.Errors, name string) {
	switch {
	case name == "":
		errs.Add("name", "required", "请填写名称，如 海勃湾区、达拉特旗。")
	case utf8.RuneCountInString(name) > maxJurisdictionName:
		errs.Add("name", "too_long", fmt.Sprintf("名称不超过 %d 个字。", maxJurisdictionName))
	case strings.ContainsFunc(name, unicode.IsControl):
		errs.Add("name", "bad_name", "名称不能含换行、制表符等控制字符。")
	}
}

// nameTaken is the field error of a name another jurisdiction under parent already has.
func nameTaken(parent models.Jurisdiction, name string) validate.FieldError {
	return validate.FieldError{Field: "name", Code: "taken", Message: parent.Name + "已有名为“" + name + "”的下级行政区划，同一盟市内名称不能重复。"}
}

// CountyUpdate is the input of UpdateCounty: the county and what changes.
type CountyUpdate struct {
	Code string
	CountyPatch
}

// UpdateCounty renames a county-level jurisdiction and/or changes its area code, with its
// audit row in the same transaction. The caller needs jurisdiction:manage in its own domain and
// in the county's league. Codes never change: they are what cases, users and the audit log
// refer to.
func (s *Service) UpdateCounty(ctx context.Context, a *Actor, in CountyUpdate) (models.Jurisdiction, error) {
	if a == nil {
		return models.Jurisdiction{}, ErrUnauthenticated
	}
	if err := s.Require(ctx, a, "jurisdiction", "manage", a.Domain); err != nil {
		return models.Jurisdiction{}, err
	}
	if in.Name == nil && in.AreaCode == nil {
		return models.Jurisdiction{}, BadRequest("nothing_to_change", "请提供要修改的 name 或 area_code。")
	}
	j, err := s.db.JurisdictionByCode(ctx, in.Code)
	if err != nil {
		return models.Jurisdiction{}, err
	}
	scope := j.Parent()
	if scope == "" {
		scope = j.Code // the region
	}
	if err := s.Require(ctx, a, "jurisdiction", "manage", scope); err != nil {
		return models.Jurisdiction{}, err
	}
	if j.Level != models.LevelCounty {
		return models.Jurisdiction{}, Invalid(validate.Errors{{Field: "code", Code: "not_county",
			Message: "只能修改旗县（市、区）；自治区和盟市的名称、区号随系统预置，不能在此修改。"}})
	}
	parent, err := s.db.JurisdictionByCode(ctx, j.Parent())
	if err != nil {
		return models.Jurisdiction{}, err
	}
	var errs validate.Errors
	var ch models.CountyChange
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		checkJurisdictionName(&errs, name)
		ch.Name = &name
	}
	if in.AreaCode != nil {
		area := strings.TrimSpace(*in.AreaCode)
		switch {
		case area == "":
			area = parent.AreaCode
		case !areaCodeRe.MatchString(area):
			errs.Add("area_code", "bad_area_code", "长途区号应为以 0 开头的 3 至 4 位数字，如 0473；留空则改回所属盟市的区号。")
		}
		ch.AreaCode = &area
	}
	if len(errs) > 0 {
		return models.Jurisdiction{}, Invalid(errs)
	}
	audit := s.auditRow(ctx, a, models.AuditEntry{Action: "jurisdiction.update", JurisdictionCode: j.Code})
	_, after, err := s.db.UpdateCounty(ctx, j.Code, ch, &audit)
	switch {
	case errors.Is(err, models.ErrJurisdictionNameTaken):
		return models.Jurisdiction{}, Invalid(validate.Errors{nameTaken(parent, *ch.Name)})
	case err != nil:
		return models.Jurisdiction{}, err
	}
	return after, nil
}

// PrecheckInput is the input of SetPrecheck; PrecheckSetting its answer.
type PrecheckInput struct {
	Code    string
	Enabled bool
	Reason  string
}

type PrecheckSetting struct {
	Code    string `json:"code"`
	Enabled bool   `json:"precheck_enabled"`
}

// SetPrecheck lets a league decide whether its counties pre-check applications first
// (jurisdiction:configure in the league), with its audit row in the same transaction. It
// applies to applications submitted from then on.
func (s *Service) SetPrecheck(ctx context.Context, a *Actor, in PrecheckInput) (PrecheckSetting, error) {
	if err := s.Require(ctx, a, "jurisdiction", "configure", in.Code); err != nil {
		return PrecheckSetting{}, err
	}
	err := s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		if err := tx.SetPrecheck(ctx, in.Code, in.Enabled); err != nil {
			if errors.Is(err, models.ErrNotFound) {
				return models.AuditEntry{}, Invalid(validate.Errors{{Field: "code", Code: "not_league", Message: "只有盟市可以设置旗县初审。"}})
			}
			return models.AuditEntry{}, err
		}
		return models.AuditEntry{Action: "jurisdiction.precheck", ObjectType: "jurisdiction", ObjectID: in.Code,
			AfterState: strconv.FormatBool(in.Enabled), Reason: in.Reason, JurisdictionCode: in.Code}, nil
	})
	if err != nil {
		return PrecheckSetting{}, err
	}
	return PrecheckSetting{Code: in.Code, Enabled: in.Enabled}, nil
}

// reloadTree installs the jurisdictions table's tree in the enforcer, so that a county just
// added is authorized under its league at once on this replica.
func (s *Service) reloadTree(ctx context.Context) error {
	parents, err := s.db.JurisdictionParents(ctx)
	if err != nil {
		return fmt.Errorf("load jurisdictions: %w", err)
	}
	tree, err := policies.NewTree(parents)
	if err != nil {
		return err
	}
	s.jcache.invalidate() // the names and levels pages show
	return s.enf.SetTree(tree)
}
