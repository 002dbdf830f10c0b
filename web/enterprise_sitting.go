package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/policies"
	"skillcert/service"
	"skillcert/workflows"
)

// sittingInfo is a sitting with its candidates, as the sitting page and its task pages show it.
type sittingInfo struct {
	ID, Href, Enterprise, Occupation, Level, ExamDate, Site, Status, Assessors string
	// Review: the level has a comprehensive review (二级 and 一级).
	Review     bool
	Candidates []candidateRow
	// Records are the original records, one row per kind (domain.RecordKinds), present or not;
	// RecordsMissing names the kinds not yet uploaded.
	Records        []recordRow
	RecordsMissing string
	// names maps candidate IDs to names (to write the centre's reasons with names).
	names map[string]string
}

type candidateRow struct {
	No                                                       int
	ID, Anchor, Name, IDMasked, Theory, Skill, Review, Notes string
	// Identity: ID type and gender; Photo says whether a certificate photo is on file, PhotoHref shows it.
	Identity, Photo, PhotoHref string
	// PhotoAction is the photo upload form's action (the enterprise, until certificates are issued).
	PhotoAction string
	// Ethics and Performance are the recorded 品德 and 业绩; Facts the declared eligibility facts.
	Ethics, Performance, Facts              string
	Result, ResultClass, Audit, AuditReason string
	Rejected, Passed                        bool
	// ShowReview: the sitting's level has a comprehensive review column.
	ShowReview           bool
	CertNumber, CertHref string
	// Remove is the confirmation removing a candidate registered by mistake (open sittings only).
	Remove *removeForm
}

// removeForm confirms the removal of a candidate, with the reason.
type removeForm struct {
	Action, Name string
	Open         bool
	Reason       formField
	Errors       []string
}

// recordRow is one kind of original record of a sitting: its current version, if uploaded.
type recordRow struct {
	Kind, Label                      string
	Name, Href, SHA256, Uploaded, ID string
	HashShort                        string // the hash's first 16 digits (the full one in the title)
	Version                          int
	Present                          bool
}

// recordsForm is the form uploading an original record (or its next version).
type recordsForm struct {
	Action string
	Kind   formField
	Errors []string
}

// candidateForm is the form registering a candidate.
type candidateForm struct {
	Action                   string
	Name, IDNumber, Employee formField
	// The eligibility facts (申报条件) and the conditions of the sitting's level.
	Years, HeldLevel, HeldYear, Education, Apprenticeship formField
	IDType, Gender                                        formField
	Conditions                                            []string
	Errors                                                []string
}

// sessionView is p_session.html's data.
type sessionView struct {
	pageView
	Sitting   *sittingInfo
	Tasks     []taskLink
	CanManage bool
	ListHref  string
	Add       *candidateForm
	// Upload is the original-records upload form (the enterprise's).
	Upload *recordsForm
	// Locked says why scores cannot be changed now (results with the centre, certificates issued).
	Locked string
	// Grid is the score grid; Bulk the workbook's export and imports (the enterprise's).
	Grid *scoreGrid
	Bulk *bulkForms
}

// sittingForms is what was typed on the sitting page and refused: the registration form, the
// score grid (typed by candidate ID, refusals under scores[i].field), a removal, an import.
type sittingForms struct {
	add          *service.CandidateBody
	addTyped     map[string]string
	addErrs      *fieldBag
	grid         map[string]map[string]string
	gridErrs     *fieldBag
	removeFor    string
	removeReason string
	removeErrs   *fieldBag
	importErrs   *fieldBag
}

// loadSitting reads a sitting with its candidates (ReadSitting, which checks the caller's
// scope); a refusal comes back as *Error (UserError).
func (p *Pages) loadSitting(c *gin.Context, id string) (service.SessionDetail, error) {
	sd, err := p.svc.ReadSitting(c.Request.Context(), api.ActorFrom(c), id)
	if err != nil {
		return sd, service.ToError(err)
	}
	return sd, nil
}

