package web

import (
	"context"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/appcheck"
	"skillcert/models/validate"
	"skillcert/service"
	"skillcert/workflows"
)

// A task's decision form (laid out by decisionFormFor for the task page) and its submission,
// which goes through service.DecideTask and so SendDecision, as the JSON API's decisions do.

// minReasonRows is how many empty reason rows a decision form offers below those typed.
const minReasonRows = 3

// maxReasonRows bounds the reason rows read from a form.
const maxReasonRows = 20

// decisionForm is the form of a decision on a task, with what was typed and its errors.
type decisionForm struct {
	Action, RequestKey string
	Multipart          bool
	Outcomes           []outcomeChoice
	OutcomeErrors      []string
	ShowReasons        bool
	// ReasonsHint names the outcomes offered that need reasons ("选择“退回”时必须填写理由。").
	ReasonsHint                      string
	Reasons                          []reasonRow
	ReasonErrors                     []string
	Comment                          formField
	Score, ContactName, ContactPhone *formField
	// ConfirmOpen confirms a publication while leagues are still collecting.
	ConfirmOpen    *formField
	Approved       []approvedRow
	ApprovedErrors []string
	ShowApproved   bool
	Documents      []formField
	DocumentErrors []string
	// Rejects are the audit form's candidates that may be sent back, each with its reason.
	Rejects                                  []rejectRow
	RejectErrors                             []string
	ShowRejects                              bool
	Errors                                   []string
	OutcomeID                                string
	NeedsReasonsText, ApprovedHint, Document string
	// Hint says what to check before deciding (sitting tasks).
	Hint string
}

// rejectRow is a candidate the appraisal centre may send back for correction, with a reason.
type rejectRow struct {
	Summary       string
	Check, Reason formField
	Errors        []string
}

type outcomeChoice struct {
	Value, Label, ID string
	Checked          bool
	NeedsReasons     bool
}

type reasonRow struct {
	No             int
	Field, Message formField
}

type approvedRow struct {
	Index            int
	Code, Name       string
	Applied          string
	Checked          bool
	CheckID, CheckNm string
	Low, High        formField
	Errors           []string
}

// decisionInput is a decision form as typed.
type decisionInput struct {
	Outcome, Comment, Score, ContactName, ContactPhone, RequestKey string
	ConfirmOpen                                                    string
	Reasons                                                        []workflows.Reason
	Approved                                                       map[int]approvedInput
	// Rejects are the audit form's rows by candidate ID.
	Rejects map[string]rejectInput
}

type rejectInput struct {
	On     bool
	Reason string
}

// rejectPath is the form path of a candidate's row in the audit form.
func rejectPath(candidateID string) string { return "rejects." + candidateID }

type approvedInput struct {
	On        bool
	Low, High string
}

