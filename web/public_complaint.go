package web

import (
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/domain"
	"skillcert/models/validate"
	"skillcert/service"
)

// complaintView is p_complaint.html's data.
type complaintView struct {
	pageView
	Done                                              bool
	ReceiptCode, ReceiptPIN, ReceiptMessage           string
	Enterprise, Anonymous, Complainant, Contact, Text formField
	ErrorSummary                                      []errorLink
	NoEnterprises                                     bool
}

func (p *Pages) complaintPage(c *gin.Context) error {
	v, err := p.complaintView(c, service.ComplaintBody{EnterpriseID: c.Query("enterprise")}, nil, nil)
	if err != nil {
		return err
	}
	return p.show(c, http.StatusOK, "p_complaint", v)
}

// complaintView lays out the form with what was typed, the field errors and, when the address's
// next complaint needs one (or err refused this one for it), a CAPTCHA.
func (p *Pages) complaintView(c *gin.Context, b service.ComplaintBody, fields validate.Errors, err error) (*complaintView, error) {
	v := &complaintView{pageView: pageView{pageData: pageData{Title: "投诉举报"}}}
	entries, derr := p.db.Directory(c.Request.Context(), "", 0, true)
	if derr != nil {
		return nil, derr
	}
	captcha, cerr := p.captchaFor(c, domain.ThrottleComplaint, "", err)
	if cerr != nil {
		return nil, cerr
	}
	v.Captcha = captcha
	seen := map[string]bool{}
	opts := []choice{{Value: "", Label: "请选择被投诉的试点企业", Selected: b.EnterpriseID == ""}}
	for _, d := range entries {
		if !seen[d.EnterpriseID] {
			seen[d.EnterpriseID] = true
			opts = append(opts, choice{Value: d.EnterpriseID, Label: d.EnterpriseName, Selected: d.EnterpriseID == b.EnterpriseID})
		}
	}
	sort.SliceStable(opts[1:], func(i, j int) bool { return opts[1+i].Label < opts[1+j].Label })
	v.NoEnterprises = len(opts) == 1
	errs := newFieldBag()
	errs.addAll(fields)
	v.Enterprise = formField{Name: "enterprise_id", ID: "f-enterprise_id", Label: "被投诉企业", Kind: "select", Options: opts, Required: true,
		Errors: errs.take("enterprise_id")}
	v.Anonymous = formField{Name: "anonymous", ID: "f-anonymous", Label: "匿名投诉（不留姓名和联系方式）", Kind: "checkbox", Value: "on",
		Checked: b.Anonymous}
	v.Complainant = formField{Name: "complainant", ID: "f-complainant", Label: "投诉人姓名", Kind: "text", Value: b.Complainant,
		Autocomplete: "name", Hint: "实名投诉请填写；匿名投诉可不填。", Errors: errs.take("complainant")}
	v.Contact = formField{Name: "contact", ID: "f-contact", Label: "联系方式", Kind: "text", Value: b.Contact, Autocomplete: "tel",
		Hint: "电话或电子邮箱，便于核查人员联系您。", Errors: errs.take("contact")}
	v.Text = formField{Name: "content", ID: "f-content", Label: "投诉内容", Kind: "textarea", Rows: 8, Value: b.Content, Required: true, Wide: true,
		Hint: "请写明时间、地点、涉及的职业（工种）和事实依据，10 至 5000 字。", Errors: errs.take("content")}
	errs.take("captcha_answer") // shown by the CAPTCHA itself
	known := map[string]bool{"f-enterprise_id": true, "f-complainant": true, "f-contact": true, "f-content": true, captchaFieldID: true}
	v.ErrorSummary = summaryLinks(fields, known)
	if rest := errs.rest(); len(rest) > 0 {
		v.Alert = strings.Join(rest, " ")
	}
	return v, nil
}

// complaintSubmit files a complaint (anonymous allowed) and shows the receipt.
func (p *Pages) complaintSubmit(c *gin.Context) error {
	b := service.ComplaintBody{EnterpriseID: c.PostForm("enterprise_id"), Anonymous: c.PostForm("anonymous") != "",
		Complainant: strings.TrimSpace(c.PostForm("complainant")), Contact: strings.TrimSpace(c.PostForm("contact")), Content: c.PostForm("content"),
		Guard: captchaGuard(c)}
	out, err := p.svc.FileComplaint(c.Request.Context(), api.ActorFrom(c), b)
	if err != nil {
		return p.showRefusedPublicForm(c, err, "p_complaint", func(fields validate.Errors) (viewModel, error) {
			return p.complaintView(c, b, fields, err)
		})
	}
	v := &complaintView{pageView: pageView{pageData: pageData{Title: "投诉举报"}}, Done: true, ReceiptCode: out.ReceiptCode, ReceiptPIN: out.PIN,
		ReceiptMessage: out.Message}
	return p.show(c, http.StatusOK, "p_complaint", v)
}