// sittingInfoOf lays out a sitting and its candidates; certificates link to their pages.
func (p *Pages) sittingInfoOf(ctx context.Context, sd service.SessionDetail) (*sittingInfo, error) {
	si := &sittingInfo{ID: sd.ID, Href: sessionHref(sd.ID), Enterprise: sd.EnterpriseName, Occupation: occupationText(sd.AssessmentSession),
		Level: levelName(sd.Level), ExamDate: p.day(sd.ExamDate), Site: sd.Site, Status: sessionStatusNames[sd.Status],
		Review: sd.Level <= 2, names: map[string]string{}}
	var panel []workflows.Assessor
	_ = json.Unmarshal([]byte(sd.AssessorsJSON), &panel)
	var names []string
	for _, x := range panel {
		// A panel chosen from the declaration shows what was declared; an older one its typed role.
		what := x.Role
		if x.Key != "" {
			what = strings.Join(slices.DeleteFunc([]string{x.Title, x.IDMasked}, func(s string) bool { return s == "" }), "，")
		}
		if what != "" {
			names = append(names, x.Name+"（"+what+"）")
		} else {
			names = append(names, x.Name)
		}
	}
	si.Assessors = strings.Join(names, "、")
	byKind := map[string]models.Attachment{}
	for _, r := range sd.Records {
		byKind[r.Purpose] = r
	}
	var missing []string
	for _, k := range domain.RecordKinds {
		row := recordRow{Kind: k, Label: domain.RecordNames[k]}
		if r, ok := byKind[k]; ok {
			row.Present, row.ID, row.Name, row.Href, row.SHA256, row.Version = true, r.ID, r.Name, attachmentHref(r.ID), r.SHA256, r.Version
			row.Uploaded, row.HashShort = p.day(r.CreatedAt), r.SHA256[:min(16, len(r.SHA256))]
		} else {
			missing = append(missing, row.Label)
		}
		si.Records = append(si.Records, row)
	}
	si.RecordsMissing = strings.Join(missing, "、")
	for i, x := range sd.Candidates {
		row := candidateRow{No: i + 1, ID: x.ID, Anchor: fmt.Sprintf("c-%d", i+1), Name: x.Name, IDMasked: x.IDMasked,
			Theory: scoreText(x.Theory), Skill: scoreText(x.Skill), Review: scoreText(x.Review), Notes: x.Notes,
			Ethics: x.Ethics, Performance: x.Performance, Facts: factsText(x.SessionCandidate),
			Identity: identityText(x.HolderIdentity), Photo: "未上传照片",
			Result: candidateResultNames[x.Result], ResultClass: "result-" + x.Result, Audit: x.StatusName,
			Rejected: x.AuditStatus == "rejected", Passed: x.Result == "pass", CertNumber: x.CertificateNumber, ShowReview: si.Review}
		if row.Rejected {
			row.AuditReason = x.AuditReason
		}
		if x.PhotoKey != "" {
			row.Photo = "已上传照片"
			row.PhotoHref = "/api/v1/sessions/" + url.PathEscape(sd.ID) + "/candidates/" + url.PathEscape(x.ID) + "/photo"
		}
		if x.CertificateNumber != "" {
			cert, err := p.db.CertificateByNumber(ctx, x.CertificateNumber)
			if err == nil {
				row.CertHref = "/certificates/" + url.PathEscape(cert.ID)
			} else if !errors.Is(err, models.ErrNotFound) {
				return nil, err
			}
		}
		si.names[x.ID] = x.Name
		si.Candidates = append(si.Candidates, row)
	}
	return si, nil
}

// sessionPage shows a sitting to its enterprise (with the forms) and to officials in scope
// (read-only); anyone else gets the refusal as the error page.
func (p *Pages) sessionPage(c *gin.Context) error {
	sd, err := p.loadSitting(c, c.Param("id"))
	if err != nil {
		return err
	}
	v, err := p.sessionView(c, sd, sittingForms{})
	if err != nil {
		return err
	}
	return p.show(c, http.StatusOK, "p_session", v)
}