// decisionFormFor builds the decision form of a task's kind from what was typed (in) and the
// errors found (errs, may be nil). sit is the sitting of a sitting task (else nil).
func (p *Pages) decisionFormFor(c *gin.Context, t models.Task, cs *models.Case, sit *sittingInfo, in *decisionInput, errs *fieldBag) (*decisionForm, error) {
	spec := workflows.Kinds[t.Kind]
	f := &decisionForm{Action: taskHref(t.ID) + "/decide", RequestKey: service.RandomKey(), OutcomeID: "f-outcome"}
	values := make([]string, 0, len(spec.Outcomes))
	for o := range spec.Outcomes {
		values = append(values, o)
	}
	sort.Slice(values, func(i, j int) bool { return outcomeRank(values[i]) < outcomeRank(values[j]) })
	if t.Kind == workflows.KindRegionDecision {
		// Offer only the batches that still take cases (a published batch, or a supplementary
		// publication before both are published, would be refused).
		published, err := p.svc.PublishedBatches(c.Request.Context(), t.CaseID)
		if err != nil {
			return nil, err
		}
		values = slices.DeleteFunc(values, func(o string) bool {
			return domain.SelectionBatch(o) > 0 && domain.SelectionOpen(o, published) != ""
		})
	}
	for i, o := range values {
		oc := outcomeChoice{Value: o, Label: kindOutcomeName(t.Kind, o), ID: "f-outcome-" + o, NeedsReasons: spec.Outcomes[o], Checked: in.Outcome == o}
		if i == 0 {
			oc.ID = f.OutcomeID // the error summary links to the first choice
		}
		if len(values) == 1 {
			oc.Checked = true
		}
		f.Outcomes = append(f.Outcomes, oc)
		f.ShowReasons = f.ShowReasons || spec.Outcomes[o]
	}
	f.OutcomeErrors = errs.take("outcome")
	var needing []string
	for _, oc := range f.Outcomes {
		if oc.NeedsReasons {
			needing = append(needing, "“"+oc.Label+"”")
		}
	}
	if len(needing) > 0 {
		f.ReasonsHint = "选择" + strings.Join(needing, "或") + "时必须填写理由。"
	}

	switch t.Kind {
	case workflows.KindPrecheck, workflows.KindLeagueReview, workflows.KindFileWorkPlan, workflows.KindRegionDecision:
		f.ShowReasons = true
	case workflows.KindSubmitResults:
		f.Hint = "报送前请在考核批次页面登记全部考生并录入每名考生的成绩；报送后审核期间不能修改。"
	case workflows.KindCorrectResults:
		f.Hint = "请先在考核批次页面按退回理由更正被退回考生的成绩，然后重新报送审核。"
	case workflows.KindAuditResults, workflows.KindReviewObjection:
		// Reasons are given per candidate sent back, not per application field.
		f.ShowReasons, f.ShowRejects = false, true
		f.Rejects = rejectRows(sit, in, errs)
		f.RejectErrors = append(errs.takeUnder("reasons"), errs.takeUnder("rejects")...)
	}
	if f.ShowReasons {
		n := min(len(in.Reasons)+minReasonRows, maxReasonRows)
		for i := 0; i < n; i++ {
			var r workflows.Reason
			if i < len(in.Reasons) {
				r = in.Reasons[i]
			}
			path := fmt.Sprintf("reasons[%d]", i)
			f.Reasons = append(f.Reasons, reasonRow{No: i + 1,
				Field: formField{Name: path + ".field", ID: fieldID(path + ".field"), Label: fmt.Sprintf("意见%d 涉及内容", i+1), Kind: "select",
					Options: reviewFieldChoices(r.Field), Errors: errs.take(path + ".field")},
				Message: formField{Name: path + ".message", ID: fieldID(path + ".message"), Label: fmt.Sprintf("意见%d", i+1), Kind: "text",
					Value: r.Message, Errors: errs.take(path+".message", path), Wide: true}})
		}
		f.ReasonErrors = errs.takeUnder("reasons")
	}
	f.Comment = formField{Name: "comment", ID: "f-comment", Label: "办理意见（说明）", Kind: "textarea", Rows: 3, Value: in.Comment,
		Errors: errs.take("comment"), Wide: true}

	if t.Kind == workflows.KindRectify {
		f.Comment.Label, f.Comment.Rows, f.Comment.Required = "整改情况报告（采取的措施和结果）", 6, true
	}

	switch t.Kind {
	case workflows.KindExpertScore:
		f.Score = &formField{Name: "score", ID: "f-score", Label: "评分（0—100 分）", Kind: "number", Min: "0", Max: "100", InputMode: "numeric",
			Value: in.Score, Required: true, Errors: errs.take("score")}
	case workflows.KindPublish:
		open, err := p.svc.OpenLeaguesOf(c.Request.Context(), t.CampaignID)
		if err != nil {
			return nil, err
		}
		if open > 0 {
			n := strconv.Itoa(open)
			f.ConfirmOpen = &formField{Name: "confirm_open_leagues", ID: "f-confirm_open_leagues", Kind: "checkbox", Value: n,
				Checked: in.ConfirmOpen == n, Errors: errs.take("confirm_open_leagues"), Wide: true,
				Label: "尚有 " + n + " 个盟市未报送汇总表。我已知晓：现在公布后，这些盟市审定的企业只能列入以后的批次或补充公布。"}
		}
	case workflows.KindSubmitSummary:
		f.ContactName = &formField{Name: "contact_name", ID: "f-contact_name", Label: "填报单位联系人", Kind: "text", Value: in.ContactName,
			Required: true, Autocomplete: "name", Errors: errs.take("contact_name")}
		f.ContactPhone = &formField{Name: "contact_phone", ID: "f-contact_phone", Label: "联系电话", Kind: "tel", Value: in.ContactPhone,
			Required: true, Autocomplete: "tel", Hint: "固定电话如 (0471)6606214，或手机号码。", Errors: errs.take("contact_phone")}
	case workflows.KindWorkPlan:
		f.Multipart = true
		for _, k := range []string{"work_plan", "evaluation_spec"} {
			f.Documents = append(f.Documents, formField{Name: "doc." + k, ID: "f-doc-" + k, Label: documentKinds[k], Kind: "file",
				Required: true, Errors: errs.takeUnder("doc." + k)})
		}
		f.DocumentErrors = errs.takeUnder("documents")
	case workflows.KindRegionDecision:
		if cs == nil {
			break
		}
		app, err := p.db.ApplicationContent(c.Request.Context(), cs.ApplicationID, cs.ApplicationVersion)
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			return nil, err
		}
		f.ShowApproved = true
		f.ApprovedHint = "列入目录（含补充公布）时，勾选核准的职业（工种）并确定等级范围；核准范围不得超出申报范围。"
		for i, o := range app.Occupations {
			path := fmt.Sprintf("approved[%d]", i)
			ai, typed := in.Approved[i]
			low, high := o.Levels.Low, o.Levels.High
			checked := true
			if typed {
				checked, low, high = ai.On, parseLevel(ai.Low), parseLevel(ai.High)
			}
			f.Approved = append(f.Approved, approvedRow{Index: i, Code: o.Code, Name: o.Name, Applied: levelText(o.Levels), Checked: checked,
				CheckID: fieldID(path + ".code"), CheckNm: path + ".on",
				Low: formField{Name: path + ".low", ID: fieldID(path + ".levels"), Label: o.Name + " 核准最低等级", Kind: "select",
					Options: levelOptions(low)},
				High: formField{Name: path + ".high", ID: fieldID(path + ".levels-high"), Label: o.Name + " 核准最高等级", Kind: "select",
					Options: levelOptions(high)},
				Errors: errs.takeUnder(path)})
		}
		f.ApprovedErrors = errs.takeUnder("approved")
	}
	f.Errors = errs.rest()
	return f, nil
}

