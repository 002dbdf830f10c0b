package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/service"
	"skillcert/workflows"
)

const auditPageSize = 50

// auditView is p_audit.html's data.
type auditView struct {
	pageView
	Filters  []formField
	Filtered bool
	Rows     []auditRow
	pager
	CanVerify bool
	// ExportXLSX and ExportCSV export the filtered range (audit administrator only).
	ExportXLSX, ExportCSV string
}

type auditRow struct {
	Seq                                    int64
	At, Actor, Role, Action, ActionCode    string
	Target, Outcome, OutcomeClass, Details string
	Reason, Jurisdiction                   string
	// TargetID is the object's identifier, shown on hover (the export carries it too).
	TargetID string
	// DetailsRaw is the recorded before/after text, shown on hover beside its reading.
	DetailsRaw string
}

// actionNames are the Chinese names of the audited actions (the table: domain.AuditActionNames).
var actionNames = domain.AuditActionNames

// actionName is the Chinese name of an action; decisions ("task.decide:league_review") are
// named by their task kind.
func actionName(action string) string {
	if n, ok := actionNames[action]; ok {
		return n
	}
	if kind, ok := strings.CutPrefix(action, "task.decide:"); ok {
		return "办理：" + service.KindTitle(kind)
	}
	return ""
}

// actionOptions are the known actions as select choices by code, plus the selected one when
// it is not among them (a link may name any action).
func actionOptions(selected string) []choice {
	codes := make([]string, 0, len(actionNames))
	for code := range actionNames {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	out := []choice{{Value: "", Label: "全部操作", Selected: selected == ""}}
	if selected != "" && actionNames[selected] == "" {
		out = append(out, choice{Value: selected, Label: selected, Selected: true})
	}
	for _, code := range codes {
		out = append(out, choice{Value: code, Label: actionNames[code], Selected: code == selected})
	}
	return out
}

// auditOutcomes are the Chinese names of audit outcomes with their badge classes.
var auditOutcomes = map[string]marker{
	models.OutcomeOK:       {"badge ok", "成功"},
	models.OutcomeDenied:   {"badge overdue", "无权拒绝"},
	models.OutcomeRejected: {"badge soon", "未通过"},
}

// objectNames are the Chinese names of audited object types.
var objectNames = map[string]string{
	"user": "用户", "api_token": "接口令牌", "task": "待办", "case": "案件", "application": "申报表", "attachment": "附件",
	"jurisdiction": "行政区划", "audit_log": "审计日志", "campaign": "年度计划", "complaint": "投诉", "certificate": "证书",
	"session": "考核场次", "candidate": "考生", "occupation": "职业（工种）", "finding": "巡检问题",
}

// idNumberRe and mobileRe find ID and mobile numbers that a typed reason may carry; the audit
// page shows them masked (audit rows are meant to hold none, this is the second line).
var (
	idNumberRe = regexp.MustCompile(`\b\d{17}[\dXx]\b`)
	mobileRe   = regexp.MustCompile(`\b1[3-9]\d{9}\b`)
)

func maskPersonal(s string) string {
	s = idNumberRe.ReplaceAllStringFunc(s, validate.MaskIDNumber)
	return mobileRe.ReplaceAllStringFunc(s, func(m string) string { return m[:3] + "****" + m[7:] })
}

// auditPage lists the audit log in the caller's scope, newest first, with filters and paging.
func (p *Pages) auditPage(c *gin.Context) error {
	ctx := c.Request.Context()
	a := api.ActorFrom(c)
	q := c.Request.URL.Query()
	v := &auditView{pageView: pageView{pageData: pageData{Title: "审计日志"}}}
	v.CanVerify = p.enf.Allowed(a.User.ID, a.Domain, "audit", "verify")
	if p.enf.Allowed(a.User.ID, a.Domain, "audit", "export") {
		eq := url.Values{}
		for _, k := range []string{"action", "actor", "outcome", "from", "to"} {
			if val := strings.TrimSpace(q.Get(k)); val != "" {
				eq.Set(k, val)
			}
		}
		eq.Set("format", "xlsx")
		v.ExportXLSX = "/admin/audit/export?" + eq.Encode()
		eq.Set("format", "csv")
		v.ExportCSV = "/admin/audit/export?" + eq.Encode()
	}
	errs := newFieldBag()
	query := service.AuditQuery{Limit: auditPageSize}
	action, actor := strings.TrimSpace(q.Get("action")), strings.TrimSpace(q.Get("actor"))
	query.Action, query.Actor = action, actor
	outcome := q.Get("outcome")
	if _, ok := auditOutcomes[outcome]; ok {
		query.Outcome = outcome
	} else {
		outcome = ""
	}
	var from, to time.Time
	for _, d := range []struct {
		name string
		at   *time.Time
		day  *string
	}{{"from", &from, &query.From}, {"to", &to, &query.To}} {
		val := strings.TrimSpace(q.Get(d.name))
		if val == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", val, p.svc.Location())
		if err != nil {
			errs.add(d.name, "请输入日期，如 2027-05-20。")
			continue
		}
		*d.at, *d.day = t, val
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		errs.add("to", "截止日期不能早于起始日期。")
		query.To = ""
	}
	v.Filtered = action != "" || actor != "" || outcome != "" || q.Get("from") != "" || q.Get("to") != ""
	v.Page, _ = strconv.Atoi(q.Get("page"))
	v.Page = max(v.Page, 1)
	query.Offset = (v.Page - 1) * auditPageSize

	v.Filters = []formField{
		{Name: "action", ID: "f-action", Label: "操作", Kind: "select", Options: actionOptions(action)},
		{Name: "actor", ID: "f-actor", Label: "操作人用户名", Kind: "text", Value: actor, Autocomplete: "off"},
		{Name: "outcome", ID: "f-outcome", Label: "结果", Kind: "select", Options: choices(outcome, "", "全部",
			models.OutcomeOK, "成功", models.OutcomeDenied, "无权拒绝", models.OutcomeRejected, "未通过")},
		{Name: "from", ID: "f-from", Label: "起始日期", Kind: "date", Value: q.Get("from"), Errors: errs.take("from")},
		{Name: "to", ID: "f-to", Label: "截止日期（含当日）", Kind: "date", Value: q.Get("to"), Errors: errs.take("to")},
	}
	list, err := p.svc.ListAudit(ctx, a, query)
	if err != nil {
		return err
	}
	var userIDs []string
	for _, e := range list.Items {
		if e.ObjectType == "user" && e.ObjectID != "" {
			userIDs = append(userIDs, e.ObjectID)
		}
	}
	usernames, err := p.db.UsernamesByID(ctx, userIDs)
	if err != nil {
		return err
	}
	names := p.names(c)
	for _, e := range list.Items {
		row := auditRow{Seq: e.Seq, At: p.when(e.At), Actor: e.ActorName, Role: models.RoleNames[e.Role], ActionCode: e.Action,
			Action: actionName(e.Action), Jurisdiction: names[e.JurisdictionCode], Reason: maskPersonal(e.Reason)}
		if row.Actor == "" {
			row.Actor = "（未登录）"
		}
		o, ok := auditOutcomes[e.Outcome]
		if !ok {
			o = marker{"badge", e.Outcome}
		}
		row.OutcomeClass, row.Outcome = o.Class, o.Text
		// The object reads by its name where it has one; an internal identifier (a UUID, a
		// task ID) is kept out of the text and shown on hover.
		target := e.ObjectID
		if n := usernames[e.ObjectID]; e.ObjectType == "user" && n != "" {
			target = n
		} else if n := names[e.ObjectID]; e.ObjectType == "jurisdiction" && n != "" {
			target = n
		} else if internalID(e.ObjectID) {
			target, row.TargetID = "", maskPersonal(e.ObjectID)
		}
		if typ := objectNames[e.ObjectType]; typ != "" {
			target = strings.TrimSpace(typ + " " + target)
		} else if e.ObjectType != "" {
			target = strings.TrimSpace("其他对象 " + target)
			row.TargetID = strings.TrimSpace(e.ObjectType + " " + row.TargetID)
		}
		row.Target = maskPersonal(target)
		switch {
		case e.BeforeState != "" && e.AfterState != "":
			row.Details = e.BeforeState + " → " + e.AfterState
		default:
			row.Details = e.BeforeState + e.AfterState
		}
		row.DetailsRaw = maskPersonal(row.Details)
		row.Details = maskPersonal(detailText(row.Details))
		v.Rows = append(v.Rows, row)
	}
	v.setTotal("/admin/audit", q, list.Total, auditPageSize)
	if rest := errs.rest(); len(rest) > 0 {
		v.Alert = strings.Join(rest, " ")
	}
	return p.show(c, http.StatusOK, "p_audit", v)
}

// chainProblems are the Chinese explanations of the chain verifier's findings.
var chainProblems = []struct{ prefix, text string }{
	{"row content", "记录内容与其哈希值不符（记录被改动）"},
	{"previous-hash", "前一条记录的哈希与本条记录中的不一致（记录被删除、插入或调换）"},
	{"row ", "该条记录缺失（记录被删除）"},
}

// verifyAuditSubmit runs the chain verification and reports it on the audit page.
func (p *Pages) verifyAuditSubmit(c *gin.Context) error {
	rep, err := p.svc.VerifyAudit(c.Request.Context(), api.ActorFrom(c))
	if err != nil {
		return p.backWithError(c, "/admin/audit", service.ToError(err))
	}
	if rep.OK {
		p.flash(c, flashOK, fmt.Sprintf("哈希链校验通过：已校验 %d 条记录，未发现篡改。", rep.Rows))
		return seeOther(c, "/admin/audit")
	}
	why := rep.Problem
	for _, cp := range chainProblems {
		if strings.HasPrefix(rep.Problem, cp.prefix) {
			why = cp.text
			break
		}
	}
	p.flash(c, flashError, fmt.Sprintf("哈希链校验未通过：序号为 %d 的记录有问题——%s。此前 %d 条记录完好；请立即报告安全负责人。",
		rep.BrokenAt, why, max(rep.Rows-1, 0)))
	return seeOther(c, "/admin/audit")
}

// auditExportRoutes registers the audit administrator's export of the audit log.
func (p *Pages) auditExportRoutes(r *gin.Engine, login gin.HandlerFunc) {
	r.GET("/admin/audit/export", login, p.api.Authorize("audit", "export", api.OwnScope), p.api.Page(p.auditExport))
}

// auditExport sends the filtered range of the audit log as XLSX or CSV (service.ExportAudit);
// a refusal goes back to the audit page with its message and the filters kept.
func (p *Pages) auditExport(c *gin.Context) error {
	q := c.Request.URL.Query()
	in := service.AuditExportInput{AuditQuery: service.AuditQuery{Action: strings.TrimSpace(q.Get("action")),
		Actor: strings.TrimSpace(q.Get("actor")), Outcome: q.Get("outcome"), From: strings.TrimSpace(q.Get("from")),
		To: strings.TrimSpace(q.Get("to"))}, Format: q.Get("format"), ActionName: actionName}
	out, err := p.svc.ExportAudit(c.Request.Context(), api.ActorFrom(c), in)
	if err != nil {
		back := url.Values{}
		for _, k := range []string{"action", "actor", "outcome", "from", "to"} {
			if v := q.Get(k); v != "" {
				back.Set(k, v)
			}
		}
		to := "/admin/audit"
		if len(back) > 0 {
			to += "?" + back.Encode()
		}
		if e := service.UserError(err); e != nil && len(e.Fields) > 0 {
			msgs := make([]string, len(e.Fields))
			for i, f := range e.Fields {
				msgs[i] = f.Message
			}
			p.flash(c, flashError, "未能导出："+strings.Join(msgs, " "))
			return seeOther(c, to)
		}
		return p.backWithError(c, to, err)
	}
	c.Header("Content-Disposition", `attachment; filename="`+out.Filename+`"`)
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, out.ContentType, out.Body)
	return nil
}

