package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/workflows"
)

// The expert pool (评估专家库) is kept by the region's appraisal centre: each expert account
// gets an entry with its field, the occupations it evaluates, its employer (recusal) and whether
// it is active. Only active entries of active expert accounts are drawn. Every change of the pool
// signals the cases whose panel draw found too few experts, so they draw again at once.

// ExpertInput is one pool entry as the centre sends it (POST /api/v1/experts, the pool page,
// one row of the XLSX import). The account is named by user_id or username.
type ExpertInput struct {
	UserID      string   `json:"user_id"`
	Username    string   `json:"username"`
	Field       string   `json:"field"`
	Occupations []string `json:"occupations"`
	Employer    string   `json:"employer"`
	Active      bool     `json:"active"`
}

// ExpertPoolView is the pool as the centre sees it: every expert account, with its entry.
type ExpertPoolView struct {
	Items []models.PoolEntry `json:"items"`
	// Drawable counts the experts a draw may pick from (before recusal).
	Drawable int `json:"drawable"`
	// Waiting counts the cases waiting on the pool after a failed draw.
	Waiting int `json:"waiting"`
}

// ExpertSaveResult is the answer to a change of the pool.
type ExpertSaveResult struct {
	Saved []models.PoolEntry `json:"saved"`
	// Signalled counts the waiting cases told to draw again.
	Signalled int `json:"signalled"`
}

// maxExpertOccupations bounds the occupations of one expert.
const maxExpertOccupations = 50

// maxExpertImportRows bounds an import.
const maxExpertImportRows = 2000

// ExpertPool lists the pool (expert:read in the region).
func (s *Service) ExpertPool(ctx context.Context, a *Actor) (ExpertPoolView, error) {
	if err := s.Require(ctx, a, "expert", "read", models.RegionCode); err != nil {
		return ExpertPoolView{}, err
	}
	rows, err := s.db.ExpertRoster(ctx)
	if err != nil {
		return ExpertPoolView{}, err
	}
	v := ExpertPoolView{Items: rows}
	for _, r := range rows {
		if r.Drawable() {
			v.Drawable++
		}
	}
	waiting, err := s.db.CasesWaitingForExperts(ctx)
	if err != nil {
		return ExpertPoolView{}, err
	}
	v.Waiting = len(waiting)
	return v, nil
}

// SaveExpert adds an expert account to the pool or changes its entry (expert:manage in the
// region), audited as expert.save, and signals the waiting cases.
func (s *Service) SaveExpert(ctx context.Context, a *Actor, in ExpertInput) (ExpertSaveResult, error) {
	if err := s.Require(ctx, a, "expert", "manage", models.RegionCode); err != nil {
		return ExpertSaveResult{}, err
	}
	accounts, err := s.db.ExpertAccounts(ctx)
	if err != nil {
		return ExpertSaveResult{}, err
	}
	e, errs := s.checkExpert(in, "", accounts)
	if len(errs) > 0 {
		return ExpertSaveResult{}, Invalid(errs)
	}
	return s.saveExperts(ctx, a, []models.Expert{e}, "expert.save")
}

// ImportExperts reads pool entries from an XLSX workbook (first sheet; a header row, then one
// expert a row: 用户名, 专业领域, 职业（工种）代码, 工作单位, 状态) and saves them all in one
// transaction, audited as expert.import. Any faulty row refuses the whole file: nothing is saved
// and every fault is answered with its row number (field rows[N].column, N the sheet's row).
func (s *Service) ImportExperts(ctx context.Context, a *Actor, r io.Reader) (ExpertSaveResult, error) {
	if err := s.Require(ctx, a, "expert", "manage", models.RegionCode); err != nil {
		return ExpertSaveResult{}, err
	}
	rows, ferr := readExpertSheet(r)
	if ferr != nil {
		return ExpertSaveResult{}, Invalid(validate.Errors{*ferr})
	}
	accounts, err := s.db.ExpertAccounts(ctx)
	if err != nil {
		return ExpertSaveResult{}, err
	}
	var errs validate.Errors
	var es []models.Expert
	seen := map[string]int{}
	for _, row := range rows {
		prefix := fmt.Sprintf("rows[%d].", row.n)
		e, rowErrs := s.checkExpert(row.in, prefix, accounts)
		for i := range rowErrs {
			rowErrs[i].Message = fmt.Sprintf("第 %d 行：%s", row.n, rowErrs[i].Message)
		}
		errs = append(errs, rowErrs...)
		if len(rowErrs) > 0 {
			continue
		}
		if first, dup := seen[e.UserID]; dup {
			errs.Add(prefix+"username", "duplicate", fmt.Sprintf("第 %d 行：用户名 %s 与第 %d 行重复，每位专家只能出现一次。", row.n, row.in.Username, first))
			continue
		}
		seen[e.UserID] = row.n
		es = append(es, e)
	}
	if len(errs) > 0 {
		return ExpertSaveResult{}, Invalid(errs)
	}
	return s.saveExperts(ctx, a, es, "expert.import")
}

