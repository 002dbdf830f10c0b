package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/models"
	"skillcert/service"
)

// The sitting page in bulk: the score grid (one row per candidate, every score component in one
// form), the XLSX export of candidates and scores and the two imports, and the removal of a
// candidate registered by mistake. The rules are the service's (sitting_bulk.go); a refusal
// comes back on the sitting page with every message at the top, linked to its cell, and
// everything typed kept.

// sittingBulkRoutes registers the bulk routes of the sitting page.
func (p *Pages) sittingBulkRoutes(r *gin.Engine, login gin.HandlerFunc) {
	r.POST("/sessions/:id/scores", login, p.api.CSRF, p.api.Page(p.saveScoreGrid))
	r.POST("/sessions/:id/candidates/:cid/remove", login, p.api.CSRF, p.api.Page(p.removeCandidate))
	r.GET("/sessions/:id/workbook.xlsx", login, p.api.Page(p.sittingWorkbook))
	r.POST("/sessions/:id/import/:what", login, p.api.LimitUpload, p.readSittingFile, p.api.CSRF, p.api.Page(p.importSitting))
}

// scoreGrid is the score grid: every candidate a row; the rows whose scores may change have inputs.
type scoreGrid struct {
	Action string
	Review bool
	Rows   []gridRow
	// Editable: some row has inputs (the form has a submit button).
	Editable bool
}

// gridRow is one candidate's row of the grid; the inputs are nil for a candidate whose scores
// cannot change now.
type gridRow struct {
	No                                          int
	Index                                       int
	CandidateID, Name, IDMasked, Status, Anchor string
	Theory, Skill, Review                       *formField
	Ethics, Performance, Notes                  *formField
	Errors                                      []string
	ShowTheory, ShowSkill, ShowReview           string
}

// bulkForms is the import and export part of the sitting page.
type bulkForms struct {
	ExportHref                     string
	CandidatesAction, ScoresAction string
}

// gridFor builds the score grid from the sitting's candidates, with what was typed (by
// candidate ID) and the refusals (under scores[i].field).
func gridFor(sd service.SessionDetail, typed map[string]map[string]string, errs *fieldBag) (*scoreGrid, map[string]bool) {
	g := &scoreGrid{Action: sessionHref(sd.ID) + "/scores", Review: sd.Level <= 2}
	known := map[string]bool{}
	for i, x := range sd.Candidates {
		row := gridRow{No: i + 1, Index: i, CandidateID: x.ID, Name: x.Name, IDMasked: x.IDMasked, Status: x.StatusName,
			Anchor: fmt.Sprintf("g-%d", i+1), ShowTheory: scoreText(x.Theory), ShowSkill: scoreText(x.Skill), ShowReview: scoreText(x.Review)}
		// A row refused as typed keeps its inputs, so that nothing typed is lost.
		editable := sd.Status == models.SessionOpen || (sd.Status == models.SessionCorrecting && x.AuditStatus == "rejected") || typed[x.ID] != nil
		prefix := fmt.Sprintf("scores[%d].", i)
		row.Errors = errs.take(prefix + "candidate_id")
		known[fieldID(prefix+"candidate_id")] = true
		if editable {
			values := typed[x.ID]
			if values == nil {
				values = map[string]string{"theory": scoreText(x.Theory), "skill": scoreText(x.Skill), "review": scoreText(x.Review),
					"ethics": x.Ethics, "performance": x.Performance, "notes": x.Notes}
			}
			cell := func(name, label, kind string) *formField {
				path := prefix + name
				f := &formField{Name: path, ID: fieldID(path), Label: x.Name + " " + label, Kind: kind, Value: values[name],
					Errors: errs.take(path)}
				if kind == "number" {
					f.Min, f.Max, f.InputMode = "0", "100", "numeric"
				}
				known[f.ID] = true
				return f
			}
			row.Theory, row.Skill = cell("theory", "理论知识考试", "number"), cell("skill", "操作技能考核", "number")
			if g.Review {
				row.Review = cell("review", "综合评审", "number")
			}
			g.Editable = true
			row.Ethics, row.Performance, row.Notes = cell("ethics", "品德表现", "text"), cell("performance", "业绩、创新成果", "text"), cell("notes", "备注", "text")
		}
		g.Rows = append(g.Rows, row)
	}
	return g, known
}