// ids are the element IDs of the form's inputs and groups, which its error summary links to.
func (f *decisionForm) ids() map[string]bool {
	known := map[string]bool{f.OutcomeID: true, f.Comment.ID: true}
	for _, x := range []*formField{f.Score, f.ContactName, f.ContactPhone, f.ConfirmOpen} {
		if x != nil {
			known[x.ID] = true
		}
	}
	known["f-reasons"], known["f-approved"], known["f-rejects"] = f.ShowReasons, f.ShowApproved, f.ShowRejects
	known["f-documents"] = len(f.Documents) > 0
	for _, r := range f.Reasons {
		known[r.Field.ID], known[r.Message.ID] = true, true
	}
	for _, r := range f.Approved {
		known[r.CheckID], known[r.Low.ID], known[r.High.ID] = true, true, true
	}
	for _, r := range f.Rejects {
		known[r.Check.ID], known[r.Reason.ID] = true, true
	}
	for _, d := range f.Documents {
		known[d.ID] = true
	}
	return known
}

// kindOutcomeLabels name outcomes whose general name would mislead for a kind of task.
var kindOutcomeLabels = map[string]map[string]string{
	workflows.KindAuditResults:        {"approve": "审核通过，进入公示", "reject": "退回勾选的考生更正"},
	workflows.KindReviewObjection:     {"dismiss": "异议不成立", "sustain": "异议成立，撤回勾选（或异议所涉）人员的认定结果并退回更正"},
	workflows.KindSubmitResults:       {"submit": "报送自治区职业技能鉴定管理中心审核"},
	workflows.KindCorrectResults:      {"resubmit": "更正后重新报送审核"},
	workflows.KindRectify:             {"submit": "报告整改情况"},
	workflows.KindVerifyRectification: {"accept": "整改到位", "return": "整改未到位，退回继续整改"},
}

