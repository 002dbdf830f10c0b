package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/models"
	"skillcert/service"
	"skillcert/workflows"
)

// inboxPageSize is the number of tasks per inbox page.
const inboxPageSize = 20

// maxBulk bounds one bulk decision: each is a workflow Update that waits for its answer.
const maxBulk = 50

// kindOrder and stageOrder list task kinds and case stages in the order of the process.
var (
	kindOrder = []string{workflows.KindPrecheck, workflows.KindLeagueReview, workflows.KindCorrection, workflows.KindSubmitSummary,
		workflows.KindSupplementarySummary, workflows.KindLeagueOverdue, workflows.KindExpertScore, workflows.KindRegionDecision, workflows.KindPublish,
		workflows.KindWorkPlan, workflows.KindFileWorkPlan, workflows.KindSubmitResults, workflows.KindAuditResults,
		workflows.KindCorrectResults, workflows.KindVerifyComplaint, workflows.KindComplaintDecision, workflows.KindRectify,
		workflows.KindVerifyRectification}
	stageOrder = workflows.Stages
)

// bulkOutcomes are the decisions that may be taken for many tasks at once: those that need
// neither reasons nor any other input.
var bulkOutcomes = []struct{ kind, outcome string }{
	{workflows.KindPrecheck, "pass"},
	{workflows.KindLeagueReview, "accept"},
	{workflows.KindFileWorkPlan, "file"},
	{workflows.KindLeagueOverdue, "acknowledge"},
}

func bulkAllowed(kind, outcome string) bool {
	for _, b := range bulkOutcomes {
		if b.kind == kind && b.outcome == outcome {
			return true
		}
	}
	return false
}

// inboxView is p_inbox.html's data.
type inboxView struct {
	pageView
	View         string
	Tabs         []tabLink
	FilterFields []formField
	Rows         []inboxRow
	Total        int64
	Page, Pages  int
	PrevHref     string
	NextHref     string
	ReturnTo     string
	Bulk         *bulkChoice
	Filtered     bool
}

// tabLink is one tab of a tab bar of links.
type tabLink struct {
	Href, Label string
	Current     bool
}

// inboxRow is one task of the inbox.
type inboxRow struct {
	ID, Href, Title, KindName, Enterprise, Stage, Due, Assignee string
	SLA                                                         marker
	Version                                                     int
	CanClaim, CanUnclaim, Selectable                            bool
}

// bulkChoice is the bulk form's outcome select and its request key.
type bulkChoice struct {
	Outcomes   []choice
	RequestKey string
}