// sessionView lays out the sitting page with the forms the caller may use, as typed.
func (p *Pages) sessionView(c *gin.Context, sd service.SessionDetail, st sittingForms) (*sessionView, error) {
	ctx := c.Request.Context()
	a := api.ActorFrom(c)
	si, err := p.sittingInfoOf(ctx, sd)
	if err != nil {
		return nil, err
	}
	v := &sessionView{pageView: pageView{pageData: pageData{Title: "考核批次：" + si.Occupation + " " + si.Level}}, Sitting: si}
	v.CanManage = a.User.Role == models.RoleEnterpriseUser &&
		p.enf.Allowed(a.User.ID, policies.EnterpriseDomain(sd.JurisdictionCode, sd.EnterpriseID), "assessment", "manage")
	if v.CanManage {
		v.ListHref = "/sessions"
	}
	if cd, err := p.svc.ReadCase(ctx, a, sd.CaseID); err == nil {
		v.Tasks = p.sittingTasks(c, cd.Tasks, sd.ID)
	} else if service.UserError(service.ToError(err)) == nil {
		return nil, err
	}
	if !v.CanManage {
		return v, nil
	}
	var kinds []choice
	for _, k := range domain.RecordKinds {
		kinds = append(kinds, choice{Value: k, Label: domain.RecordNames[k]})
	}
	v.Upload = &recordsForm{Action: sessionHref(sd.ID) + "/records",
		Kind: formField{Name: "kind", ID: "f-kind", Label: "原始记录类别", Kind: "select", Options: kinds, Required: true,
			Hint: "同一类别再次上传即成为该记录的新版本，旧版本保留。"}}
	switch sd.Status {
	case models.SessionOpen:
		in, errs := st.add, st.addErrs
		if in == nil {
			in = &service.CandidateBody{}
		}
		// The fragments bring a refused form back into view.
		f := &candidateForm{Action: sessionHref(sd.ID) + "/candidates#add",
			Name: formField{Name: "name", ID: "f-name", Label: "考生姓名", Kind: "text", Value: in.Name, Required: true, Autocomplete: "off",
				Errors: errs.take("name")},
			IDNumber: formField{Name: "id_number", ID: "f-id_number", Label: "身份证号", Kind: "text", Value: in.IDNumber, Required: true,
				Autocomplete: "off", MaxLength: "18", Hint: "18 位公民身份号码，末位可为 X。", Errors: errs.take("id_number")},
			Employee: formField{Name: "employee", ID: "f-employee", Label: "本企业在职职工（认定只面向本企业职工）", Kind: "checkbox", Value: "on",
				Checked: in.Employee, Errors: errs.take("employee")}}
		p.eligibilityFields(c, f, sd.AssessmentSession, st, errs)
		f.Errors = errs.rest()
		v.Add = f
	case models.SessionSubmitted:
		v.Locked = "认定结果已报送自治区职业技能鉴定管理中心审核，审核期间不能登记考生或修改成绩。"
	case models.SessionCorrecting:
		v.Locked = "认定结果被退回：只能更正被退回考生的成绩，更正后请在待办中重新提交。"
	case models.SessionIssued:
		v.Locked = "认定结果已审核通过并发证，成绩不能再修改。"
	case models.SessionPublicity:
		v.Locked = "认定结果已审核通过，正在公示"
		if sd.PublicityEndsAt != nil {
			v.Locked += "（至 " + sd.PublicityEndsAt.In(p.svc.Location()).Format("2006-01-02 15:04") + "）"
		}
		v.Locked += "；公示期满无异议或异议不成立后颁发证书，期间成绩不能修改。"
	}
	for i, x := range sd.Candidates {
		if sd.Status != models.SessionIssued {
			si.Candidates[i].PhotoAction = sessionHref(sd.ID) + "/candidates/" + url.PathEscape(x.ID) + "/photo"
		}
		if sd.Status == models.SessionOpen {
			path := "remove." + x.ID + ".reason"
			rf := &removeForm{Action: sessionHref(sd.ID) + "/candidates/" + url.PathEscape(x.ID) + "/remove", Name: x.Name,
				Reason: formField{Name: "reason", ID: fmt.Sprintf("f-remove-%d-reason", i+1), Label: "移除原因", Kind: "text", Required: true,
					MaxLength: "500", Hint: "如“误登记，非本场次考生”。移除记入审计日志；报送认定结果后不能再移除。", Errors: st.removeErrs.take(path)}}
			if st.removeFor == x.ID {
				rf.Open, rf.Reason.Value = true, st.removeReason
				rf.Errors = st.removeErrs.rest()
			}
			si.Candidates[i].Remove = rf
		}
	}
	v.Bulk = &bulkForms{ExportHref: sessionHref(sd.ID) + "/workbook.xlsx"}
	if sd.Status == models.SessionOpen {
		v.Bulk.CandidatesAction = sessionHref(sd.ID) + "/import/candidates"
	}
	if sd.Status == models.SessionOpen || sd.Status == models.SessionCorrecting {
		v.Bulk.ScoresAction = sessionHref(sd.ID) + "/import/scores"
	}
	if len(sd.Candidates) > 0 {
		grid, known := gridFor(sd, st.grid, st.gridErrs)
		v.Grid = grid
		v.TopErrors = st.gridErrs.summary(known, "#grid")
	}
	for _, m := range st.importErrs.rest() {
		v.TopErrors = append(v.TopErrors, errorLink{Href: "#bulk", Message: m})
	}
	return v, nil
}