// kindOutcomeName names an outcome of a kind of task as its decision form does.
func kindOutcomeName(kind, outcome string) string {
	if l, ok := kindOutcomeLabels[kind][outcome]; ok {
		return l
	}
	return outcomeName(outcome)
}

// rejectRows are the audit form's rows: every candidate who passed and has no certificate yet
// may be sent back, with a reason.
func rejectRows(sit *sittingInfo, in *decisionInput, errs *fieldBag) []rejectRow {
	if sit == nil {
		return nil
	}
	var out []rejectRow
	for _, x := range sit.Candidates {
		if !x.Passed || x.CertNumber != "" {
			continue
		}
		path := rejectPath(x.ID)
		typed := in.Rejects[x.ID]
		scores := "理论 " + x.Theory + " · 技能 " + x.Skill
		if sit.Review {
			scores += " · 综合评审 " + x.Review
		}
		out = append(out, rejectRow{Summary: x.Name + "（" + x.IDMasked + "）" + scores,
			Check: formField{Name: path + ".on", ID: fieldID(path + ".on"), Label: "退回 " + x.Name + " 更正", Kind: "checkbox", Value: "on",
				Checked: typed.On},
			Reason: formField{Name: path + ".reason", ID: fieldID(path + ".reason"), Label: x.Name + " 的退回理由", Kind: "text",
				Value: typed.Reason, Wide: true, Errors: errs.take(path + ".reason")},
			Errors: errs.takeUnder(path)})
	}
	return out
}

// outcomeRank orders outcomes: positive first, then returns, refusals last.
func outcomeRank(o string) int {
	order := []string{"pass", "accept", "approve", "score", "batch1", "batch2", "supplementary", "submit", "resubmit", "file", "publish", "acknowledge",
		"return", "rectify", "dismiss", "suspend", "remove", "not_selected", "reject"}
	for i, x := range order {
		if x == o {
			return i
		}
	}
	return len(order)
}

// readDecision reads a decision form as typed.
func readDecision(c *gin.Context) *decisionInput {
	in := &decisionInput{Outcome: c.PostForm("outcome"), Comment: strings.TrimSpace(c.PostForm("comment")),
		Score: strings.TrimSpace(c.PostForm("score")), ContactName: strings.TrimSpace(c.PostForm("contact_name")),
		ContactPhone: strings.TrimSpace(c.PostForm("contact_phone")), RequestKey: c.PostForm("request_key"),
		ConfirmOpen: c.PostForm("confirm_open_leagues"),
		Approved:    map[int]approvedInput{}}
	for i := 0; i < maxReasonRows; i++ {
		p := fmt.Sprintf("reasons[%d]", i)
		field, msg := strings.TrimSpace(c.PostForm(p+".field")), strings.TrimSpace(c.PostForm(p+".message"))
		if field == "" && msg == "" {
			continue
		}
		in.Reasons = append(in.Reasons, workflows.Reason{Field: field, Message: msg})
	}
	for i := 0; i < appcheck.MaxOccupations; i++ {
		p := fmt.Sprintf("approved[%d]", i)
		if _, ok := c.GetPostForm(p + ".low"); !ok {
			continue
		}
		in.Approved[i] = approvedInput{On: c.PostForm(p+".on") != "", Low: c.PostForm(p + ".low"), High: c.PostForm(p + ".high")}
	}
	for key, vals := range c.Request.PostForm {
		rest, ok := strings.CutPrefix(key, "rejects.")
		if !ok || len(vals) == 0 {
			continue
		}
		id, part, _ := strings.Cut(rest, ".")
		if in.Rejects == nil {
			in.Rejects = map[string]rejectInput{}
		}
		r := in.Rejects[id]
		switch part {
		case "on":
			r.On = vals[0] != ""
		case "reason":
			r.Reason = strings.TrimSpace(vals[0])
		}
		in.Rejects[id] = r
	}
	return in
}