// detailWords are the Chinese readings of the words the audit details record: the keys of
// their key=value pairs and the states they name. Outcomes, stages, roles, task kinds and
// actions are read from their own tables (see detailWord).
var detailWords = map[string]string{
	"sessions": "结束会话数", "other_sessions": "结束其他会话数", "tokens": "撤销令牌数", "rows": "行数",
	"active": "启用", "disabled": "已停用", "draft": "草稿", "submitted": "已提交", "returned": "已退回",
	"accepted": "已通过", "rejected": "未通过", "withdrawn": "已撤回", "open": "办理中", "correcting": "更正中",
	"issued": "已颁发证书", "valid": "有效", "revoked": "已吊销", "closed": "已结束",
	"result": "结果", "outcome": "结果", "status": "状态", "state": "状态", "stage": "阶段", "kind": "类别",
	"true": "是", "false": "否", "name": "名称", "parent": "上级区划", "area_code": "区划代码",
	"field": "专业领域", "employer": "工作单位", "occupations": "职业（工种）", "jurisdiction": "行政区划",
	"user": "用户", "campaign": "年度计划", "sittings": "场次数", "candidates": "考生数", "certificates": "证书数",
	"full_ids": "含完整证件号", "reset": "重置", "code": "码", "until": "有效期至", "issuer": "签发方",
	"reason": "理由", "version": "版本", "comment": "意见", "score": "分数", "total": "总分", "holiday": "节假日",
	"workday": "调休上班日", "v": "第", "password": "密码登录", "registration": "注册登录", "oidc": "统一身份认证",
}

