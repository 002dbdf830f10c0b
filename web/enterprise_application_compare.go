package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/service"
)

// compareView is p_compare.html's data: two submitted versions of an application, field by
// field, in Chinese.
type compareView struct {
	pageView
	ApplicationID    string
	FromName, ToName string
	Rows             []compareRow
	Masked           bool
	Versions         []choice // the submitted versions, for the two selectors
	From, To         string
	Back             string
}

// compareRow is one changed field: its Chinese label, the two values and what kind of change.
type compareRow struct {
	Label, Before, After, Kind string
}

// compareText names a compare operand for people: "第 2 版", or 草稿.
func compareText(v string) string {
	if v == "draft" {
		return "草稿"
	}
	return "第 " + v + " 版"
}

// applicationComparePage shows what changed between two submitted versions (by default the
// latest and the one before), labels in Chinese, ID numbers masked unless the caller may read
// personal data. The JSON API (GET /api/v1/applications/:id/compare) gives the same changes
// by field path.
func (p *Pages) applicationComparePage(c *gin.Context) error {
	ctx, a, id := c.Request.Context(), api.ActorFrom(c), c.Param("id")
	cv, err := p.svc.CompareVersions(ctx, a, service.CompareInput{ApplicationID: id, From: c.Query("from"), To: c.Query("to")})
	if err != nil {
		return err
	}
	vs, err := p.svc.ListApplicationVersions(ctx, a, id)
	if err != nil {
		return err
	}
	v := &compareView{ApplicationID: id, FromName: compareText(cv.From), ToName: compareText(cv.To), Masked: cv.IDsMasked,
		From: cv.From, To: cv.To, Back: safeBack(c.Query("back"))}
	v.Title = "申报表版本比较：" + v.FromName + "与" + v.ToName
	for _, x := range vs {
		n := strconv.Itoa(x.Version)
		v.Versions = append(v.Versions, choice{Value: n, Label: "第 " + n + " 版（" + p.when(x.SubmittedAt) + "提交）"})
	}
	for _, ch := range cv.Changes {
		row := compareRow{Label: fieldLabel(ch.Field), Before: ch.Before, After: ch.After, Kind: "修改"}
		switch {
		case ch.Before == "":
			row.Kind = "新增"
		case ch.After == "":
			row.Kind = "删除"
		}
		v.Rows = append(v.Rows, row)
	}
	return p.show(c, http.StatusOK, "p_compare", v)
}

// safeBack keeps a back link on this site (a path, never another host).
func safeBack(s string) string {
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.Contains(s, `\`) {
		return ""
	}
	if u, err := url.Parse(s); err != nil || u.Host != "" || u.Scheme != "" {
		return ""
	}
	return s
}