// decide takes a decision from the task page. Errors in what was typed re-render the page with
// the form as typed; a decision taken goes back to the task page with a message.
func (p *Pages) decide(c *gin.Context) error {
	t, a, ok := p.api.TaskInScope(c, "read")
	if !ok {
		return nil
	}
	in := readDecision(c)
	res, errs, err := p.submitDecision(c, a, t, in)
	if err != nil {
		return err
	}
	if errs.empty() {
		p.flash(c, flashOK, decidedText(t.Kind, res))
		if isSessionKind(t.Kind) && a.User.Role == models.RoleEnterpriseUser {
			return seeOther(c, sessionHref(sessionIDOfTask(t)))
		}
		return seeOther(c, taskHref(t.ID))
	}
	v, err := p.taskView(c, a, t, in, errs)
	if err != nil {
		return err
	}
	if v.Decision == nil { // the task closed or moved on meanwhile
		v.Alert = strings.Join(errs.rest(), " ")
	} else {
		// Every message, including those shown beside their fields, in one summary at the top
		// of the page (the form is far below the application it decides on).
		v.TopErrors = errs.summary(v.Decision.ids(), "#decide")
	}
	return p.show(c, http.StatusUnprocessableEntity, "p_task", v)
}

// submitDecision checks a typed decision and sends it. It returns what the decision led to, or
// the errors to show next to the fields, or an error that is not the user's to fix.
func (p *Pages) submitDecision(c *gin.Context, a *service.Actor, t models.Task, in *decisionInput) (workflows.DecisionResult, *fieldBag, error) {
	var none workflows.DecisionResult
	ctx := c.Request.Context()
	errs := newFieldBag()
	if !p.svc.MayDecide(a, t) {
		if p.svc.ClaimedByColleague(a, t) {
			errs.add("", "该待办已由他人认领，请先由认领人释放或由管理员改派。")
			return none, errs, nil
		}
		_ = p.svc.Audit(ctx, a, models.AuditEntry{Action: "task.decide", ObjectType: "task", ObjectID: t.ID, Outcome: models.OutcomeDenied,
			JurisdictionCode: service.Truncate(t.JurisdictionCode, 6), Reason: "outside role or jurisdiction"})
		return none, nil, service.ErrForbidden
	}
	spec := workflows.Kinds[t.Kind]
	if _, ok := spec.Outcomes[in.Outcome]; !ok {
		if len(spec.Outcomes) == 1 {
			for o := range spec.Outcomes {
				in.Outcome = o
			}
		} else {
			errs.add("outcome", "请选择处理结果。")
		}
	}
	req := workflows.DecisionRequest{Outcome: in.Outcome, Comment: in.Comment, Reasons: in.Reasons}
	for i, r := range in.Reasons {
		if r.Message == "" {
			errs.add(fmt.Sprintf("reasons[%d].message", i), "请填写意见内容，或将“涉及内容”改回“请选择”。")
		}
	}
	// The workflow's own checks (reasons for a refusal, the rectification report, the score's
	// range) are made here too, so that the page lists every fault of the form at once instead
	// of the workflow's after the page's.
	if spec.Outcomes[in.Outcome] && t.Kind != workflows.KindAuditResults && len(in.Reasons) == 0 && in.Comment == "" {
		errs.add(defaultDecisionField(t.Kind, in.Outcome), "该处理结果必须填写理由：请至少填写一条意见，或在办理意见中说明。")
	}
	if t.Kind == workflows.KindRectify && in.Comment == "" {
		errs.add("comment", "请填写整改情况报告：采取了哪些整改措施、整改结果如何。")
	}
	switch t.Kind {
	case workflows.KindExpertScore:
		if n, err := strconv.Atoi(in.Score); err == nil && domain.Score.Check(int64(n)) == nil {
			req.Score = &n
		} else {
			errs.add("score", "请填写 0 至 100 之间的整数评分，如 85。")
		}
	case workflows.KindSubmitSummary:
		req.ContactName, req.ContactPhone = in.ContactName, in.ContactPhone
	case workflows.KindPublish:
		req.ConfirmOpenLeagues, _ = strconv.Atoi(in.ConfirmOpen)
	case workflows.KindAuditResults, workflows.KindReviewObjection:
		reasons, err := p.auditReasons(ctx, t, in, errs)
		if err != nil {
			return none, nil, err
		}
		req.Reasons = reasons
	case workflows.KindRegionDecision:
		if domain.SelectionBatch(in.Outcome) > 0 {
			var rows []int
			cs, err := p.db.CaseByID(ctx, t.CaseID)
			if err != nil {
				return none, nil, err
			}
			app, err := p.db.ApplicationContent(ctx, cs.ApplicationID, cs.ApplicationVersion)
			if err != nil && !errors.Is(err, models.ErrNotFound) {
				return none, nil, err
			}
			for i, o := range app.Occupations {
				if ai := in.Approved[i]; ai.On {
					req.Approved = append(req.Approved, workflows.ApprovedOccupation{Code: o.Code, Name: o.Name,
						Levels: validate.LevelRange{Low: parseLevel(ai.Low), High: parseLevel(ai.High)}})
					rows = append(rows, i)
				}
			}
			if err := p.svc.CheckApprovedScope(ctx, t.CaseID, req.Approved); err != nil {
				e := service.UserError(err)
				if e == nil {
					return none, nil, err
				}
				for _, fe := range e.Fields {
					errs.add(remapApproved(fe.Field, rows), fe.Message)
				}
			}
		}
	case workflows.KindWorkPlan:
		if len(errs.order) == 0 {
			docs, err := p.uploadDocuments(c, errs)
			if err != nil {
				return none, nil, err
			}
			req.Documents = docs
		} else {
			// Not stored while the form has other faults, but a missing file is said now.
			missingDocuments(c, errs)
		}
	}
	if !errs.empty() {
		return none, errs, nil
	}
	res, err := p.svc.DecideTask(ctx, a, t, req, in.RequestKey)
	if err != nil {
		e := service.UserError(err)
		if e == nil {
			return none, nil, err
		}
		if e.Code == "invalid_decision" || (e.Code == "wrong_state" && len(e.Fields) > 0) {
			// The workflow's refusal names the fields at fault in its details; one about the
			// decision as a whole goes to the decision's main field.
			for _, fe := range e.Fields {
				errs.add(fe.Field, fe.Message)
			}
			if len(e.Fields) == 0 {
				errs.add(defaultDecisionField(t.Kind, in.Outcome), e.Message)
			}
		} else {
			errs.add("", e.Message)
		}
		return none, errs, nil
	}
	return res, errs, nil
}