// checkExpert normalises one entry and checks it; prefix goes before the field names.
func (s *Service) checkExpert(in ExpertInput, prefix string, accounts map[string]string) (models.Expert, validate.Errors) {
	var errs validate.Errors
	e := models.Expert{UserID: strings.TrimSpace(in.UserID), Field: strings.TrimSpace(in.Field),
		Employer: strings.TrimSpace(in.Employer), Active: in.Active}
	name := strings.TrimSpace(in.Username)
	switch {
	case e.UserID == "" && name == "":
		errs.Add(prefix+"username", "required", "请填写专家的用户名（须先在用户管理中建立“评估专家”账号）。")
	case e.UserID == "":
		id, ok := accounts[name]
		if !ok {
			errs.Add(prefix+"username", "not_expert", "用户名 "+name+" 不是评估专家账号：请先在用户管理中建立角色为“评估专家”的账号。")
		}
		e.UserID = id
	default:
		if !slices.Contains(mapValues(accounts), e.UserID) {
			errs.Add(prefix+"user_id", "not_expert", "该用户不是评估专家账号：请先在用户管理中建立角色为“评估专家”的账号。")
		}
	}
	if e.Field == "" {
		errs.Add(prefix+"field", "required", "请填写专业领域。")
	}
	domain.ExpertField.Add(&errs, prefix+"field", e.Field)
	domain.ExpertEmployer.Add(&errs, prefix+"employer", e.Employer)
	var codes []string
	for _, c := range in.Occupations {
		c = strings.TrimSpace(c)
		if c == "" || slices.Contains(codes, c) {
			continue
		}
		if _, ok := s.apps.dict.Lookup(c); !ok {
			errs.Add(prefix+"occupations", "unknown_occupation", "职业（工种）代码 "+clipRunes(c, 32)+" 不在职业分类大典中，请核对。")
			continue
		}
		codes = append(codes, c)
	}
	if len(codes) > maxExpertOccupations {
		errs.Add(prefix+"occupations", "too_many", fmt.Sprintf("职业（工种）最多 %d 个。", maxExpertOccupations))
	}
	e.Occupations = strings.Join(codes, ",")
	return e, errs
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func clipRunes(v string, n int) string {
	r := []rune(v)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return v
}

// saveExperts writes the entries with one audit row each, then signals the waiting cases.
func (s *Service) saveExperts(ctx context.Context, a *Actor, es []models.Expert, action string) (ExpertSaveResult, error) {
	audit := make([]models.AuditEntry, 0, len(es))
	for _, e := range es {
		audit = append(audit, s.auditRow(ctx, a, models.AuditEntry{Action: action, ObjectType: "expert", ObjectID: e.UserID,
			JurisdictionCode: models.RegionCode,
			AfterState:       fmt.Sprintf("field=%s employer=%s occupations=%s active=%t", e.Field, e.Employer, e.Occupations, e.Active)}))
	}
	if err := s.db.SaveExperts(ctx, es, audit); err != nil {
		return ExpertSaveResult{}, err
	}
	res := ExpertSaveResult{}
	roster, err := s.db.ExpertRoster(ctx)
	if err != nil {
		return res, err
	}
	for _, r := range roster {
		if slices.ContainsFunc(es, func(e models.Expert) bool { return e.UserID == r.UserID }) {
			res.Saved = append(res.Saved, r)
		}
	}
	res.Signalled = s.ExpertPoolChanged(ctx, a.User.Username)
	return res, nil
}

// ExpertPoolChanged signals every case waiting on the pool after a failed draw, so that each
// draws again at once. A case that cannot be signalled now is logged: it draws again at its
// daily retry, or when the region asks for a draw. Returns how many were signalled.
func (s *Service) ExpertPoolChanged(ctx context.Context, by string) int {
	cs, err := s.db.CasesWaitingForExperts(ctx)
	if err != nil {
		s.log.ErrorContext(ctx, "list cases waiting for experts", "err", err)
		return 0
	}
	n := 0
	for _, c := range cs {
		if err := s.signal(ctx, c.WorkflowID, workflows.ExpertPoolChangedSignal, workflows.ExpertPoolChanged{By: by}); err != nil {
			s.log.WarnContext(ctx, "signal case of the expert pool change", "caseID", c.ID, "err", err)
			continue
		}
		n++
	}
	return n
}

// signal sends a signal to a workflow from a request.
func (s *Service) signal(ctx context.Context, workflowID, name string, arg any) error {
	return s.temporal.SignalWorkflow(ctx, workflowID, "", name, arg)
}

// expertRow is one row of an import.
type expertRow struct {
	n  int // the sheet's row number (1-based, the header is row 1)
	in ExpertInput
}

// expertColumns are the import's columns, in order.
var expertColumns = []string{"用户名", "专业领域", "职业（工种）代码", "工作单位", "状态"}

// readExpertSheet reads the rows of an import; a file it cannot read answers one error.
func readExpertSheet(r io.Reader) ([]expertRow, *validate.FieldError) {
	fail := badFile
	all, ferr := readUploadedSheet(r, "导入模板")
	if ferr != nil {
		return nil, ferr
	}
	if len(all) == 0 || strings.TrimSpace(cell(all[0], 0)) != expertColumns[0] {
		return nil, fail("第 1 行应为表头：" + strings.Join(expertColumns, "、") + "。请使用导入模板。")
	}
	var out []expertRow
	for i, rec := range all[1:] {
		n := i + 2
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue // blank line
		}
		if len(out) == maxExpertImportRows {
			return nil, fail(fmt.Sprintf("一次最多导入 %d 位专家，请分批导入。", maxExpertImportRows))
		}
		in := ExpertInput{Username: cell(rec, 0), Field: cell(rec, 1), Employer: cell(rec, 3), Active: true}
		in.Occupations = strings.FieldsFunc(cell(rec, 2), func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == ';' || r == ' ' })
		switch st := strings.TrimSpace(cell(rec, 4)); st {
		case "", "在库", "启用", "是":
		case "停用", "否":
			in.Active = false
		default:
			return nil, &validate.FieldError{Field: fmt.Sprintf("rows[%d].active", n), Code: "bad_status",
				Message: fmt.Sprintf("第 %d 行：状态应为“启用”或“停用”，而不是“%s”。", n, clipRunes(st, 16))}
		}
		out = append(out, expertRow{n: n, in: in})
	}
	if len(out) == 0 {
		return nil, fail("文件中没有专家（表头以下为空）。")
	}
	return out, nil
}

func cell(rec []string, i int) string {
	if i < len(rec) {
		return strings.TrimSpace(rec[i])
	}
	return ""
}

// ExpertTemplate is an empty import workbook with the header row and one example row.
func ExpertTemplate() ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	for i, h := range expertColumns {
		c, _ := excelize.CoordinatesToCellName(i+1, 1)
		if err := f.SetCellValue(sheet, c, h); err != nil {
			return nil, err
		}
	}
	example := []string{"expert_zhang", "机械制造", "6-18-01-01,6-18-01-02", "包头市某机械有限公司", "启用"}
	for i, v := range example {
		c, _ := excelize.CoordinatesToCellName(i+1, 2)
		if err := f.SetCellValue(sheet, c, v); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

var _ = errors.New
