package web

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/models"
	"skillcert/workflows"
)

// casesView is p_cases.html's data.
type casesView struct {
	pageView
	FilterFields []formField
	Rows         []caseRow
	pager
}

type caseRow struct {
	Enterprise, Stage, Status, Jurisdiction, League, Batch, NextDeadline, LastEvent, TaskHref string
	SLA                                                                                       marker
}

const casesPageSize = 50

// casesPage lists the cases in scope by stage, league and batch (the cohort table's links).
func (p *Pages) casesPage(c *gin.Context) error {
	ctx := c.Request.Context()
	a := api.ActorFrom(c)
	q := c.Request.URL.Query()
	v := &casesView{pageView: pageView{pageData: pageData{Title: "案件统计"}}}
	f := models.CaseFilter{Jurisdictions: p.api.Subtree(c), Limit: casesPageSize}
	if st := q.Get("stage"); workflows.StageNames[st] != "" {
		f.Stage = st
	}
	leagues := p.leaguesUnder(c, a.Jurisdiction)
	for _, l := range leagues {
		if l.Code == q.Get("league") {
			f.League = l.Code
		}
	}
	batchFilter := q.Get("batch")
	if batchFilter == "1" || batchFilter == "2" {
		f.Batch, _ = strconv.Atoi(batchFilter)
	}
	if s := q.Get("status"); s == "open" || s == "closed" {
		f.Status = s
	}
	v.Page, _ = strconv.Atoi(q.Get("page"))
	v.Page = max(v.Page, 1)
	f.Offset = (v.Page - 1) * casesPageSize
	cs, total, err := p.db.Cases(ctx, f)
	if err != nil {
		return err
	}
	names := p.names(c)
	for _, x := range cs {
		row := caseRow{Enterprise: x.EnterpriseName, Stage: stageName(x.Stage), Status: caseStatusNames[x.Status],
			Jurisdiction: names[x.JurisdictionCode], League: names[x.LeagueCode], NextDeadline: p.whenPtr(x.NextDeadline),
			LastEvent: p.when(x.LastEventAt)}
		if x.Batch > 0 {
			row.Batch = map[int]string{1: "第一批", 2: "第二批"}[x.Batch]
		}
		if x.Status == "open" && x.NextDeadline != nil {
			row.SLA = p.slaBadge(x.SLAState, *x.NextDeadline)
		}
		if ts, err := p.db.OpenTasksOfCase(ctx, x.ID); err == nil && len(ts) > 0 {
			row.TaskHref = taskHref(ts[0].ID)
		}
		v.Rows = append(v.Rows, row)
	}
	v.setTotal("/admin/cases", q, total, casesPageSize)
	stages := []choice{{Value: "", Label: "全部阶段"}}
	for _, s := range stageOrder {
		stages = append(stages, choice{Value: s, Label: stageName(s), Selected: s == f.Stage})
	}
	v.FilterFields = []formField{{Name: "stage", ID: "f-stage", Label: "所处阶段", Kind: "select", Options: stages}}
	if len(leagues) > 1 {
		ls := []choice{{Value: "", Label: "全部盟市"}}
		for _, l := range leagues {
			ls = append(ls, choice{Value: l.Code, Label: l.Name, Selected: l.Code == f.League})
		}
		v.FilterFields = append(v.FilterFields, formField{Name: "league", ID: "f-league", Label: "盟市", Kind: "select", Options: ls})
	}
	v.FilterFields = append(v.FilterFields,
		formField{Name: "batch", ID: "f-batch", Label: "批次", Kind: "select", Options: choices(batchFilter, "", "全部批次", "1", "第一批", "2", "第二批")},
		formField{Name: "status", ID: "f-status", Label: "状态", Kind: "select", Options: choices(q.Get("status"), "", "全部", "open", "办理中", "closed", "已结束")})
	return p.show(c, http.StatusOK, "p_cases", v)
}
