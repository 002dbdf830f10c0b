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

// statisticsView is p_statistics.html's data.
type statisticsView struct {
	pageView
	From, To   formField
	Stats      *service.Statistics
	Tables     []statsTableView
	XLSXHref   string
	LeagueBars *barChart
	LevelBars  *barChart
	MonthLine  *lineChart
}

// statsTableView is a table of the page, the accessible source of its chart.
type statsTableView struct {
	ID    string
	Table service.StatsTable
}

// statisticsPage shows the statistics of the official's jurisdiction for a period: the totals,
// three charts (server-rendered SVG, no script) and the tables beside them, and the workbook's
// link. All of it comes from service.Statistics, as the JSON API and the XLSX do.
func (p *Pages) statisticsPage(c *gin.Context) error {
	a := api.ActorFrom(c)
	q := service.StatsQuery{From: c.Query("from"), To: c.Query("to")}
	v := &statisticsView{pageView: pageView{pageData: pageData{Title: "认定统计"}},
		From: formField{Name: "from", ID: "f-from", Label: "开始日期", Kind: "date", Value: q.From},
		To:   formField{Name: "to", ID: "f-to", Label: "结束日期", Kind: "date", Value: q.To, Hint: "默认为本年度 1 月 1 日至 12 月 31 日（按考核日期、发证日期统计）。"},
	}
	st, err := p.svc.Statistics(c.Request.Context(), a, q)
	if err != nil {
		e := service.UserError(service.ToError(err))
		if e == nil || e.Status != http.StatusUnprocessableEntity {
			return err
		}
		for _, f := range e.Fields {
			switch f.Field {
			case "from":
				v.From.Errors = append(v.From.Errors, f.Message)
			case "to":
				v.To.Errors = append(v.To.Errors, f.Message)
			}
		}
		v.Alert = "统计期间有误，请按提示修改。"
		return p.show(c, http.StatusUnprocessableEntity, "p_statistics", v)
	}
	v.Stats = &st
	v.From.Value, v.To.Value = st.From, st.To
	for _, t := range st.Tables {
		v.Tables = append(v.Tables, statsTableView{ID: "t-" + strings.ReplaceAll(t.Dimension, "_", "-"), Table: t})
	}
	if p.hasRoute(statisticsXLSXRoute) {
		v.XLSXHref = statisticsXLSXRoute + "?" + url.Values{"from": {st.From}, "to": {st.To}}.Encode()
	}
	var leagueBars, levelBars []barDatum
	for _, r := range st.Table(service.StatsByLeague).Rows {
		label := strconv.FormatFloat(r.PassRate, 'f', 1, 64) + "%"
		if r.Assessed == 0 {
			label = "无结果"
		}
		leagueBars = append(leagueBars, barDatum{Label: r.Name, Value: r.PassRate, Text: label})
	}
	for _, r := range st.Table(service.StatsByLevel).Rows {
		levelBars = append(levelBars, barDatum{Label: r.Name, Value: float64(r.Candidates), Text: strconv.FormatInt(r.Candidates, 10) + " 人"})
	}
	period := st.From + " 至 " + st.To
	v.LeagueBars = newBarChart("c-league", "各盟市合格率", "统计期间 "+period+"，各盟市参加考核人员的合格率（%），数据见下方“按盟市”表。", leagueBars, 100)
	v.LevelBars = newBarChart("c-level", "各等级报名人数", "统计期间 "+period+"，五级至一级的报名人数，数据见下方“按等级”表。", levelBars, 0)
	months := st.Table(service.StatsByMonth).Rows
	var labels []string
	var cand, pass []float64
	for _, r := range months {
		labels = append(labels, strings.TrimPrefix(r.Key[5:], "0")+"月")
		cand = append(cand, float64(r.Candidates))
		pass = append(pass, float64(r.Passed))
	}
	if len(months) > 0 && months[0].Key[:4] != months[len(months)-1].Key[:4] {
		for i, r := range months { // a period across years names each January's year
			if i == 0 || r.Key[5:] == "01" {
				labels[i] = r.Key[:4] + "年" + labels[i]
			}
		}
	}
	v.MonthLine = newLineChart("c-month", "各月报名和合格人数", "统计期间 "+period+"，按考核日期所在月份的报名人数和合格人数，数据见下方“按月份”表。",
		labels, []lineSeries{{Name: "报名人数", Color: "#1f5fa8", Values: cand}, {Name: "合格人数", Color: "#2e7d32", Dash: "6 3", Values: pass}})
	return p.show(c, http.StatusOK, "p_statistics", v)
}

// The workbook of the statistics, served by the JSON API; the page links to it with its period.
const statisticsXLSXRoute = "/api/v1/statistics/export.xlsx"