// showRefusedPublicForm shows a public form (complaint, objection) again after the service
// refused it: the refusal's field errors, or its message as the form's one error, with the
// status and, for a throttle, Retry-After. An error that is not the user's is returned as is.
func (p *Pages) showRefusedPublicForm(c *gin.Context, err error, name string, view func(validate.Errors) (viewModel, error)) error {
	e := service.UserError(service.ToError(err))
	if e == nil {
		return err
	}
	fields := e.Fields
	if len(fields) == 0 {
		fields = validate.Errors{{Message: e.Message}}
	}
	v, verr := view(fields)
	if verr != nil {
		return verr
	}
	if e.RetryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	return p.show(c, e.Status, name, v)
}

// complaintStatusView is p_complaint_status.html's data: the query form and, once answered, the
// complaint's progress.
type complaintStatusView struct {
	pageView
	Code, Check  formField
	ErrorSummary []errorLink
	Progress     *service.ComplaintProgress
}

// complaintStatusRoutes mounts the public progress page: the form, and its POST (throttled like
// the certificate query; the code and digits stay out of URLs).
func (p *Pages) complaintStatusRoutes(r gin.IRoutes) {
	r.GET("/complaint/status", p.api.Page(p.complaintStatusPage))
	r.POST("/complaint/status", p.api.CSRF, p.api.PublicThrottle, p.api.Page(p.complaintStatusSubmit))
}

func (p *Pages) complaintStatusView(c *gin.Context, q service.ComplaintStatusQuery, fields validate.Errors, err error) (*complaintStatusView, error) {
	v := &complaintStatusView{pageView: pageView{pageData: pageData{Title: "投诉办理进度查询"}}}
	captcha, cerr := p.captchaFor(c, domain.ThrottleQuery, "", err)
	if cerr != nil {
		return nil, cerr
	}
	v.Captcha = captcha
	errs := newFieldBag()
	errs.addAll(fields)
	v.Code = formField{Name: "code", ID: "f-code", Label: "受理编号", Kind: "text", Value: q.Code, Required: true, Autocomplete: "off",
		Hint: "受理回执上的8位编号，如 K7MP-2QXR。", Errors: errs.take("code")}
	v.Check = formField{Name: "check", ID: "f-check", Label: "验证码", Kind: "text", Value: q.Check, Required: true, Autocomplete: "off",
		InputMode: "numeric", MaxLength: "4", Hint: "投诉时所留手机号码的后4位；未留手机号码的，填写受理回执上的查询密码。", Errors: errs.take("check")}
	errs.take("captcha_answer") // shown by the CAPTCHA itself
	v.ErrorSummary = summaryLinks(fields, map[string]bool{"f-code": true, "f-check": true, captchaFieldID: true})
	if rest := errs.rest(); len(rest) > 0 {
		v.Alert = strings.Join(rest, " ")
	}
	return v, nil
}

func (p *Pages) complaintStatusPage(c *gin.Context) error {
	v, err := p.complaintStatusView(c, service.ComplaintStatusQuery{}, nil, nil)
	if err != nil {
		return err
	}
	return p.show(c, http.StatusOK, "p_complaint_status", v)
}

// complaintStatusSubmit answers the progress query, or shows the form again with what was typed.
func (p *Pages) complaintStatusSubmit(c *gin.Context) error {
	q := service.ComplaintStatusQuery{Code: strings.TrimSpace(c.PostForm("code")), Check: strings.TrimSpace(c.PostForm("check")), Guard: captchaGuard(c)}
	out, err := p.svc.ComplaintStatus(c.Request.Context(), q)
	if err != nil {
		return p.showRefusedPublicForm(c, err, "p_complaint_status", func(fields validate.Errors) (viewModel, error) {
			return p.complaintStatusView(c, q, fields, err)
		})
	}
	v, err := p.complaintStatusView(c, q, nil, nil)
	if err != nil {
		return err
	}
	v.Progress = &out
	c.Header("Cache-Control", "no-store")
	return p.show(c, http.StatusOK, "p_complaint_status", v)
}
