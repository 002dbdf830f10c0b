package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
)

// Sittings in bulk: the score grid (every candidate's scores in one form), the XLSX export of
// candidates and scores and the two imports (candidates; scores), and the removal of a
// candidate registered by mistake. Every bulk write checks every row first and answers all
// refusals at once; nothing is saved while any row is refused.

// SittingCandidate is a candidate as a sitting shows it: with its status in one word
// (domain.CandidateStatus): 未录入成绩, 待报送, 待审核, 退回更正, 通过, 未通过, 已发证 ….
type SittingCandidate struct {
	models.SessionCandidate
	Status     string `json:"status"`
	StatusName string `json:"status_name"`
}

func sittingCandidates(ss models.AssessmentSession, cs []models.SessionCandidate) []SittingCandidate {
	out := make([]SittingCandidate, len(cs))
	for i, c := range cs {
		st := domain.CandidateStatus(ss.Status, c.Result, c.AuditStatus, c.CertificateNumber)
		out[i] = SittingCandidate{SessionCandidate: c, Status: st, StatusName: domain.CandidateStatusNames[st]}
	}
	return out
}

// scoresEditable reports whether a candidate's scores may change in the sitting's state: while
// the sitting is open, and for a candidate the centre returned while it is corrected.
func scoresEditable(ss models.AssessmentSession, c models.SessionCandidate) bool {
	return ss.Status == models.SessionOpen || (ss.Status == models.SessionCorrecting && c.AuditStatus == "rejected")
}

// checkScores applies the pass rule (domain.ScoreResult) and the limits of the recorded texts.
func checkScores(level int, in ScoresBody) (string, validate.Errors) {
	result, errs := domain.ScoreResult(level, domain.Scores{Theory: in.Theory, Skill: in.Skill, Review: in.Review})
	domain.Ethics.Add(&errs, "ethics", strings.TrimSpace(in.Ethics))
	domain.Performance.Add(&errs, "performance", strings.TrimSpace(in.Performance))
	return result, errs
}

// RequireSittingManage refuses a caller who may not manage the sitting (assessment:manage in
// its enterprise's domain), before an upload for it is read.
func (s *Service) RequireSittingManage(ctx context.Context, a *Actor, sessionID string) error {
	_, err := s.sittingInScope(ctx, a, sessionID, "assessment", "manage")
	return err
}

// RemoveCandidate removes a candidate registered by mistake, with the reason, while the sitting
// is open (before its results are submitted); afterwards the results are the centre's to audit
// and a candidate can no longer disappear from them. The removal and its audit row (with the
// candidate's name, never the ID number) are stored together.
func (s *Service) RemoveCandidate(ctx context.Context, a *Actor, sessionID, candidateID, reason string) (models.SessionCandidate, error) {
	ss, err := s.sittingInScope(ctx, a, sessionID, "assessment", "manage")
	if err != nil {
		return models.SessionCandidate{}, err
	}
	cand, err := s.db.CandidateByID(ctx, candidateID)
	if err != nil || cand.SessionID != ss.ID {
		return models.SessionCandidate{}, ErrNotFound
	}
	if ss.Status != models.SessionOpen {
		return models.SessionCandidate{}, errCandidateLocked
	}
	reason = strings.TrimSpace(reason)
	var errs validate.Errors
	if reason == "" {
		errs.Add("reason", "required", "请填写移除考生的原因，如“误登记，非本场次考生”。")
	} else {
		domain.Reason.Add(&errs, "reason", reason)
	}
	if len(errs) > 0 {
		return models.SessionCandidate{}, Invalid(errs)
	}
	err = s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		e := models.AuditEntry{Action: "session.candidate_remove", ObjectType: "session", ObjectID: ss.ID, BeforeState: cand.ID + " " + cand.Name,
			Reason: reason, JurisdictionCode: ss.JurisdictionCode}
		return e, tx.RemoveOpenCandidate(ctx, ss.ID, cand.ID)
	})
	if errors.Is(err, models.ErrConflict) {
		return models.SessionCandidate{}, errCandidateLocked
	}
	if err != nil {
		return models.SessionCandidate{}, err
	}
	if cand.PhotoKey != "" {
		_ = s.att.store.Delete(context.WithoutCancel(ctx), cand.PhotoKey)
	}
	return cand, nil
}