// addCandidate registers a candidate (RegisterCandidate); a refusal comes back beside the
// fields with what was typed.
func (p *Pages) addCandidate(c *gin.Context) error {
	id := c.Param("id")
	in := &service.CandidateBody{Name: strings.TrimSpace(c.PostForm("name")), IDNumber: strings.TrimSpace(c.PostForm("id_number")),
		Employee: c.PostForm("employee") != ""}
	typed := map[string]string{}
	for _, k := range []string{"years_in_occupation", "held_level", "held_year"} {
		typed[k] = strings.TrimSpace(c.PostForm(k))
	}
	in.Education, in.Apprenticeship = c.PostForm("education"), c.PostForm("apprenticeship") != ""
	in.IDType, in.Gender = c.PostForm("id_type"), c.PostForm("gender")
	numErrs := newFieldBag()
	for k, dst := range map[string]*int{"years_in_occupation": &in.Years, "held_level": &in.HeldLevel, "held_year": &in.HeldYear} {
		if typed[k] == "" {
			continue
		}
		n, err := strconv.Atoi(typed[k])
		if err != nil {
			numErrs.add(k, "请填写整数，如 5。")
			continue
		}
		*dst = n
	}
	if typed["years_in_occupation"] == "" {
		numErrs.add("years_in_occupation", "请填写从事本职业（相关职业）的工作年限；不满一年填 0。")
	}
	if !numErrs.empty() {
		return p.rerenderSitting(c, id, http.StatusUnprocessableEntity, sittingForms{add: in, addTyped: typed, addErrs: numErrs})
	}
	added, err := p.svc.RegisterCandidate(c.Request.Context(), api.ActorFrom(c), service.CandidateInput{SessionID: id, CandidateBody: *in})
	if err == nil {
		p.flash(c, flashOK, "已登记考生 "+added.Name+"（"+added.IDMasked+"）。")
		return seeOther(c, sessionHref(id)+"#candidates")
	}
	e := service.UserError(service.ToError(err))
	if e == nil || outOfReach(e) {
		return err
	}
	errs := newFieldBag()
	errs.addAll(e.Fields)
	if len(e.Fields) == 0 {
		errs.add("", e.Message)
	}
	return p.rerenderSitting(c, id, e.Status, sittingForms{add: in, addTyped: typed, addErrs: errs})
}

// setCandidateScores records one candidate's scores (RecordScores).
func (p *Pages) setCandidateScores(c *gin.Context) error {
	id, cid := c.Param("id"), c.Param("cid")
	typed := map[string]string{}
	for _, k := range []string{"theory", "skill", "review", "notes", "ethics", "performance"} {
		typed[k] = strings.TrimSpace(c.PostForm(k))
	}
	errs := newFieldBag()
	body := service.ScoresBody{Notes: typed["notes"], Ethics: typed["ethics"], Performance: typed["performance"]}
	for k, dst := range map[string]**int{"theory": &body.Theory, "skill": &body.Skill, "review": &body.Review} {
		if typed[k] == "" {
			continue
		}
		n, err := strconv.Atoi(typed[k])
		if err != nil {
			errs.add(k, "请填写 0 至 100 的整数分数，如 85。")
			continue
		}
		*dst = &n
	}
	status := http.StatusUnprocessableEntity
	if errs.empty() {
		out, err := p.svc.RecordScores(c.Request.Context(), api.ActorFrom(c), service.ScoresInput{SessionID: id, CandidateID: cid, ScoresBody: body})
		if err == nil {
			p.flash(c, flashOK, "已保存 "+out.Name+" 的成绩："+candidateResultNames[out.Result]+"。")
			return seeOther(c, sessionHref(id)+"#candidates")
		}
		e := service.UserError(service.ToError(err))
		if e == nil || outOfReach(e) {
			return err
		}
		errs.addAll(e.Fields)
		if len(e.Fields) == 0 {
			errs.add("", e.Message)
		}
		status = e.Status
	}
	// The refusal comes back in the candidate's row of the grid.
	sd, err := p.loadSitting(c, id)
	if err != nil {
		return err
	}
	gridErrs := newFieldBag()
	for i, x := range sd.Candidates {
		if x.ID != cid {
			continue
		}
		for _, path := range errs.order {
			for _, m := range errs.msgs[path] {
				if path == "" {
					gridErrs.add("", m)
				} else {
					gridErrs.add(fmt.Sprintf("scores[%d].%s", i, path), x.Name+"："+m)
				}
			}
		}
	}
	return p.rerenderSitting(c, id, status, sittingForms{grid: map[string]map[string]string{cid: typed}, gridErrs: gridErrs})
}