// inbox lists the caller's tasks: claimed by them (mine), their unit's unclaimed queue (unit)
// or everything open in their jurisdiction (all), filtered, sorted by due time and paged.
func (p *Pages) inbox(c *gin.Context) error {
	ctx := c.Request.Context()
	a := api.ActorFrom(c)
	q := c.Request.URL.Query()
	v := &inboxView{pageView: pageView{pageData: pageData{Title: "待办事项"}}}

	onlyMine := service.OnlyOwnTasks(a.User.Role)
	v.View = q.Get("view")
	chosen := v.View == models.ViewMine || v.View == models.ViewUnit || v.View == models.ViewAll
	switch {
	case onlyMine:
		v.View = models.ViewMine // experts and supervisors see only what they were drawn for
	case chosen:
	case a.User.Role == models.RoleSysadmin:
		v.View = models.ViewAll // administrators claim nothing; they watch
	default:
		v.View = models.ViewMine
	}

	f := service.InboxFilter(a, v.View, p.api.Subtree(c))
	f.Desc, f.Limit = q.Get("sort") == "-due", inboxPageSize
	errs := newFieldBag()
	if k := q.Get("kind"); workflows.Kinds[k].Title != "" {
		f.Kind = k
	}
	if st := q.Get("stage"); workflows.StageNames[st] != "" {
		f.Stage = st
	}
	if sla := q.Get("sla"); slaNames[sla] != "" {
		f.SLA = sla
	}
	if b := q.Get("batch"); b == "1" || b == "2" {
		f.Batch, _ = strconv.Atoi(b)
	}
	leagues := p.leaguesUnder(c, a.Jurisdiction)
	for _, l := range leagues {
		if l.Code == q.Get("league") {
			f.League = l.Code
		}
	}
	if d := strings.TrimSpace(q.Get("due_before")); d != "" {
		if t, err := time.ParseInLocation("2006-01-02", d, p.svc.Location()); err == nil {
			f.DueBefore = &t
		} else {
			errs.add("due_before", "请输入日期，如 2027-05-20。")
		}
	}
	v.Page, _ = strconv.Atoi(q.Get("page"))
	v.Page = max(v.Page, 1)
	f.Offset = (v.Page - 1) * inboxPageSize
	v.Filtered = f.Kind != "" || f.Stage != "" || f.SLA != "" || f.Batch != 0 || f.League != "" || f.DueBefore != nil

	// Each tab says how much it holds; an inbox opened without a choice opens on the unit's
	// queue when the caller holds nothing yet but the queue has work.
	tabs := []struct{ view, label string }{{models.ViewMine, "我的待办"}, {models.ViewUnit, "本单位待认领"}, {models.ViewAll, "辖区全部"}}
	if onlyMine {
		tabs = tabs[:1]
	}
	counts := map[string]int64{}
	for _, t := range tabs {
		tf := f
		tf.View = service.InboxFilter(a, t.view, f.Jurisdictions).View
		n, err := p.db.InboxCount(ctx, tf)
		if err != nil {
			return err
		}
		counts[t.view] = n
	}
	if !chosen && !onlyMine && v.View == models.ViewMine && counts[models.ViewMine] == 0 && counts[models.ViewUnit] > 0 {
		v.View, f.View = models.ViewUnit, models.ViewUnit
	}
	tasks, _, err := p.db.InboxPage(ctx, f)
	if err != nil {
		return err
	}
	total := counts[v.View] // the tab's count is the page's total
	v.Total = total
	v.Pages = max(int((total+inboxPageSize-1)/inboxPageSize), 1)
	v.ReturnTo = c.Request.URL.RequestURI()

	for _, t := range tabs {
		v.Tabs = append(v.Tabs, tabLink{Href: inboxHref(q, map[string]string{"view": t.view, "page": ""}),
			Label: fmt.Sprintf("%s（%d）", t.label, counts[t.view]), Current: t.view == v.View})
	}
	if v.Page > 1 {
		v.PrevHref = inboxHref(q, map[string]string{"view": v.View, "page": strconv.Itoa(v.Page - 1)})
	}
	if v.Page < v.Pages {
		v.NextHref = inboxHref(q, map[string]string{"view": v.View, "page": strconv.Itoa(v.Page + 1)})
	}
	v.FilterFields = p.inboxFilterFields(q, leagues, errs)

	users := map[string]string{}
	bulkKinds := map[string]bool{}
	for _, t := range tasks {
		row := inboxRow{ID: t.ID, Href: taskHref(t.ID), Title: t.Title, KindName: service.KindTitle(t.Kind), Enterprise: t.EnterpriseName,
			Stage: stageName(t.Stage), Due: p.when(t.DueAt), SLA: p.slaBadge(t.SLAState, t.DueAt), Version: t.Version}
		switch {
		case t.AssigneeID == a.User.ID:
			row.Assignee, row.CanUnclaim = "我", p.svc.MayUnclaim(a, t)
		case t.AssigneeID != "":
			row.Assignee = p.userName(ctx, users, t.AssigneeID)
		default:
			row.CanClaim = p.svc.MayClaim(a, t)
		}
		for _, b := range bulkOutcomes {
			if b.kind == t.Kind && p.svc.MayDecide(a, t) {
				row.Selectable, bulkKinds[t.Kind] = true, true
			}
		}
		v.Rows = append(v.Rows, row)
	}
	if len(bulkKinds) > 0 {
		v.Bulk = &bulkChoice{RequestKey: service.RandomKey(), Outcomes: []choice{{Value: "", Label: "请选择处理结果", Selected: true}}}
		for _, b := range bulkOutcomes {
			if bulkKinds[b.kind] {
				v.Bulk.Outcomes = append(v.Bulk.Outcomes, choice{Value: b.kind + ":" + b.outcome,
					Label: service.KindTitle(b.kind) + " → " + outcomeName(b.outcome)})
			}
		}
	}
	if a.User.Role == models.RoleSupervisor && v.Flash == "" {
		v.Flash = p.supervisionInboxNote(c) // drawn sittings are not tasks (official_supervision_draws.go)
	}
	return p.show(c, http.StatusOK, "p_inbox", v)
}