var errCandidateLocked = NewError(http.StatusConflict, "candidate_locked", "认定结果已报送审核，不能再移除考生；考生信息有误的，请在审核退回后更正。")

// GridRow is one candidate's row of the score grid.
type GridRow struct {
	CandidateID string `json:"candidate_id"`
	ScoresBody
	// label names the row in messages (the candidate's name, or an import's row number).
	label string
	// path is the row's field prefix ("scores[2]." or "rows[5].").
	path string
}

// RecordScoresGrid records the scores of several candidates of a sitting at once (the score
// grid, PUT /sessions/{id}/scores): every row is checked first, all refusals answered together
// (each under scores[i].field, the message naming the candidate), and nothing is saved while
// any is refused. A row left wholly blank for a candidate without scores is skipped, and so is
// a row that changes nothing; the others and their audit rows are stored in one transaction.
func (s *Service) RecordScoresGrid(ctx context.Context, a *Actor, sessionID string, rows []GridRow) ([]models.SessionCandidate, error) {
	ss, err := s.sittingInScope(ctx, a, sessionID, "assessment", "manage")
	if err != nil {
		return nil, err
	}
	for i := range rows {
		rows[i].path = fmt.Sprintf("scores[%d].", i)
	}
	return s.recordRows(ctx, a, ss, rows, false)
}

// scoreChange is a checked row of scores to store.
type scoreChange struct {
	cand   models.SessionCandidate
	sc     models.Scores
	result string
}

// checkRows checks rows of scores against the sitting's candidates and the pass rule, every row
// (no early stop), and answers the changes to store or the refusals.
func (s *Service) checkRows(ctx context.Context, ss models.AssessmentSession, rows []GridRow) ([]scoreChange, validate.Errors, error) {
	cands, err := s.db.Candidates(ctx, ss.ID)
	if err != nil {
		return nil, nil, err
	}
	byID := map[string]models.SessionCandidate{}
	for _, c := range cands {
		byID[c.ID] = c
	}
	var errs validate.Errors
	var changes []scoreChange
	seen := map[string]string{}
	for _, r := range rows {
		c, ok := byID[r.CandidateID]
		label := r.label
		if label == "" {
			label = c.Name
		}
		if !ok {
			errs.Add(r.path+"candidate_id", "unknown_candidate", label+"：不是本场次的考生。")
			continue
		}
		if first, dup := seen[c.ID]; dup {
			errs.Add(r.path+"candidate_id", "duplicate", fmt.Sprintf("%s：与%s是同一考生，每名考生只能出现一次。", label, first))
			continue
		}
		seen[c.ID] = label
		sc := models.Scores{Theory: r.Theory, Skill: r.Skill, Review: r.Review, Notes: strings.TrimSpace(r.Notes),
			Ethics: strings.TrimSpace(r.Ethics), Performance: strings.TrimSpace(r.Performance)}
		blank := sc.Theory == nil && sc.Skill == nil && sc.Review == nil && sc.Notes == "" && sc.Ethics == "" && sc.Performance == ""
		if (blank && c.Result == "pending") || sameScores(c, sc) {
			continue // not entered yet, or nothing changed
		}
		if !scoresEditable(ss, c) {
			errs.Add(r.path+"candidate_id", "scores_locked", label+"：结果已报送审核，只有被退回的考生可以更正成绩。")
			continue
		}
		result, rowErrs := checkScores(ss.Level, r.ScoresBody)
		for _, fe := range rowErrs {
			errs.Add(r.path+fe.Field, fe.Code, label+"："+fe.Message)
		}
		if len(rowErrs) == 0 {
			changes = append(changes, scoreChange{cand: c, sc: sc, result: result})
		}
	}
	return changes, errs, nil
}