// outOfReach reports a refusal that is the error page's to show (not the caller's sitting, or
// no such sitting or candidate), not a form's.
func outOfReach(e *service.Error) bool {
	return e.Status == http.StatusForbidden || e.Status == http.StatusNotFound
}

// rerenderSitting shows the sitting page again with a refused form as typed.
func (p *Pages) rerenderSitting(c *gin.Context, id string, status int, st sittingForms) error {
	sd, err := p.loadSitting(c, id)
	if err != nil {
		return err
	}
	v, err := p.sessionView(c, sd, st)
	if err != nil {
		return err
	}
	if v.Add == nil && st.addErrs != nil { // registration closed meanwhile
		v.Alert = strings.Join(st.addErrs.rest(), " ")
	}
	if rest := st.removeErrs.rest(); len(rest) > 0 { // the removal form is gone (results submitted meanwhile)
		v.Alert = strings.TrimSpace(v.Alert + " " + strings.Join(rest, " "))
	}
	if v.Grid == nil && st.gridErrs != nil {
		v.Alert = strings.TrimSpace(v.Alert + " " + strings.Join(st.gridErrs.rest(), " "))
	}
	return p.show(c, status, "p_session", v)
}

// eligibilityFields adds the eligibility facts to the registration form, as typed, with the
// conditions of the sitting's level (the occupation's rules).
func (p *Pages) eligibilityFields(c *gin.Context, f *candidateForm, ss models.AssessmentSession, st sittingForms, errs *fieldBag) {
	in := st.add
	typed := st.addTyped
	if typed == nil {
		typed = map[string]string{}
		if in != nil && st.addErrs != nil {
			typed = map[string]string{"years_in_occupation": strconv.Itoa(in.Years), "held_level": strconv.Itoa(in.HeldLevel),
				"held_year": strconv.Itoa(in.HeldYear)}
		}
	}
	if typed["held_level"] == "" {
		typed["held_level"] = "0"
	}
	if typed["held_year"] == "0" {
		typed["held_year"] = ""
	}
	levels := []string{"0", "未取得"}
	for l := 5; l >= 1; l-- {
		levels = append(levels, strconv.Itoa(l), validate.Level(l).Name())
	}
	var edus []string
	for _, e := range domain.Educations {
		edus = append(edus, e, domain.EducationNames[e])
	}
	education := domain.EduNone
	if in != nil && in.Education != "" {
		education = in.Education
	}
	f.Years = formField{Name: "years_in_occupation", ID: "f-years_in_occupation", Label: "累计从事本职业（相关职业）工作年限", Kind: "number",
		Value: typed["years_in_occupation"], Min: "0", Max: "60", InputMode: "numeric", Required: true, Hint: "整年数，不满一年填 0。",
		Errors: errs.take("years_in_occupation")}
	f.HeldLevel = formField{Name: "held_level", ID: "f-held_level", Label: "已取得本职业（相关职业）最高证书等级", Kind: "select",
		Options: choices(typed["held_level"], levels...), Errors: errs.take("held_level")}
	f.HeldYear = formField{Name: "held_year", ID: "f-held_year", Label: "取证年份", Kind: "number", Value: typed["held_year"],
		Min: "1950", InputMode: "numeric", Hint: "已取得证书时填写，如 2021。", Errors: errs.take("held_year")}
	f.Education = formField{Name: "education", ID: "f-education", Label: "学历（本专业或相关专业）", Kind: "select", Required: true,
		Options: choices(education, edus...), Errors: errs.take("education"), Wide: true}
	f.Apprenticeship = formField{Name: "apprenticeship", ID: "f-apprenticeship", Label: "本职业（相关职业）学徒期满", Kind: "checkbox",
		Value: "on", Checked: in != nil && in.Apprenticeship, Errors: errs.take("apprenticeship")}
	idType, gender := domain.IDResident, ""
	if in != nil {
		if in.IDType != "" {
			idType = in.IDType
		}
		gender = in.Gender
	}
	var types []string
	for _, t := range domain.IDTypes {
		types = append(types, t, domain.IDTypeNames[t])
	}
	f.IDType = formField{Name: "id_type", ID: "f-id_type", Label: "证件类型", Kind: "select", Options: choices(idType, types...),
		Errors: errs.take("id_type")}
	f.Gender = formField{Name: "gender", ID: "f-gender", Label: "性别", Kind: "select",
		Options: choices(gender, "", "按身份证号码确定", domain.Male, "男", domain.Female, "女"), Hint: "居民身份证按号码确定性别；其他证件请选择。",
		Errors: errs.take("gender")}
	if levels, err := p.svc.Eligibility(c.Request.Context(), api.ActorFrom(c), ss.OccupationCode); err == nil {
		for _, l := range levels {
			if l.Level == ss.Level {
				f.Conditions = l.Texts
			}
		}
	}
}