// inboxHref is the inbox URL with some query parameters replaced (an empty value removes one).
func inboxHref(q url.Values, set map[string]string) string {
	n := url.Values{}
	for k, vs := range q {
		n[k] = vs
	}
	for k, v := range set {
		if v == "" {
			n.Del(k)
		} else {
			n.Set(k, v)
		}
	}
	if len(n) == 0 {
		return "/inbox"
	}
	return "/inbox?" + n.Encode()
}

// inboxFilterFields are the inbox's filter form fields, with the current values.
func (p *Pages) inboxFilterFields(q url.Values, leagues []models.Jurisdiction, errs *fieldBag) []formField {
	kinds := []choice{{Value: "", Label: "全部类型"}}
	for _, k := range kindOrder {
		kinds = append(kinds, choice{Value: k, Label: service.KindTitle(k), Selected: q.Get("kind") == k})
	}
	stages := []choice{{Value: "", Label: "全部阶段"}}
	for _, s := range stageOrder {
		stages = append(stages, choice{Value: s, Label: stageName(s), Selected: q.Get("stage") == s})
	}
	fields := []formField{
		{Name: "kind", ID: "f-kind", Label: "待办类型", Kind: "select", Options: kinds},
		{Name: "stage", ID: "f-stage", Label: "所处阶段", Kind: "select", Options: stages},
	}
	if len(leagues) > 1 {
		ls := []choice{{Value: "", Label: "全部盟市"}}
		for _, l := range leagues {
			ls = append(ls, choice{Value: l.Code, Label: l.Name, Selected: q.Get("league") == l.Code})
		}
		fields = append(fields, formField{Name: "league", ID: "f-league", Label: "盟市", Kind: "select", Options: ls})
	}
	fields = append(fields,
		formField{Name: "due_before", ID: "f-due_before", Label: "截止日期早于", Kind: "date", Value: q.Get("due_before"),
			Errors: errs.take("due_before")},
		formField{Name: "sla", ID: "f-sla", Label: "时限状态", Kind: "select", Options: choices(q.Get("sla"),
			"", "全部", models.SLAOverdue, "逾期", models.SLADueSoon, "即将到期", models.SLAOnTime, "正常")},
		formField{Name: "batch", ID: "f-batch", Label: "批次", Kind: "select", Options: choices(q.Get("batch"), "", "全部批次", "1", "第一批", "2", "第二批")},
		formField{Name: "sort", ID: "f-sort", Label: "排序", Kind: "select", Options: choices(q.Get("sort"), "due", "截止时间由近到远", "-due", "截止时间由远到近")},
	)
	return fields
}

// userName returns a user's display name, remembered in seen for the page.
func (p *Pages) userName(ctx context.Context, seen map[string]string, id string) string {
	if n, ok := seen[id]; ok {
		return n
	}
	n := "其他人员"
	if u, err := p.db.UserByID(ctx, id); err == nil {
		n = u.DisplayName
	}
	seen[id] = n
	return n
}

// claim and unclaim take a task from the unit's queue and give it back. They call the same use
// cases as the API, which check the version the page showed.
func (p *Pages) claim(c *gin.Context) error { return p.claimAction(c, p.svc.ClaimTask, "已认领") }

func (p *Pages) unclaim(c *gin.Context) error {
	return p.claimAction(c, p.svc.UnclaimTask, "已释放回本单位待认领队列")
}