// scoresOpen refuses score changes to a sitting whose results are with the centre or done, and
// to an enterprise whose pilot is not in force.
func (s *Service) scoresOpen(ctx context.Context, ss models.AssessmentSession) error {
	if ss.Status != models.SessionOpen && ss.Status != models.SessionCorrecting {
		return NewError(http.StatusConflict, "scores_locked", "该场次结果已报送审核，只有被退回的考生可以更正成绩。")
	}
	return s.pilotInForce(ctx, ss)
}

func (s *Service) recordRows(ctx context.Context, a *Actor, ss models.AssessmentSession, rows []GridRow, imported bool) ([]models.SessionCandidate, error) {
	if len(rows) == 0 {
		return nil, Invalid(validate.Errors{{Field: "scores", Code: "required", Message: "没有要保存的成绩。"}})
	}
	if err := s.scoresOpen(ctx, ss); err != nil {
		return nil, err
	}
	changes, errs, err := s.checkRows(ctx, ss, rows)
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, Invalid(errs)
	}
	return s.saveRows(ctx, a, ss, changes, imported)
}

// saveRows stores checked scores and an audit row for each candidate, in one transaction.
func (s *Service) saveRows(ctx context.Context, a *Actor, ss models.AssessmentSession, changes []scoreChange, imported bool) ([]models.SessionCandidate, error) {
	action := "session.scores"
	if imported {
		action = "session.scores_import"
	}
	out := []models.SessionCandidate{}
	err := s.db.Tx(ctx, func(tx *models.DB) error {
		for _, ch := range changes {
			saved, err := tx.SetScores(ctx, ch.cand.ID, ch.sc, ch.result)
			if err != nil {
				return err
			}
			out = append(out, saved)
			if err := s.auditIn(ctx, tx, a, models.AuditEntry{Action: action, ObjectType: "candidate", ObjectID: ch.cand.ID, AfterState: ch.result,
				JurisdictionCode: ss.JurisdictionCode}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func sameScores(c models.SessionCandidate, sc models.Scores) bool {
	eq := func(a, b *int) bool { return (a == nil && b == nil) || (a != nil && b != nil && *a == *b) }
	return c.Result != "pending" && eq(c.Theory, sc.Theory) && eq(c.Skill, sc.Skill) && eq(c.Review, sc.Review) &&
		c.Notes == sc.Notes && c.Ethics == sc.Ethics && c.Performance == sc.Performance
}

// The sitting workbook's columns: the candidates' registration (the candidate import reads
// these), then the scores (the score import reads these, finding the candidate by ID number —
// whole or masked as exported — and name), then what the export adds.
const (
	colNo          = "序号"
	colName        = "姓名"
	colIDType      = "证件类型"
	colIDNumber    = "证件号码"
	colGender      = "性别"
	colEmployee    = "本企业职工"
	colYears       = "从事本职业（相关职业）工作年限"
	colHeldLevel   = "已取得证书等级"
	colHeldYear    = "取证年份"
	colEducation   = "学历"
	colApprentice  = "学徒期满"
	colTheory      = "理论知识考试"
	colSkill       = "操作技能考核"
	colReview      = "综合评审"
	colEthics      = "品德表现"
	colPerformance = "业绩、创新成果"
	colNotes       = "备注"
	colResult      = "成绩结果"
	colStatus      = "认定状态"
	colCertificate = "证书编号"
)

// sittingColumns are the workbook's columns for a sitting of level (综合评审 for 二级 and 一级 only).
func sittingColumns(level int) []string {
	cols := []string{colNo, colName, colIDType, colIDNumber, colGender, colEmployee, colYears, colHeldLevel, colHeldYear, colEducation,
		colApprentice, colTheory, colSkill}
	if domain.NeedsReview(level) {
		cols = append(cols, colReview)
	}
	return append(cols, colEthics, colPerformance, colNotes, colResult, colStatus, colCertificate)
}

// maxSittingImportRows bounds a sitting import.
const maxSittingImportRows = 1000

// SittingWorkbook exports a sitting's candidates and scores as XLSX (ID numbers masked) to
// whoever may read the sitting; for a sitting without candidates it is the blank import
// template. The filename names the occupation, level and exam date.
func (s *Service) SittingWorkbook(ctx context.Context, a *Actor, sessionID string) ([]byte, string, error) {
	sd, err := s.ReadSitting(ctx, a, sessionID)
	if err != nil {
		return nil, "", err
	}
	f := excelize.NewFile()
	defer f.Close()
	sheet := "考生和成绩"
	if err := f.SetSheetName(f.GetSheetName(0), sheet); err != nil {
		return nil, "", err
	}
	cols := sittingColumns(sd.Level)
	set := func(col, row int, v any) error {
		c, _ := excelize.CoordinatesToCellName(col, row)
		return f.SetCellValue(sheet, c, v)
	}
	for i, h := range cols {
		if err := set(i+1, 1, h); err != nil {
			return nil, "", err
		}
	}
	yesNo := map[bool]string{true: "是", false: "否"}
	for r, c := range sd.Candidates {
		held := "未取得"
		if validate.Level(c.HeldLevel).Valid() {
			held = validate.Level(c.HeldLevel).ShortName()
		}
		heldYear := ""
		if c.HeldYear > 0 {
			heldYear = strconv.Itoa(c.HeldYear)
		}
		score := func(v *int) any {
			if v == nil {
				return ""
			}
			return *v
		}
		values := map[string]any{colNo: r + 1, colName: c.Name, colIDType: domain.IDTypeName(c.IDType), colIDNumber: c.IDMasked,
			colGender: domain.GenderNames[c.Gender], colEmployee: yesNo[c.Employee], colYears: c.YearsInOccupation, colHeldLevel: held,
			colHeldYear: heldYear, colEducation: domain.EducationNames[c.Education], colApprentice: yesNo[c.Apprenticeship],
			colTheory: score(c.Theory), colSkill: score(c.Skill), colReview: score(c.Review), colEthics: c.Ethics, colPerformance: c.Performance,
			colNotes: c.Notes, colResult: domain.CandidateResultNames[c.Result],
			colStatus: c.StatusName, colCertificate: c.CertificateNumber}
		for i, h := range cols {
			if err := set(i+1, r+2, values[h]); err != nil {
				return nil, "", err
			}
		}
	}
	_ = f.SetColWidth(sheet, "A", "A", 6)
	_ = f.SetColWidth(sheet, "B", "D", 20)
	_ = f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, "", err
	}
	name := fmt.Sprintf("考生和成绩-%s-%s-%s.xlsx", sd.OccupationName, validate.Level(sd.Level).ShortName(), sd.ExamDate.In(s.cfg.Location).Format("20060102"))
	return buf.Bytes(), name, nil
}

// sheetRow is a row of an import: its number on the sheet and its cells by column name.
type sheetRow struct {
	n     int
	cells map[string]string
}

func (r sheetRow) get(col string) string { return strings.TrimSpace(r.cells[col]) }

// readSittingSheet reads an import's first sheet: the header row names the columns (any order;
// the export's own file is accepted), need are the columns it must have. A file it cannot read
// answers one error under "file".
func readSittingSheet(r io.Reader, need []string) ([]sheetRow, *validate.FieldError) {
	fail := badFile
	all, ferr := readUploadedSheet(r, "本页下载的表格")
	if ferr != nil {
		return nil, ferr
	}
	if len(all) == 0 {
		return nil, fail("第一个工作表是空的，请使用本页下载的表格。")
	}
	index := map[string]int{}
	for i, h := range all[0] {
		index[strings.TrimSpace(h)] = i
	}
	var missing []string
	for _, col := range need {
		if _, ok := index[col]; !ok {
			missing = append(missing, "“"+col+"”")
		}
	}
	if len(missing) > 0 {
		return nil, fail("第 1 行（表头）缺少列：" + strings.Join(missing, "、") + "。请使用本页下载的表格。")
	}
	var out []sheetRow
	for i, rec := range all[1:] {
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue // blank line
		}
		if len(out) == maxSittingImportRows {
			return nil, fail(fmt.Sprintf("一次最多导入 %d 行，请分批导入。", maxSittingImportRows))
		}
		row := sheetRow{n: i + 2, cells: map[string]string{}}
		for col, j := range index {
			row.cells[col] = cell(rec, j)
		}
		out = append(out, row)
	}
	if len(out) == 0 {
		return nil, fail("文件中没有数据（表头以下为空）。")
	}
	return out, nil
}

// rowFault is a refusal of an import row: under rows[N].field, the message naming the row and
// the column.
func rowFault(errs *validate.Errors, n int, field, col, code, msg string) {
	where := fmt.Sprintf("第 %d 行", n)
	if col != "" {
		where += "“" + col + "”"
	}
	errs.Add(fmt.Sprintf("rows[%d].%s", n, field), code, where+"："+msg)
}

// candidateColumnOf names the column of a candidate field in the workbook.
var candidateColumnOf = map[string]string{"name": colName, "id_type": colIDType, "id_number": colIDNumber, "gender": colGender,
	"employee": colEmployee, "years_in_occupation": colYears, "held_level": colHeldLevel, "held_year": colHeldYear,
	"education": colEducation, "apprenticeship": colApprentice, "eligibility": "", "theory": colTheory, "skill": colSkill,
	"review": colReview, "ethics": colEthics, "performance": colPerformance, "notes": colNotes, "candidate_id": ""}

// ImportCandidates registers the candidates of an XLSX workbook (the sitting's own export or
// template: 姓名, 证件类型, 证件号码, 性别, 本企业职工, 工作年限, 已取得证书等级, 取证年份, 学历,
// 学徒期满) in an open sitting. Each row is checked as RegisterCandidate checks one candidate —
// the eligibility conditions of the sitting's level included — and against the other rows; any
// refused row refuses the file: nothing is registered and every refusal is answered with its
// row number (field rows[N].field). The candidates and their audit rows are stored in one
// transaction.
func (s *Service) ImportCandidates(ctx context.Context, a *Actor, sessionID string, r io.Reader) ([]models.SessionCandidate, error) {
	ss, err := s.sittingInScope(ctx, a, sessionID, "assessment", "manage")
	if err != nil {
		return nil, err
	}
	if ss.Status != models.SessionOpen {
		return nil, NewError(http.StatusConflict, "session_closed", "该场次已报送结果，不能再登记考生。")
	}
	if err := s.pilotInForce(ctx, ss); err != nil {
		return nil, err
	}
	rows, ferr := readSittingSheet(r, []string{colName, colIDNumber, colEmployee, colYears, colEducation})
	if ferr != nil {
		return nil, Invalid(validate.Errors{*ferr})
	}
	rules, err := s.eligibilityRules(ctx, ss.OccupationCode)
	if err != nil {
		return nil, err
	}
	existing, err := s.db.Candidates(ctx, ss.ID)
	if err != nil {
		return nil, err
	}
	inSitting := map[string]bool{}
	for _, c := range existing {
		inSitting[c.IDLookup] = true
	}
	var errs validate.Errors
	var cands []models.SessionCandidate
	seen := map[string]int{}
	for _, row := range rows {
		in, rowErrs := candidateOfRow(row)
		if len(rowErrs) > 0 {
			errs = append(errs, rowErrs...)
			continue
		}
		cand, checks, err := s.prepareCandidate(ctx, ss, rules, in)
		if err != nil {
			return nil, err
		}
		for _, fe := range checks {
			rowFault(&errs, row.n, fe.Field, candidateColumnOf[fe.Field], fe.Code, fe.Message)
		}
		if len(checks) > 0 {
			continue
		}
		if first, dup := seen[cand.IDLookup]; dup {
			rowFault(&errs, row.n, "id_number", colIDNumber, "duplicate", fmt.Sprintf("与第 %d 行是同一证件号码，每名考生只能登记一次。", first))
			continue
		}
		seen[cand.IDLookup] = row.n
		if inSitting[cand.IDLookup] {
			rowFault(&errs, row.n, "id_number", colIDNumber, "duplicate", "该考生已在本场次登记。")
			continue
		}
		cands = append(cands, cand)
	}
	if len(errs) > 0 {
		return nil, Invalid(errs)
	}
	err = s.db.Tx(ctx, func(tx *models.DB) error {
		for i := range cands {
			if err := tx.AddCandidate(ctx, &cands[i]); err != nil {
				return err
			}
			if err := s.auditIn(ctx, tx, a, models.AuditEntry{Action: "session.candidate_import", ObjectType: "session", ObjectID: ss.ID,
				AfterState: cands[i].ID, JurisdictionCode: ss.JurisdictionCode}); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, models.ErrConflict) {
		return nil, Invalid(validate.Errors{{Field: "file", Code: "duplicate", Message: "导入期间本场次已登记了其中的考生，未导入任何考生，请刷新后重试。"}})
	}
	if err != nil {
		return nil, err
	}
	return cands, nil
}

// candidateOfRow reads a registration row as CandidateBody; what cannot be read (a level, a
// schooling, a yes/no, a number) is refused beside its column.
func candidateOfRow(row sheetRow) (CandidateBody, validate.Errors) {
	var errs validate.Errors
	in := CandidateBody{Name: row.get(colName), IDNumber: row.get(colIDNumber)}
	yes := func(col, field string) bool {
		switch v := row.get(col); v {
		case "是", "Y", "y", "√", "✓":
			return true
		case "否", "N", "n", "":
			return false
		default:
			rowFault(&errs, row.n, field, col, "invalid", "请填写“是”或“否”，而不是“"+clipRunes(v, 16)+"”。")
			return false
		}
	}
	in.Employee = yes(colEmployee, "employee")
	in.Apprenticeship = yes(colApprentice, "apprenticeship")
	num := func(col, field string, required bool) int {
		v := row.get(col)
		if v == "" {
			if required {
				rowFault(&errs, row.n, field, col, "required", "请填写整数，不满一年填 0。")
			}
			return 0
		}
		n, err := strconv.Atoi(strings.TrimSuffix(v, "年"))
		if err != nil {
			rowFault(&errs, row.n, field, col, "invalid", "请填写整数，如 5，而不是“"+clipRunes(v, 16)+"”。")
		}
		return n
	}
	in.Years = num(colYears, "years_in_occupation", true)
	in.HeldYear = num(colHeldYear, "held_year", false)
	switch v := row.get(colHeldLevel); v {
	case "", "未取得", "无", "0":
	default:
		for l := 1; l <= 5; l++ {
			if v == strconv.Itoa(l) || strings.HasPrefix(v, validate.Level(l).ShortName()) {
				in.HeldLevel = l
			}
		}
		if in.HeldLevel == 0 {
			rowFault(&errs, row.n, "held_level", colHeldLevel, "invalid", "请填写“未取得”或五级至一级之一，而不是“"+clipRunes(v, 16)+"”。")
		}
	}
	edu := row.get(colEducation)
	for _, e := range domain.Educations {
		if edu == e || edu == domain.EducationNames[e] {
			in.Education = e
		}
	}
	switch {
	case edu == "" || edu == "无":
		in.Education = domain.EduNone
	case in.Education == "":
		rowFault(&errs, row.n, "education", colEducation, "invalid", "学历应为本页下载表格中的选项之一（如“"+domain.EducationNames[domain.EduNone]+"”）。")
	}
	if t := row.get(colIDType); t != "" {
		for code, name := range domain.IDTypeNames {
			if t == name || t == code {
				in.IDType = code
			}
		}
		if in.IDType == "" {
			rowFault(&errs, row.n, "id_type", colIDType, "invalid", "证件类型“"+clipRunes(t, 16)+"”无法识别。")
		}
	}
	switch g := row.get(colGender); g {
	case "":
	case "男":
		in.Gender = domain.Male
	case "女":
		in.Gender = domain.Female
	default:
		rowFault(&errs, row.n, "gender", colGender, "invalid", "性别应为“男”或“女”。")
	}
	return in, errs
}

// ImportScores records the scores of an XLSX workbook (the sitting's export: 姓名, 证件号码 and
// the score columns) as the score grid does: each row finds its candidate by ID number (whole,
// or masked as exported) and name; any refused row refuses the file, every refusal answered with
// its row number, nothing saved.
func (s *Service) ImportScores(ctx context.Context, a *Actor, sessionID string, r io.Reader) ([]models.SessionCandidate, error) {
	ss, err := s.sittingInScope(ctx, a, sessionID, "assessment", "manage")
	if err != nil {
		return nil, err
	}
	if err := s.scoresOpen(ctx, ss); err != nil {
		return nil, err
	}
	need := []string{colName, colIDNumber, colTheory, colSkill}
	if domain.NeedsReview(ss.Level) {
		need = append(need, colReview)
	}
	rows, ferr := readSittingSheet(r, need)
	if ferr != nil {
		return nil, Invalid(validate.Errors{*ferr})
	}
	cands, err := s.db.Candidates(ctx, ss.ID)
	if err != nil {
		return nil, err
	}
	var errs validate.Errors
	var grid []GridRow
	for _, row := range rows {
		name, id := row.get(colName), validate.NormalizeIDNumber(row.get(colIDNumber))
		var match []models.SessionCandidate
		for _, c := range cands {
			byNumber := c.IDMasked == id || (!strings.Contains(id, "*") && slices.Contains(s.apps.sealer.LookupKeys(id), c.IDLookup))
			if byNumber && c.Name == name {
				match = append(match, c)
			}
		}
		if len(match) != 1 {
			rowFault(&errs, row.n, "candidate_id", colIDNumber, "unknown_candidate", "本场次没有姓名为“"+clipRunes(name, 20)+"”、证件号码为该号码的考生；请先登记考生，或使用本页下载的表格。")
			continue
		}
		g := GridRow{CandidateID: match[0].ID, label: fmt.Sprintf("第 %d 行（%s）", row.n, name), path: fmt.Sprintf("rows[%d].", row.n)}
		g.Notes, g.Ethics, g.Performance = row.get(colNotes), row.get(colEthics), row.get(colPerformance)
		ok := true
		for col, dst := range map[string]**int{colTheory: &g.Theory, colSkill: &g.Skill, colReview: &g.Review} {
			v := row.get(col)
			if v == "" {
				continue
			}
			n, err := strconv.Atoi(strings.TrimSuffix(v, "分"))
			if err != nil {
				rowFault(&errs, row.n, map[string]string{colTheory: "theory", colSkill: "skill", colReview: "review"}[col], col, "invalid",
					"请填写 0 至 100 的整数分数，如 85，而不是“"+clipRunes(v, 16)+"”。")
				ok = false
				continue
			}
			*dst = &n
		}
		if ok {
			grid = append(grid, g)
		}
	}
	changes, rowErrs, err := s.checkRows(ctx, ss, grid)
	if err != nil {
		return nil, err
	}
	if errs = append(errs, rowErrs...); len(errs) > 0 {
		return nil, Invalid(sortRowErrors(errs))
	}
	return s.saveRows(ctx, a, ss, changes, true)
}

// sortRowErrors orders an import's refusals by row (stable within a row).
func sortRowErrors(errs validate.Errors) validate.Errors {
	rowOf := func(f string) int {
		var n int
		_, _ = fmt.Sscanf(f, "rows[%d]", &n)
		return n
	}
	slices.SortStableFunc(errs, func(a, b validate.FieldError) int { return rowOf(a.Field) - rowOf(b.Field) })
	return errs
}
