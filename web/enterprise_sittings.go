package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/service"
	"skillcert/workflows"
)

// assessmentRoutes registers the enterprise's sitting pages.
func (p *Pages) assessmentRoutes(r *gin.Engine, login gin.HandlerFunc) {
	r.GET("/sessions", login, p.api.Page(p.sessionsPage))
	r.POST("/sessions/plan", login, p.api.CSRF, p.api.Page(p.planSession))
	r.GET("/sessions/:id", login, p.api.Page(p.sessionPage))
	r.POST("/sessions/:id/candidates", login, p.api.CSRF, p.api.Page(p.addCandidate))
	r.POST("/sessions/:id/candidates/:cid/scores", login, p.api.CSRF, p.api.Page(p.setCandidateScores))
	r.POST("/sessions/:id/candidates/:cid/photo", login, p.api.CSRF, p.api.Page(p.setCandidatePhoto))
	r.POST("/sessions/:id/records", login, p.api.LimitUpload, p.api.CSRF, p.api.Page(p.uploadSittingRecord))
	p.sittingBulkRoutes(r, login)
}

// maxAssessorChoices bounds the assessor keys read from a form.
const maxAssessorChoices = 50

// errNoSittings answers a user without an enterprise on the enterprise's sitting list.
var errNoSittings = service.NewError(http.StatusNotFound, "no_enterprise", "只有试点企业用户才有本单位的考核批次；主管部门可从待办事项进入具体考核批次。")

// sessionStatusNames are the Chinese names of a sitting's states.
var sessionStatusNames = map[string]string{
	models.SessionOpen:       "登记考生、录入成绩中",
	models.SessionSubmitted:  "结果待自治区职业技能鉴定管理中心审核",
	models.SessionCorrecting: "退回更正中",
	models.SessionIssued:     "审核通过，已发证",
	models.SessionPublicity:  "审核通过，公示中（公示期满无异议后发证）",
}

// candidateResultNames: see display.go.

// sessionHref is the page of a sitting.
func sessionHref(id string) string { return "/sessions/" + url.PathEscape(id) }

// isSessionKind reports whether a task kind belongs to a sitting's workflow.
func isSessionKind(kind string) bool {
	return kind == workflows.KindSubmitResults || kind == workflows.KindCorrectResults || kind == workflows.KindAuditResults ||
		kind == workflows.KindReviewObjection
}

// sessionIDOfTask is the sitting a sitting task belongs to (its workflow ID is SessionWorkflowID).
func sessionIDOfTask(t models.Task) string {
	return strings.TrimPrefix(t.WorkflowID, workflows.SessionWorkflowID(""))
}

func levelName(l int) string {
	if !validate.Level(l).Valid() {
		return ""
	}
	return validate.Level(l).Name()
}

func scoreText(v *int) string {
	if v == nil {
		return ""
	}
	return strconv.Itoa(*v)
}

// sessionsView is p_sessions.html's data.
type sessionsView struct {
	pageView
	// NoCase: the enterprise has no case yet; Stage and StageNote say where its case stands.
	NoCase           bool
	Stage, StageNote string
	Scope            []string
	Sittings         []sittingRow
	Plan             *planForm
}

type sittingRow struct {
	Href, Occupation, Level, ExamDate, Site, Status string
	Task                                            *taskLink
}

// taskLink is an open task of a sitting as its pages link to it.
type taskLink struct {
	Href, Title, Due, Who string
	SLA                   marker
	Mine                  bool
}

// planForm is the form planning a sitting, with what was typed and its errors.
type planForm struct {
	// RequestKey is new at each rendering: a double submission plans one sitting.
	Action, RequestKey                          string
	Occupation, WorkType, Level, ExamDate, Site formField
	// Assessors are the 考评人员 declared in the application, each a checkbox.
	Assessors      []assessorChoice
	AssessorErrors []string
	Summary        []errorLink
}

// assessorChoice is a declared assessor as the plan form offers it: the checkbox's value is
// the declared assessor's key, the ID number is shown masked.
type assessorChoice struct {
	ID, Value, Name, IDMasked, Title, Employer, Occupation string
	Checked                                                bool
}

// planInput is the plan form as typed.
type planInput struct {
	Occupation, WorkType, Level, ExamDate, Site, RequestKey string
	AssessorIDs                                             []string
}

// enterpriseCase finds the caller's enterprise's pilot case (the active one, else the most
// recent) and reads it (ReadCase); nil when the enterprise has no case yet.
func (p *Pages) enterpriseCase(c *gin.Context) (*service.CaseDetail, error) {
	a := api.ActorFrom(c)
	if a.User.Role != models.RoleEnterpriseUser || a.User.Enterprise() == "" {
		return nil, errNoSittings
	}
	list, _, err := p.db.Cases(c.Request.Context(), models.CaseFilter{EnterpriseID: a.User.Enterprise(), Limit: 50})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, nil
	}
	pick := list[0]
	for _, x := range list {
		if x.Stage == workflows.StageActive {
			pick = x
			break
		}
	}
	cd, err := p.svc.ReadCase(c.Request.Context(), a, pick.ID)
	if err != nil {
		return nil, err
	}
	return &cd, nil
}

