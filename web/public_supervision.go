package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"skillcert/domain"
	"skillcert/models/validate"
)

// supervisionView is p_supervision.html's data.
type supervisionView struct {
	pageView
	Items []supervisionItem
}

type supervisionItem struct {
	DrawTitle, DrawnAt, EnterpriseName, OccupationName, LevelName, Rating, Findings, ReportedAt string
}

var ratingNames = domain.RatingNames

// supervisionPage publishes the supervision results (一公开); no account needed.
func (p *Pages) supervisionPage(c *gin.Context) error {
	rows, err := p.db.PublishedSupervision(c.Request.Context(), 200)
	if err != nil {
		return err
	}
	v := &supervisionView{pageView: pageView{pageData: pageData{Title: "质量督导结果公开"}}}
	day := func(t interface{ Format(string) string }) string { return t.Format("2006-01-02") }
	for _, r := range rows {
		v.Items = append(v.Items, supervisionItem{DrawTitle: r.DrawTitle, DrawnAt: day(r.DrawnAt.In(p.svc.Location())),
			EnterpriseName: r.EnterpriseName, OccupationName: r.OccupationName, LevelName: validate.Level(r.Level).Name(),
			Rating: ratingNames[r.Rating], Findings: r.Findings, ReportedAt: day(r.ReportedAt.In(p.svc.Location()))})
	}
	return p.show(c, http.StatusOK, "p_supervision", v)
}
