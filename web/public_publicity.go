package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/domain"
	"skillcert/models/validate"
	"skillcert/service"
)

// publicityView is p_publicity.html's data: the sittings whose results are in publicity.
type publicityView struct {
	pageView
	Items []publicityItem
	Days  int
}

type publicityItem struct {
	service.PublicityEntry
	Starts, Ends, ExamDay string
	Rows                  []publicityRow
}

type publicityRow struct {
	No           int
	Name, Result string
}

func (p *Pages) publicityItem(e service.PublicityEntry) publicityItem {
	loc := p.svc.Location()
	it := publicityItem{PublicityEntry: e, Starts: e.StartsAt.In(loc).Format("2006-01-02 15:04"), Ends: e.EndsAt.In(loc).Format("2006-01-02 15:04"),
		ExamDay: e.ExamDate.In(loc).Format("2006-01-02")}
	for i, person := range e.People {
		it.Rows = append(it.Rows, publicityRow{No: i + 1, Name: person.Name, Result: person.Result})
	}
	return it
}

// publicityPage is the public page of results in publicity (公示); no account needed.
func (p *Pages) publicityPage(c *gin.Context) error {
	es, err := p.svc.Publicity(c.Request.Context())
	if err != nil {
		return err
	}
	v := &publicityView{pageView: pageView{pageData: pageData{Title: "认定结果公示"}}}
	for _, e := range es {
		v.Items = append(v.Items, p.publicityItem(e))
	}
	return p.show(c, http.StatusOK, "p_publicity", v)
}

// objectionView is p_objection.html's data: the form to object to a sitting in publicity.
type objectionView struct {
	pageView
	Item                                   publicityItem
	Done                                   bool
	ReceiptID, ReceiptMessage              string
	Candidate, Objector, Contact, TextArea formField
	ErrorSummary                           []errorLink
}

func (p *Pages) objectionPage(c *gin.Context) error {
	v, err := p.objectionView(c, service.ObjectionBody{CandidateID: c.Query("candidate")}, nil, nil)
	if err != nil {
		return err
	}
	return p.show(c, http.StatusOK, "p_objection", v)
}

func (p *Pages) objectionView(c *gin.Context, b service.ObjectionBody, fields validate.Errors, err error) (*objectionView, error) {
	e, gerr := p.svc.PublicitySitting(c.Request.Context(), c.Param("id"))
	if gerr != nil {
		return nil, gerr
	}
	v := &objectionView{pageView: pageView{pageData: pageData{Title: "对认定结果公示提出异议"}}, Item: p.publicityItem(e)}
	captcha, cerr := p.captchaFor(c, domain.ThrottleObjection, "", err)
	if cerr != nil {
		return nil, cerr
	}
	v.Captcha = captcha
	opts := []choice{{Value: "", Label: "整场认定（不针对某一人员）", Selected: b.CandidateID == ""}}
	for _, person := range e.People {
		opts = append(opts, choice{Value: person.ID, Label: person.Name + "　" + person.Result, Selected: person.ID == b.CandidateID})
	}
	errs := newFieldBag()
	errs.addAll(fields)
	v.Candidate = formField{Name: "candidate_id", ID: "f-candidate_id", Label: "异议所涉人员", Kind: "select", Options: opts, Errors: errs.take("candidate_id")}
	v.Objector = formField{Name: "objector", ID: "f-objector", Label: "异议人姓名", Kind: "text", Value: b.Objector, Required: true,
		Autocomplete: "name", Hint: "异议须实名提出，姓名和联系方式仅供核查人员使用，不予公开。", Errors: errs.take("objector")}
	v.Contact = formField{Name: "contact", ID: "f-contact", Label: "联系方式", Kind: "text", Value: b.Contact, Required: true,
		Autocomplete: "tel", Hint: "电话或电子邮箱。", Errors: errs.take("contact")}
	v.TextArea = formField{Name: "content", ID: "f-content", Label: "异议内容", Kind: "textarea", Rows: 8, Value: b.Content, Required: true, Wide: true,
		Hint: "请写明异议的事实和依据，10 至 5000 字。", Errors: errs.take("content")}
	errs.take("captcha_answer")
	known := map[string]bool{"f-candidate_id": true, "f-objector": true, "f-contact": true, "f-content": true, captchaFieldID: true}
	v.ErrorSummary = summaryLinks(fields, known)
	if rest := errs.rest(); len(rest) > 0 {
		v.Alert = strings.Join(rest, " ")
	}
	return v, nil
}

