package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/service"
)

// expertsView is p_experts.html's data: the pool (every expert account with its entry), the
// form that adds or changes one entry, the XLSX import, and the cases waiting on the pool with
// their draw action.
type expertsView struct {
	pageView
	Items                                []expertLine
	Drawable, Accounts                   int
	CanManage                            bool
	Username, Field, Occupations, Employ formField
	Active                               formField
	FormErrors, ImportErrors             []string
	Waiting                              []waitingCase
	CanDraw                              bool
}

type expertLine struct {
	Username, DisplayName, Field, Occupations, Employer, Updated string
	InPool, Active, AccountActive, Drawable                      bool
}

type waitingCase struct{ ID, Enterprise, League string }

func (p *Pages) expertRoutes(r *gin.Engine, login gin.HandlerFunc) {
	read, manage := p.api.Authorize("expert", "read", api.OwnScope), p.api.Authorize("expert", "manage", api.OwnScope)
	r.GET("/admin/experts", login, read, p.api.Page(p.expertsPage))
	r.POST("/admin/experts", login, p.api.CSRF, manage, p.api.Page(p.saveExpertSubmit))
	r.POST("/admin/experts/import", login, p.api.LimitUpload, p.readExpertFile, p.api.CSRF, manage, p.api.Page(p.importExpertsSubmit))
	r.GET("/admin/experts/template.xlsx", login, read, p.api.Page(p.expertTemplate))
	r.POST("/admin/experts/draw", login, p.api.CSRF, p.api.Page(p.drawPanelSubmit))
}

func (p *Pages) expertsPage(c *gin.Context) error {
	v, err := p.expertsView(c, newFieldBag(), nil)
	if err != nil {
		return err
	}
	return p.show(c, http.StatusOK, "p_experts", v)
}

func (p *Pages) expertsView(c *gin.Context, errs *fieldBag, importErrs []string) (*expertsView, error) {
	ctx := c.Request.Context()
	a := api.ActorFrom(c)
	pool, err := p.svc.ExpertPool(ctx, a)
	if err != nil {
		return nil, err
	}
	v := &expertsView{pageView: pageView{pageData: pageData{Title: "评估专家库"}}, Drawable: pool.Drawable, Accounts: len(pool.Items)}
	for _, e := range pool.Items {
		l := expertLine{Username: e.Username, DisplayName: e.DisplayName, Field: e.Field, Employer: e.Employer,
			Occupations: strings.ReplaceAll(e.Occupations, ",", "、"), InPool: e.InPool, Active: e.Active,
			AccountActive: e.AccountActive, Drawable: e.Drawable()}
		if e.UpdatedAt != nil {
			l.Updated = p.when(*e.UpdatedAt)
		}
		v.Items = append(v.Items, l)
	}
	v.CanManage = p.enf.Allowed(a.User.ID, a.Domain, "expert", "manage")
	if v.CanManage {
		active := c.Request.Method != http.MethodPost || c.PostForm("active") != ""
		v.Username = formField{Name: "username", ID: "f-username", Label: "专家用户名", Kind: "text", Value: c.PostForm("username"), Required: true,
			Hint: "须先在用户管理中建立角色为“评估专家”的账号。", Errors: errs.take("username", "user_id")}
		v.Field = formField{Name: "field", ID: "f-field", Label: "专业领域", Kind: "text", Value: c.PostForm("field"), Required: true,
			MaxLength: "128", Errors: errs.take("field")}
		v.Occupations = formField{Name: "occupations", ID: "f-occupations", Label: "评估的职业（工种）代码", Kind: "text",
			Value: c.PostForm("occupations"), Hint: "多个代码用逗号或顿号分隔，例如 6-18-01-01、6-18-01-02。", Errors: errs.take("occupations")}
		v.Employ = formField{Name: "employer", ID: "f-employer", Label: "工作单位", Kind: "text", Value: c.PostForm("employer"), MaxLength: "128",
			Hint: "与申报企业名称相同时，该专家不参加该企业的专家组抽取（回避）。", Errors: errs.take("employer")}
		v.Active = formField{Name: "active", ID: "f-active", Label: "在库（可被抽取）", Kind: "checkbox", Value: "1", Checked: active}
		v.FormErrors = errs.rest()
	}
	v.ImportErrors = importErrs
	v.CanDraw = p.enf.Allowed(a.User.ID, a.Domain, "case", "adjust")
	waiting, err := p.db.CasesWaitingForExperts(ctx)
	if err != nil {
		return nil, err
	}
	names := p.names(c)
	for _, cs := range waiting {
		v.Waiting = append(v.Waiting, waitingCase{ID: cs.ID, Enterprise: cs.EnterpriseName, League: names[cs.LeagueCode]})
	}
	return v, nil
}