// decidedText says what a decision on a task of a kind led to.
func decidedText(kind string, res workflows.DecisionResult) string {
	s := "已办理：" + kindOutcomeName(kind, res.Outcome)
	if n, ok := workflows.StageNames[res.Stage]; ok {
		s += "，案件进入“" + n + "”阶段"
	} else if n, ok := sessionStatusNames[res.Stage]; ok {
		s += "，考核批次状态：" + n
	}
	return s + "。"
}

// defaultDecisionField is where a workflow's refusal without a field is shown.
func defaultDecisionField(kind, outcome string) string {
	switch {
	case workflows.Kinds[kind].Outcomes[outcome]:
		return "reasons"
	case kind == workflows.KindExpertScore:
		return "score"
	case kind == workflows.KindRegionDecision:
		return "approved"
	case kind == workflows.KindWorkPlan:
		return "documents"
	case kind == workflows.KindSubmitResults || kind == workflows.KindCorrectResults:
		return "" // about the sitting as a whole: above the form
	}
	return "outcome"
}

// auditReasons turns the audit form's candidate rows into the decision's reasons, one per
// candidate sent back ({field: candidate ID, message: reason}), in registration order.
func (p *Pages) auditReasons(ctx context.Context, t models.Task, in *decisionInput, errs *fieldBag) ([]workflows.Reason, error) {
	cands, err := p.db.Candidates(ctx, sessionIDOfTask(t))
	if err != nil {
		return nil, err
	}
	var out []workflows.Reason
	mixed := false
	// The audit sends back with "reject"; an objection's review withdraws with "sustain", and
	// without any ticked falls back to the person the objection names (the workflow's rule).
	back, named := "reject", false
	if t.Kind == workflows.KindReviewObjection {
		back = "sustain"
		if o, err := p.db.ObjectionByTask(ctx, t.ID); err == nil && o.CandidateID != "" {
			named = true
		}
	}
	for _, x := range cands {
		r, ok := in.Rejects[x.ID]
		switch {
		case !ok || (!r.On && r.Reason == ""):
		case !r.On:
			errs.add(rejectPath(x.ID)+".reason", "已填写理由但未勾选退回："+x.Name+"。请勾选退回，或清空理由。")
		case in.Outcome != back:
			if !mixed {
				msg := "选择“审核通过”时不能勾选退回的考生；如需退回，请选择“退回勾选的考生更正”。"
				if back == "sustain" {
					msg = "选择“异议不成立”时不能勾选人员；如异议成立，请选择“异议成立”。"
				}
				errs.add("rejects", msg)
			}
			mixed = true
		case r.Reason == "":
			errs.add(rejectPath(x.ID)+".reason", "请填写退回 "+x.Name+" 的理由。")
		default:
			out = append(out, workflows.Reason{Field: x.ID, Message: r.Reason})
		}
	}
	if in.Outcome == back && !named && len(out) == 0 && errs.empty() {
		errs.add("rejects", "请勾选要退回更正的考生，并逐一填写退回理由。")
	}
	return out, nil
}