// factsText describes a candidate's declared eligibility facts ("" for one registered before
// they were asked).
func factsText(x models.SessionCandidate) string {
	if x.Education == "" {
		return ""
	}
	return domain.CandidateFacts{Years: x.YearsInOccupation, HeldLevel: x.HeldLevel, HeldYear: x.HeldYear, Education: x.Education,
		Apprenticeship: x.Apprenticeship}.Text()
}

// identityText is a candidate's ID type and gender as the sitting page shows them.
func identityText(h models.HolderIdentity) string {
	s := domain.IDTypeName(h.IDType)
	if g := domain.GenderNames[h.Gender]; g != "" {
		s += "，" + g
	}
	return s
}

// setCandidatePhoto stores a candidate's certificate photo (SetCandidatePhoto); a refusal comes
// back as a message above the sitting.
func (p *Pages) setCandidatePhoto(c *gin.Context) error {
	id, cid := c.Param("id"), c.Param("cid")
	out, err := p.svc.SetCandidatePhoto(c.Request.Context(), api.ActorFrom(c), id, cid, func() ([]byte, error) { return api.ReadPhoto(c.Request) })
	if err == nil {
		p.flash(c, flashOK, "已保存 "+out.Name+" 的证件照。")
		return seeOther(c, sessionHref(id)+"#candidates")
	}
	e := service.UserError(service.ToError(err))
	if e == nil || outOfReach(e) {
		return err
	}
	msg := e.Message
	if len(e.Fields) > 0 {
		msg = e.Fields[0].Message
	}
	p.flash(c, flashError, "照片未保存："+msg)
	return seeOther(c, sessionHref(id)+"#candidates")
}

// uploadSittingRecord stores an original record of the sitting (UploadAttachment with the
// sitting): a new kind, or the next version of the kind already uploaded. A refusal comes back
// as a message above the records.
func (p *Pages) uploadSittingRecord(c *gin.Context) error {
	id := c.Param("id")
	ctx := c.Request.Context()
	a := api.ActorFrom(c)
	in := service.UploadInput{SessionID: id, Purpose: strings.TrimSpace(c.PostForm("kind"))}
	if domain.IsRecordKind(in.Purpose) {
		// A kind already uploaded gets its next version.
		if recs, err := p.svc.SittingRecords(ctx, a, id); err == nil {
			for _, r := range recs {
				if r.Purpose == in.Purpose {
					in.Replaces = r.ID
				}
			}
		} else if e := service.UserError(service.ToError(err)); e == nil || outOfReach(e) {
			return err
		}
	}
	fh, ferr := c.FormFile(service.AttachmentFormField)
	if ferr == nil {
		f, err := fh.Open()
		if err != nil {
			return fmt.Errorf("open uploaded part: %w", err)
		}
		defer f.Close()
		in.Files, in.Name, in.Size, in.Content = 1, api.RawFileName(fh), fh.Size, f
	}
	att, err := p.svc.UploadAttachment(ctx, a, in)
	if err == nil {
		p.flash(c, flashOK, fmt.Sprintf("已上传%s（第 %d 版）。", domain.RecordNames[att.Purpose], att.Version))
		return seeOther(c, sessionHref(id)+"#records")
	}
	e := service.UserError(service.ToError(err))
	if e == nil || outOfReach(e) {
		return err
	}
	msgs := []string{}
	for _, f := range e.Fields {
		msgs = append(msgs, f.Message)
	}
	if len(msgs) == 0 {
		msgs = append(msgs, e.Message)
	}
	p.flash(c, flashError, "原始记录未保存："+strings.Join(msgs, " "))
	return seeOther(c, sessionHref(id)+"#records")
}