// splitCodes splits a typed list of occupation codes.
func splitCodes(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == ';' || r == ' ' })
}

func (p *Pages) saveExpertSubmit(c *gin.Context) error {
	in := service.ExpertInput{Username: c.PostForm("username"), Field: c.PostForm("field"), Employer: c.PostForm("employer"),
		Occupations: splitCodes(c.PostForm("occupations")), Active: c.PostForm("active") != ""}
	res, err := p.svc.SaveExpert(c.Request.Context(), api.ActorFrom(c), in)
	if err == nil {
		p.flash(c, flashOK, "已保存专家 "+strings.TrimSpace(in.Username)+" 的入库信息。"+signalledNote(res.Signalled))
		return seeOther(c, "/admin/experts")
	}
	e := service.UserError(service.ToError(err))
	if e == nil {
		return err
	}
	errs := newFieldBag()
	if len(e.Fields) > 0 {
		errs.addAll(e.Fields)
	} else {
		errs.add("", e.Message)
	}
	v, verr := p.expertsView(c, errs, nil)
	if verr != nil {
		return verr
	}
	return p.show(c, e.Status, "p_experts", v)
}

func signalledNote(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("已通知 %d 件等待专家的申报重新抽取专家组。", n)
}

// readExpertFile reads the import's multipart form; a body it cannot read goes back to the page.
func (p *Pages) readExpertFile(c *gin.Context) {
	if err := c.Request.ParseMultipartForm(service.MultipartMemory); err != nil {
		p.flash(c, flashError, "上传的文件无法读取或过大，未导入任何专家，请重试。")
		c.Redirect(http.StatusSeeOther, "/admin/experts")
		c.Abort()
		return
	}
	c.Next()
	_ = c.Request.MultipartForm.RemoveAll()
}

func (p *Pages) importExpertsSubmit(c *gin.Context) error {
	fail := func(msgs []string, status int) error {
		v, err := p.expertsView(c, newFieldBag(), msgs)
		if err != nil {
			return err
		}
		return p.show(c, status, "p_experts", v)
	}
	files := c.Request.MultipartForm.File["file"]
	if len(files) != 1 {
		return fail([]string{"请选择一个 Excel（.xlsx）文件。"}, http.StatusUnprocessableEntity)
	}
	f, err := files[0].Open()
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := p.svc.ImportExperts(c.Request.Context(), api.ActorFrom(c), f)
	if err == nil {
		p.flash(c, flashOK, fmt.Sprintf("已导入 %d 位专家。", len(res.Saved))+signalledNote(res.Signalled))
		return seeOther(c, "/admin/experts")
	}
	e := service.UserError(service.ToError(err))
	if e == nil {
		return err
	}
	msgs := []string{}
	for _, fe := range e.Fields {
		msgs = append(msgs, fe.Message)
	}
	if len(msgs) == 0 {
		msgs = append(msgs, e.Message)
	}
	return fail(append([]string{"未导入任何专家，请修改以下问题后重新上传整个文件："}, msgs...), e.Status)
}

func (p *Pages) expertTemplate(c *gin.Context) error {
	b, err := service.ExpertTemplate()
	if err != nil {
		return err
	}
	c.Header("Content-Disposition", `attachment; filename="expert-pool-template.xlsx"`)
	c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b)
	return nil
}

// drawPanelSubmit asks a waiting case to draw its panel now (the case's draw_panel adjustment).
func (p *Pages) drawPanelSubmit(c *gin.Context) error {
	_, err := p.svc.AdjustCase(c.Request.Context(), api.ActorFrom(c), service.AdjustInput{CaseID: c.PostForm("case_id"),
		Action: "draw_panel", Reason: "专家库已补充，重新抽取专家组"})
	if err == nil {
		p.flash(c, flashOK, "已抽取专家组，该申报进入专家评估。")
		return seeOther(c, "/admin/experts")
	}
	e := service.UserError(service.ToError(err))
	if e == nil {
		return err
	}
	p.flash(c, flashError, e.Message)
	return seeOther(c, "/admin/experts")
}