// saveScoreGrid records the grid's scores (RecordScoresGrid): all or nothing.
func (p *Pages) saveScoreGrid(c *gin.Context) error {
	id := c.Param("id")
	sd, err := p.loadSitting(c, id)
	if err != nil {
		return err
	}
	typed := map[string]map[string]string{}
	errs := newFieldBag()
	var rows []service.GridRow
	for i := range sd.Candidates {
		prefix := fmt.Sprintf("scores[%d].", i)
		cid := c.PostForm(prefix + "candidate_id")
		if cid == "" {
			continue // not an editable row
		}
		values := map[string]string{}
		for _, k := range []string{"theory", "skill", "review", "ethics", "performance", "notes"} {
			values[k] = strings.TrimSpace(c.PostForm(prefix + k))
		}
		typed[cid] = values
		row := service.GridRow{CandidateID: cid, ScoresBody: service.ScoresBody{Ethics: values["ethics"], Performance: values["performance"], Notes: values["notes"]}}
		for k, dst := range map[string]**int{"theory": &row.Theory, "skill": &row.Skill, "review": &row.Review} {
			if values[k] == "" {
				continue
			}
			n, err := strconv.Atoi(values[k])
			if err != nil {
				errs.add(prefix+k, sd.Candidates[i].Name+"：请填写 0 至 100 的整数分数，如 85。")
				continue
			}
			*dst = &n
		}
		rows = append(rows, row)
	}
	status := http.StatusUnprocessableEntity
	if errs.empty() {
		saved, err := p.svc.RecordScoresGrid(c.Request.Context(), api.ActorFrom(c), id, rows)
		if err == nil {
			msg := "成绩没有变化。"
			if len(saved) > 0 {
				pass := 0
				for _, x := range saved {
					if x.Result == "pass" {
						pass++
					}
				}
				msg = fmt.Sprintf("已保存 %d 名考生的成绩（合格 %d 名，不合格 %d 名）。", len(saved), pass, len(saved)-pass)
				if len(saved) == 1 {
					msg = "已保存 " + saved[0].Name + " 的成绩：" + candidateResultNames[saved[0].Result] + "。"
				}
			}
			p.flash(c, flashOK, msg)
			return seeOther(c, sessionHref(id)+"#grid")
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
	return p.rerenderSitting(c, id, status, sittingForms{grid: typed, gridErrs: errs})
}

// removeCandidate removes a candidate registered by mistake (RemoveCandidate) with the reason
// typed in the row's confirmation.
func (p *Pages) removeCandidate(c *gin.Context) error {
	id, cid := c.Param("id"), c.Param("cid")
	reason := strings.TrimSpace(c.PostForm("reason"))
	out, err := p.svc.RemoveCandidate(c.Request.Context(), api.ActorFrom(c), id, cid, reason)
	if err == nil {
		p.flash(c, flashOK, "已移除考生 "+out.Name+"（"+out.IDMasked+"）。")
		return seeOther(c, sessionHref(id)+"#candidates")
	}
	e := service.UserError(service.ToError(err))
	if e == nil || outOfReach(e) {
		return err
	}
	errs := newFieldBag()
	for _, f := range e.Fields {
		errs.add("remove."+cid+"."+f.Field, f.Message)
	}
	if len(e.Fields) == 0 {
		errs.add("", e.Message)
	}
	return p.rerenderSitting(c, id, e.Status, sittingForms{removeFor: cid, removeReason: reason, removeErrs: errs})
}

// sittingWorkbook downloads the sitting's candidates and scores as XLSX (the import template).
func (p *Pages) sittingWorkbook(c *gin.Context) error {
	b, name, err := p.svc.SittingWorkbook(c.Request.Context(), api.ActorFrom(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.Header("Content-Disposition", "attachment; filename=\"sitting.xlsx\"; filename*=UTF-8''"+url.PathEscape(name))
	c.Header("Cache-Control", "private, no-store")
	c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b)
	return nil
}

// readSittingFile reads an import's multipart form; a body it cannot read goes back to the page.
func (p *Pages) readSittingFile(c *gin.Context) {
	if err := c.Request.ParseMultipartForm(service.MultipartMemory); err != nil {
		p.flash(c, flashError, "上传的文件无法读取或过大，未导入任何内容，请重试。")
		c.Redirect(http.StatusSeeOther, sessionHref(c.Param("id"))+"#bulk")
		c.Abort()
		return
	}
	c.Next()
	_ = c.Request.MultipartForm.RemoveAll()
}

// importSitting imports candidates or scores from the uploaded workbook; a refused file comes
// back with every refusal, by row, at the top of the page, and nothing saved.
func (p *Pages) importSitting(c *gin.Context) error {
	id, what := c.Param("id"), c.Param("what")
	if what != "candidates" && what != "scores" {
		return service.ErrNotFound
	}
	fail := func(status int, msgs ...string) error {
		errs := newFieldBag()
		for _, m := range msgs {
			errs.add("", m)
		}
		return p.rerenderSitting(c, id, status, sittingForms{importErrs: errs})
	}
	files := c.Request.MultipartForm.File["file"]
	if len(files) != 1 {
		return fail(http.StatusUnprocessableEntity, "请选择一个 Excel（.xlsx）文件。")
	}
	f, err := files[0].Open()
	if err != nil {
		return err
	}
	defer f.Close()
	ctx, a := c.Request.Context(), api.ActorFrom(c)
	var n int
	if what == "candidates" {
		var out []models.SessionCandidate
		out, err = p.svc.ImportCandidates(ctx, a, id, f)
		n = len(out)
	} else {
		var out []models.SessionCandidate
		out, err = p.svc.ImportScores(ctx, a, id, f)
		n = len(out)
	}
	if err == nil {
		if what == "candidates" {
			p.flash(c, flashOK, fmt.Sprintf("已导入并登记 %d 名考生。", n))
		} else {
			p.flash(c, flashOK, fmt.Sprintf("已导入 %d 名考生的成绩。", n))
		}
		return seeOther(c, sessionHref(id)+"#candidates")
	}
	e := service.UserError(service.ToError(err))
	if e == nil || outOfReach(e) {
		return err
	}
	var msgs []string
	for _, fe := range e.Fields {
		msgs = append(msgs, fe.Message)
	}
	if len(msgs) == 0 {
		msgs = append(msgs, e.Message)
	}
	prefix := "导入未完成，没有保存任何内容。"
	if len(msgs) > 1 {
		prefix = fmt.Sprintf("导入未完成，没有保存任何内容；请修改以下 %d 处后重新导入：", len(msgs))
	}
	return fail(e.Status, append([]string{prefix}, msgs...)...)
}