// objectionSubmit files an objection and shows the receipt.
func (p *Pages) objectionSubmit(c *gin.Context) error {
	b := service.ObjectionBody{CandidateID: c.PostForm("candidate_id"), Objector: strings.TrimSpace(c.PostForm("objector")),
		Contact: strings.TrimSpace(c.PostForm("contact")), Content: c.PostForm("content"), Guard: captchaGuard(c)}
	out, err := p.svc.FileObjection(c.Request.Context(), api.ActorFrom(c), c.Param("id"), b)
	if err != nil {
		return p.showRefusedPublicForm(c, err, "p_objection", func(fields validate.Errors) (viewModel, error) {
			return p.objectionView(c, b, fields, err)
		})
	}
	e, err := p.svc.PublicitySitting(c.Request.Context(), c.Param("id"))
	if err != nil {
		return err
	}
	v := &objectionView{pageView: pageView{pageData: pageData{Title: "对认定结果公示提出异议"}}, Item: p.publicityItem(e), Done: true,
		ReceiptID: out.ID, ReceiptMessage: out.Message}
	return p.show(c, http.StatusOK, "p_objection", v)
}

// calendarView is p_calendar.html's data: the region's working-day table.
type calendarView struct {
	pageView
	PublicityDays int
	Days          []calendarRow
	DaysField     formField
	Day, Kind     formField
	Note          formField
}

type calendarRow struct {
	Day, Kind, Note string
}

func (p *Pages) calendarPage(c *gin.Context) error {
	return p.showCalendar(c, http.StatusOK, nil, "", service.CalendarDayBody{})
}

func (p *Pages) showCalendar(c *gin.Context, status int, fields validate.Errors, days string, in service.CalendarDayBody) error {
	cal, err := p.svc.WorkCalendar(c.Request.Context(), api.ActorFrom(c))
	if err != nil {
		return err
	}
	v := &calendarView{pageView: pageView{pageData: pageData{Title: "工作日表与公示期"}}, PublicityDays: cal.PublicityDays}
	kinds := map[string]string{domain.DayHoliday: "节假日（放假）", domain.DayWorkday: "调休上班"}
	for _, d := range cal.Days {
		v.Days = append(v.Days, calendarRow{Day: d.Day, Kind: kinds[d.Kind], Note: d.Note})
	}
	errs := newFieldBag()
	errs.addAll(fields)
	if days == "" {
		days = strconv.Itoa(cal.PublicityDays)
	}
	v.DaysField = formField{Name: "publicity_days", ID: "f-publicity_days", Label: "公示期（工作日）", Kind: "number", Value: days,
		Min: strconv.Itoa(domain.MinPublicityDays), Max: strconv.Itoa(domain.MaxPublicityDays), Required: true,
		Hint: "自下一次审核通过起生效；公示中的场次按其开始时的规定届满。", Errors: errs.take("publicity_days")}
	v.Day = formField{Name: "day", ID: "f-day", Label: "日期", Kind: "date", Value: in.Day, Required: true, Errors: errs.take("day")}
	v.Kind = formField{Name: "kind", ID: "f-kind", Label: "类型", Kind: "select", Options: choices(in.Kind, domain.DayHoliday, "节假日（周一至周五放假）",
		domain.DayWorkday, "调休上班（周六、周日上班）"), Errors: errs.take("kind")}
	v.Note = formField{Name: "note", ID: "f-note", Label: "说明", Kind: "text", Value: in.Note, Hint: "如：国庆节。", Errors: errs.take("note")}
	if rest := errs.rest(); len(rest) > 0 {
		v.Alert = strings.Join(rest, " ")
	}
	return p.show(c, status, "p_calendar", v)
}

// calendarSubmit sets the publicity length, adds a day or removes one (action).
func (p *Pages) calendarSubmit(c *gin.Context) error {
	ctx, a := c.Request.Context(), api.ActorFrom(c)
	in := service.CalendarDayBody{Day: c.PostForm("day"), Kind: c.PostForm("kind"), Note: c.PostForm("note")}
	var err error
	switch c.PostForm("action") {
	case "days":
		n, aerr := strconv.Atoi(strings.TrimSpace(c.PostForm("publicity_days")))
		if aerr != nil {
			n = 0
		}
		err = p.svc.SetPublicityDays(ctx, a, n)
	case "remove":
		err = p.svc.SetCalendarDay(ctx, a, service.CalendarDayBody{Day: in.Day})
	default:
		err = p.svc.SetCalendarDay(ctx, a, in)
	}
	if err != nil {
		e := service.UserError(service.ToError(err))
		if e == nil {
			return err
		}
		fields := e.Fields
		if len(fields) == 0 {
			fields = validate.Errors{{Message: e.Message}}
		}
		return p.showCalendar(c, e.Status, fields, c.PostForm("publicity_days"), in)
	}
	p.flash(c, flashOK, "已保存。")
	c.Redirect(http.StatusSeeOther, "/admin/calendar")
	return nil
}