var (
	reDetailUUID = regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	reDetailWord = regexp.MustCompile(`[A-Za-z][A-Za-z_]*(?:[.:][a-z_]+)*`)
)

// internalID reports whether an object ID is an internal identifier (a UUID, a workflow's task
// ID) rather than something a reader knows (a number, a code, a name).
func internalID(id string) bool {
	return reDetailUUID.MatchString(id) || strings.ContainsAny(id, "_") || strings.HasPrefix(id, "case-")
}

// detailWord is the Chinese reading of one recorded word, or "" when there is none.
func detailWord(w string) string {
	if n, ok := detailWords[w]; ok {
		return n
	}
	if n, ok := workflows.OutcomeNames[w]; ok {
		return n
	}
	if n := stageName(w); n != w {
		return n
	}
	if n, ok := models.RoleNames[w]; ok {
		return n
	}
	if k, ok := workflows.Kinds[w]; ok {
		return k.Title
	}
	return actionName(w)
}

// detailText reads an audit row's recorded before/after text in Chinese: a JSON object becomes
// its key=value pairs, known words become their Chinese names and internal identifiers are
// left out (the row's hover text and the export keep the record as written).
func detailText(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "{") {
		var obj map[string]any
		if json.Unmarshal([]byte(s), &obj) == nil {
			keys := make([]string, 0, len(obj))
			for k := range obj {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			parts := make([]string, 0, len(keys))
			for _, k := range keys {
				v, ok := obj[k].(string)
				if !ok {
					b, _ := json.Marshal(obj[k])
					v = string(b)
				}
				parts = append(parts, k+"="+v)
			}
			s = strings.Join(parts, " ")
		}
	}
	s = reDetailUUID.ReplaceAllString(s, "（内部编号）")
	s = reDetailWord.ReplaceAllStringFunc(s, func(w string) string {
		if n := detailWord(w); n != "" {
			return n
		}
		return w
	})
	return strings.ReplaceAll(s, "=", "：")
}