func (p *Pages) claimAction(c *gin.Context, change func(context.Context, *service.Actor, service.AssignInput) (models.Task, error), done string) error {
	id := c.Param("id")
	back := localPath(c.PostForm("return_to"), taskHref(id))
	version, err := strconv.Atoi(c.PostForm("version"))
	if err != nil || version < 1 {
		p.flash(c, flashError, "页面已过期，请刷新后重试。")
		return seeOther(c, back)
	}
	t, err := change(c.Request.Context(), api.ActorFrom(c), service.AssignInput{TaskID: id, Version: version})
	if err != nil {
		return p.backWithError(c, back, service.ToError(err))
	}
	p.flash(c, flashOK, done+"："+t.Title)
	return seeOther(c, back)
}

// bulkRefused answers, alike, a task the caller may not decide (outside its role or
// jurisdiction, or claimed by someone else) and one that does not exist.
const bulkRefused = "无权办理或不存在。"

// bulkView is p_bulk.html's data: one result per task.
type bulkView struct {
	pageView
	Outcome  string
	Results  []bulkResult
	OK, Fail int
	Back     string
}

type bulkResult struct {
	Title, Href, Detail string
	OK                  bool
}

// bulkDecide takes one decision (one that needs no reasons) on every selected task and lists
// what happened to each. Each decision is a separate Update keyed by the task and the page's
// request key, so submitting the same page twice acts once per task.
func (p *Pages) bulkDecide(c *gin.Context) error {
	ctx := c.Request.Context()
	a := api.ActorFrom(c)
	back := localPath(c.PostForm("return_to"), "/inbox")
	kind, outcome, _ := strings.Cut(c.PostForm("outcome"), ":")
	ids := c.PostFormArray("task_id")
	key := c.PostForm("request_key")
	switch {
	case !bulkAllowed(kind, outcome):
		p.flash(c, flashError, "请选择批量处理结果。")
		return seeOther(c, back)
	case len(ids) == 0:
		p.flash(c, flashError, "请先勾选要批量处理的待办。")
		return seeOther(c, back)
	case len(ids) > maxBulk:
		p.flash(c, flashError, fmt.Sprintf("一次最多批量处理 %d 项待办。", maxBulk))
		return seeOther(c, back)
	case key == "":
		key = service.RandomKey()
	}
	v := &bulkView{pageView: pageView{pageData: pageData{Title: "批量处理结果"}}, Back: back,
		Outcome: service.KindTitle(kind) + " → " + outcomeName(outcome)}
	for _, id := range ids {
		// A task the caller may not decide, or that does not exist, is named by nothing but
		// the ID that was sent: its title carries the enterprise's name.
		r := bulkResult{Title: service.Truncate(id, 64), Href: taskHref(id), Detail: bulkRefused}
		t, err := p.db.TaskByID(ctx, id)
		switch {
		case err != nil:
			if e := service.ToError(err); e.Status >= 500 {
				r.Detail = e.Message
			}
		case !p.svc.MayDecide(a, t):
			_ = p.svc.Audit(ctx, a, models.AuditEntry{Action: "task.decide", ObjectType: "task", ObjectID: t.ID, Outcome: models.OutcomeDenied,
				JurisdictionCode: service.Truncate(t.JurisdictionCode, 6), Reason: "bulk: outside role, jurisdiction or claim"})
		case t.Kind != kind:
			r.Title = t.Title
			r.Detail = fmt.Sprintf("该待办是“%s”，不能按“%s”批量处理。", service.KindTitle(t.Kind), v.Outcome)
		default:
			r.Title = t.Title
			res, err := p.svc.DecideTask(ctx, a, t, workflows.DecisionRequest{Outcome: outcome, Comment: strings.TrimSpace(c.PostForm("comment"))}, key)
			if err != nil {
				r.Detail = service.ToError(err).Message
			} else {
				r.OK, r.Detail = true, "已办理，案件进入“"+stageName(res.Stage)+"”"
			}
		}
		if r.OK {
			v.OK++
		} else {
			v.Fail++
		}
		v.Results = append(v.Results, r)
	}
	return p.show(c, http.StatusOK, "p_bulk", v)
}