// approvedScope is a case's approved occupations and level ranges.
func approvedScope(cs models.Case) []workflows.ApprovedOccupation {
	var ap []workflows.ApprovedOccupation
	if cs.ApprovedJSON != "" {
		_ = json.Unmarshal([]byte(cs.ApprovedJSON), &ap)
	}
	return ap
}

// sessionsPage lists the enterprise's sittings and, while its pilot is active, the plan form.
func (p *Pages) sessionsPage(c *gin.Context) error {
	cd, err := p.enterpriseCase(c)
	if err != nil {
		return err
	}
	v, err := p.sessionsView(c, cd, &planInput{}, nil)
	if err != nil {
		return err
	}
	return p.show(c, http.StatusOK, "p_sessions", v)
}

// planSession plans a sitting (PlanSitting) with the assessors ticked among those declared in
// the application; a refusal comes back with its messages beside the fields and everything typed.
func (p *Pages) planSession(c *gin.Context) error {
	cd, err := p.enterpriseCase(c)
	if err != nil {
		return err
	}
	if cd == nil {
		p.flash(c, flashError, "贵单位尚无试点案件，不能安排考核批次。")
		return seeOther(c, "/sessions")
	}
	in := readPlan(c)
	var errs validate.Errors
	level, _ := strconv.Atoi(in.Level)
	if in.Occupation == "" {
		errs.Add("occupation_code", "required", "请选择认定的职业（工种）。")
	}
	if level == 0 {
		errs.Add("level", "required", "请选择认定等级。")
	}
	status := http.StatusUnprocessableEntity
	if len(errs) == 0 {
		res, err := p.svc.PlanSitting(c.Request.Context(), api.ActorFrom(c), service.PlanSittingInput{CaseID: cd.ID, PlanBody: service.PlanBody{OccupationCode: in.Occupation,
			WorkType: in.WorkType, Level: level, ExamDate: in.ExamDate, Site: in.Site, AssessorIDs: in.AssessorIDs, RequestKey: in.RequestKey}})
		if err == nil {
			p.flash(c, flashOK, "考核批次已安排（"+levelName(level)+"，考核日期 "+in.ExamDate+"）。请登记考生并录入成绩。")
			return seeOther(c, sessionHref(res.SessionID))
		}
		e := service.UserError(service.ToError(err))
		if e == nil {
			return err
		}
		status, errs = e.Status, e.Fields
		if len(errs) == 0 {
			errs = validate.Errors{{Message: e.Message}}
		}
	}
	v, err := p.sessionsView(c, cd, in, errs)
	if err != nil {
		return err
	}
	if v.Plan == nil { // no longer plannable: say why at the top
		for _, x := range errs {
			v.Alert = strings.TrimSpace(v.Alert + " " + x.Message)
		}
	}
	return p.show(c, status, "p_sessions", v)
}

// readPlan reads the plan form as typed, the ticked assessors in the order offered.
func readPlan(c *gin.Context) *planInput {
	in := &planInput{Occupation: strings.TrimSpace(c.PostForm("occupation_code")), WorkType: strings.TrimSpace(c.PostForm("work_type")),
		Level: strings.TrimSpace(c.PostForm("level")), ExamDate: strings.TrimSpace(c.PostForm("exam_date")), Site: strings.TrimSpace(c.PostForm("site")),
		RequestKey: c.PostForm("request_key")}
	for _, id := range c.PostFormArray("assessor_ids") {
		if id = strings.TrimSpace(id); id != "" && len(in.AssessorIDs) < maxAssessorChoices {
			in.AssessorIDs = append(in.AssessorIDs, id)
		}
	}
	return in
}

// sessionsView lays out the sitting list and, for an active pilot, the plan form as typed.
func (p *Pages) sessionsView(c *gin.Context, cd *service.CaseDetail, in *planInput, errs validate.Errors) (*sessionsView, error) {
	v := &sessionsView{pageView: pageView{pageData: pageData{Title: navSessions.Label}}}
	if cd == nil {
		v.NoCase = true
		return v, nil
	}
	v.Stage = stageName(cd.Stage)
	switch cd.Stage {
	case workflows.StageActive:
	case workflows.StageSuspended:
		v.StageNote = "贵单位的试点已暂停，暂停期间不得组织认定；恢复后可继续安排考核批次。"
	case workflows.StageClosed:
		v.StageNote = "贵单位的试点案件已结束，不能再安排考核批次。"
	default:
		v.StageNote = "贵单位当前处于“" + v.Stage + "”阶段。工作方案经自治区备案、进入“" + stageName(workflows.StageActive) +
			"”阶段后，方可在核准的职业（工种）和等级范围内安排考核批次。"
	}
	scope := approvedScope(cd.Case)
	for _, o := range scope {
		v.Scope = append(v.Scope, o.Name+"（"+o.Code+"）"+levelText(o.Levels))
	}

	list, err := p.svc.ListSittings(c.Request.Context(), api.ActorFrom(c), cd.ID)
	if err != nil {
		return nil, err
	}
	for _, s := range list {
		row := sittingRow{Href: sessionHref(s.ID), Occupation: occupationText(s), Level: levelName(s.Level), ExamDate: p.day(s.ExamDate),
			Site: s.Site, Status: sessionStatusNames[s.Status]}
		if tl := p.sittingTasks(c, cd.Tasks, s.ID); len(tl) > 0 {
			row.Task = &tl[0]
		}
		v.Sittings = append(v.Sittings, row)
	}
	if cd.Stage == workflows.StageActive {
		declared, err := p.svc.DeclaredAssessors(c.Request.Context(), api.ActorFrom(c), cd.ID)
		if err != nil {
			return nil, err
		}
		v.Plan = planFormFor(scope, declared, in, errs)
	}
	return v, nil
}