// remapApproved turns "approved[j].levels" (j-th approved occupation) into the form row's path.
func remapApproved(field string, rows []int) string {
	rest, ok := strings.CutPrefix(field, "approved[")
	if !ok {
		return field
	}
	num, tail, ok := strings.Cut(rest, "]")
	j, err := strconv.Atoi(num)
	if !ok || err != nil || j < 0 || j >= len(rows) {
		return "approved"
	}
	return fmt.Sprintf("approved[%d]%s", rows[j], tail)
}

// missingDocuments adds an error for each document of a work plan submission with no file.
func missingDocuments(c *gin.Context, errs *fieldBag) {
	for _, k := range []string{"work_plan", "evaluation_spec"} {
		if documentFile(c, k) == nil {
			errs.add("doc."+k, "请选择"+documentKinds[k]+"文件。")
		}
	}
}

// documentFile is the file posted for a document kind, or nil.
func documentFile(c *gin.Context, kind string) *multipart.FileHeader {
	form := c.Request.MultipartForm
	if form != nil && len(form.File["doc."+kind]) > 0 && form.File["doc."+kind][0].Filename != "" {
		return form.File["doc."+kind][0]
	}
	return nil
}

// uploadDocuments stores the work plan and the evaluation specification of a work plan
// submission through the attachments API.
func (p *Pages) uploadDocuments(c *gin.Context, errs *fieldBag) ([]workflows.Document, error) {
	var docs []workflows.Document
	for _, k := range []string{"work_plan", "evaluation_spec"} {
		fh := documentFile(c, k)
		if fh == nil {
			errs.add("doc."+k, "请选择"+documentKinds[k]+"文件。")
			continue
		}
		ref, err := p.uploadFile(c, k, fh)
		if e := service.UserError(err); e != nil {
			for _, m := range uploadMessages(e) {
				errs.add("doc."+k, m)
			}
			continue
		} else if err != nil {
			return nil, err
		}
		docs = append(docs, workflows.Document{Kind: k, AttachmentID: ref.ID, Name: ref.Name})
	}
	return docs, nil
}

// prettyReasons replaces the form's field paths in a text written by the workflow (reasons
// "contact.mobile：…", timeline summaries) by their Chinese names.
func prettyReasons(s string) string {
	return fieldPathInText.ReplaceAllStringFunc(s, func(m string) string {
		path := strings.TrimSuffix(m, "：")
		if l := fieldLabel(path); l != path {
			return l + "："
		}
		return m
	})
}

var fieldPathInText = regexp.MustCompile(`[a-z_]+(?:\[\d+\])?(?:\.[a-z_]+(?:\[\d+\])?)*：`)
