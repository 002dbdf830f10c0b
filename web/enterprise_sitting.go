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
	"skillcert/models"
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
	// names maps candidate IDs to names (to write the centre's reasons with names).
	names map[string]string
}

type candidateRow struct {
	No                                                       int
	ID, Anchor, Name, IDMasked, Theory, Skill, Review, Notes string
	Result, ResultClass, Audit, AuditReason                  string
	Rejected, Passed                                         bool
	// ShowReview: the sitting's level has a comprehensive review column.
	ShowReview           bool
	CertNumber, CertHref string
	Score                *scoreForm
}

// scoreForm is one candidate's score form.
type scoreForm struct {
	Action, Legend      string
	Open                bool
	Theory, Skill, Note formField
	Review              *formField
	Errors              []string
}

// candidateForm is the form registering a candidate.
type candidateForm struct {
	Action                   string
	Name, IDNumber, Employee formField
	Errors                   []string
}

// sessionView is p_session.html's data.
type sessionView struct {
	pageView
	Sitting   *sittingInfo
	Tasks     []taskLink
	CanManage bool
	ListHref  string
	Add       *candidateForm
	// Locked says why scores cannot be changed now (results with the centre, certificates issued).
	Locked string
}

// sittingForms is what was typed on the sitting page and refused: the registration form or one
// candidate's scores.
type sittingForms struct {
	add       *service.CandidateBody
	addErrs   *fieldBag
	scoreFor  string
	score     map[string]string
	scoreErrs *fieldBag
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
	for i, x := range sd.Candidates {
		row := candidateRow{No: i + 1, ID: x.ID, Anchor: fmt.Sprintf("c-%d", i+1), Name: x.Name, IDMasked: x.IDMasked,
			Theory: scoreText(x.Theory), Skill: scoreText(x.Skill), Review: scoreText(x.Review), Notes: x.Notes,
			Result: candidateResultNames[x.Result], ResultClass: "result-" + x.Result, Audit: auditStatusNames[x.AuditStatus],
			Rejected: x.AuditStatus == "rejected", Passed: x.Result == "pass", CertNumber: x.CertificateNumber, ShowReview: si.Review}
		if row.Rejected {
			row.AuditReason = x.AuditReason
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
		f.Errors = errs.rest()
		v.Add = f
	case models.SessionSubmitted:
		v.Locked = "认定结果已报送自治区技能鉴定中心审核，审核期间不能登记考生或修改成绩。"
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
		if !(sd.Status == models.SessionOpen || (sd.Status == models.SessionCorrecting && x.AuditStatus == "rejected")) && st.scoreFor != x.ID {
			continue
		}
		typed := map[string]string{"theory": scoreText(x.Theory), "skill": scoreText(x.Skill), "review": scoreText(x.Review), "notes": x.Notes}
		var errs *fieldBag
		if st.scoreFor == x.ID {
			typed, errs = st.score, st.scoreErrs
		}
		si.Candidates[i].Score = scoreFormFor(sd, i, x, typed, errs)
	}
	return v, nil
}

// scoreFormFor builds one candidate's score form; its inputs' IDs carry the row number.
func scoreFormFor(sd service.SessionDetail, i int, x models.SessionCandidate, typed map[string]string, errs *fieldBag) *scoreForm {
	num := func(name, label string) formField {
		path := fmt.Sprintf("scores[%d].%s", i, name)
		return formField{Name: name, ID: fieldID(path), Label: label, Kind: "number", Value: typed[name], Min: "0", Max: "100",
			InputMode: "numeric", Required: true, Errors: errs.take(name)}
	}
	f := &scoreForm{Action: sessionHref(sd.ID) + "/candidates/" + url.PathEscape(x.ID) + "/scores" + fmt.Sprintf("#c-%d", i+1), Legend: x.Name + " 的成绩",
		Theory: num("theory", "理论知识考试（0—100 分）"), Skill: num("skill", "操作技能考核（0—100 分）")}
	if sd.Level <= 2 {
		r := num("review", "综合评审（0—100 分）")
		f.Review = &r
	}
	f.Note = formField{Name: "notes", ID: fieldID(fmt.Sprintf("scores[%d].notes", i)), Label: "备注（业绩、创新成果等）", Kind: "text",
		Value: typed["notes"], Errors: errs.take("notes"), Wide: true}
	f.Errors = errs.rest()
	f.Open = !errs.empty() || x.Result == "pending" || x.AuditStatus == "rejected"
	return f
}

// addCandidate registers a candidate (RegisterCandidate); a refusal comes back beside the
// fields with what was typed.
func (p *Pages) addCandidate(c *gin.Context) error {
	id := c.Param("id")
	in := &service.CandidateBody{Name: strings.TrimSpace(c.PostForm("name")), IDNumber: strings.TrimSpace(c.PostForm("id_number")),
		Employee: c.PostForm("employee") != ""}
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
	return p.rerenderSitting(c, id, e.Status, sittingForms{add: in, addErrs: errs})
}

// setCandidateScores records one candidate's scores (RecordScores).
func (p *Pages) setCandidateScores(c *gin.Context) error {
	id, cid := c.Param("id"), c.Param("cid")
	typed := map[string]string{}
	for _, k := range []string{"theory", "skill", "review", "notes"} {
		typed[k] = strings.TrimSpace(c.PostForm(k))
	}
	errs := newFieldBag()
	body := service.ScoresBody{Notes: typed["notes"]}
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
	return p.rerenderSitting(c, id, status, sittingForms{scoreFor: cid, score: typed, scoreErrs: errs})
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
	return p.show(c, status, "p_session", v)
}