// occupationText names a sitting's occupation and 工种.
func occupationText(s models.AssessmentSession) string {
	out := s.OccupationName
	if out == "" {
		out = s.OccupationCode
	}
	if s.WorkType != "" {
		out += "（" + s.WorkType + "）"
	}
	return out
}

// planFormFor builds the plan form: the occupation from the approved scope only, the levels
// within the approved ranges, the assessors from those declared in the application (ticked as
// sent).
func planFormFor(scope []workflows.ApprovedOccupation, declared []service.DeclaredAssessor, in *planInput, errs validate.Errors) *planForm {
	bag := newFieldBag()
	bag.addAll(errs)
	known := map[string]bool{}
	field := func(path, label, kind, value string) formField {
		f := formField{Name: path, ID: fieldID(path), Label: label, Kind: kind, Value: value, Errors: bag.take(path)}
		known[f.ID] = true
		return f
	}
	f := &planForm{Action: "/sessions/plan", RequestKey: service.RandomKey()}

	f.Occupation = field("occupation_code", "职业（工种）", "select", in.Occupation)
	f.Occupation.Required, f.Occupation.Hint = true, "只能在核准的认定范围内选择。"
	f.Occupation.Options = []choice{{Value: "", Label: "请选择", Selected: in.Occupation == ""}}
	var union validate.LevelRange
	for _, o := range scope {
		f.Occupation.Options = append(f.Occupation.Options, choice{Value: o.Code, Label: o.Name + "（" + o.Code + "）" + levelText(o.Levels),
			Selected: o.Code == in.Occupation})
		if union.Low == 0 || o.Levels.Low > union.Low {
			union.Low = o.Levels.Low
		}
		if union.High == 0 || o.Levels.High < union.High {
			union.High = o.Levels.High
		}
	}
	f.WorkType = field("work_type", "工种（无则不填）", "text", in.WorkType)

	f.Level = field("level", "认定等级", "select", in.Level)
	f.Level.Required = true
	f.Level.Options = []choice{{Value: "", Label: "请选择", Selected: in.Level == ""}}
	for _, ch := range levelOptions(parseLevel(in.Level))[1:] {
		if union.Contains(parseLevel(ch.Value)) {
			f.Level.Options = append(f.Level.Options, ch)
		}
	}
	if len(scope) > 1 {
		f.Level.Hint = "须在所选职业（工种）的核准等级范围内。"
	}
	f.ExamDate = field("exam_date", "考核日期", "date", in.ExamDate)
	f.ExamDate.Required, f.ExamDate.Hint = true, "如 2027-09-01，不能早于今天。"
	f.Site = field("site", "考核地点", "text", in.Site)
	f.Site.Required, f.Site.Wide = true, true

	for i, d := range declared {
		f.Assessors = append(f.Assessors, assessorChoice{ID: fieldID(fmt.Sprintf("assessor_ids[%d]", i)), Value: d.ID, Name: d.Name,
			IDMasked: d.IDMasked, Title: d.Title, Employer: d.Employer, Occupation: d.Occupation, Checked: slices.Contains(in.AssessorIDs, d.ID)})
	}
	known[fieldID("assessor_ids")] = true
	f.AssessorErrors = bag.takeUnder("assessor_ids")
	f.Summary = summaryLinks(errs, known)
	return f
}

// sittingTasks are a case's open tasks of one sitting, as links.
func (p *Pages) sittingTasks(c *gin.Context, tasks []models.Task, sessionID string) []taskLink {
	a := api.ActorFrom(c)
	var out []taskLink
	for _, t := range tasks {
		if t.WorkflowID != workflows.SessionWorkflowID(sessionID) || t.Status != models.TaskOpen {
			continue
		}
		out = append(out, taskLink{Href: taskHref(t.ID), Title: service.KindTitle(t.Kind), Due: p.when(t.DueAt), Who: models.RoleNames[t.CandidateRole],
			SLA: p.slaBadge(t.SLAState, t.DueAt), Mine: p.svc.MayDecide(a, t)})
	}
	return out
}
