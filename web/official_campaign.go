package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/models"
	"skillcert/service"
)

// campaignView is p_campaign.html's data.
type campaignView struct {
	pageView
	None                    bool
	ID, Year, Status        string
	Collection, Publication string
	Batch1, Batch2          string
	Leagues                 []leagueLine
	CanManage, Ended        bool
	Which, Date, Reason     formField
	FormErrors              []string
	// CanStart: a region official may start the next campaign (none yet, or the latest ended).
	CanStart                                 bool
	StartYear, StartCollection, StartPublish formField
	StartErrors                              []string
	Submitted, Overdue, Collecting, Total    int
}

type leagueLine struct{ Name, Status, StatusClass, SubmittedAt, Contact string }

// campaignPage shows the current campaign's calendar and each league's collection; region
// officials also get the form that moves a deadline.
func (p *Pages) campaignPage(c *gin.Context) error {
	v, err := p.campaignView(c, nil)
	if err != nil {
		return err
	}
	return p.show(c, http.StatusOK, "p_campaign", v)
}

func (p *Pages) campaignView(c *gin.Context, errs *fieldBag) (*campaignView, error) {
	ctx := c.Request.Context()
	a := api.ActorFrom(c)
	v := &campaignView{pageView: pageView{pageData: pageData{Title: "年度日程"}}}
	cp, err := p.db.LatestCampaign(ctx)
	if err != nil {
		if errors.Is(err, models.ErrNotFound) {
			v.None = true
			p.startForm(c, v, errs)
			return v, nil
		}
		return nil, err
	}
	defer p.startForm(c, v, errs)
	v.ID, v.Year, v.Status = cp.ID, strconv.Itoa(cp.Year), campaignStatusNames[cp.Status]
	if v.Status == "" {
		v.Status = cp.Status
	}
	v.Collection, v.Publication = p.when(cp.CollectionDeadline), p.when(cp.PublicationTarget)
	v.Batch1, v.Batch2 = p.whenPtr(cp.Batch1PublishedAt), p.whenPtr(cp.Batch2PublishedAt)
	ls, err := p.db.LeagueCollections(ctx, cp.ID)
	if err != nil {
		return nil, err
	}
	names := p.names(c)
	for _, l := range ls {
		line := leagueLine{Name: names[l.JurisdictionCode], Status: collectionStatusNames[l.Status], StatusClass: "status-" + l.Status,
			SubmittedAt: p.whenPtr(l.SubmittedAt)}
		if l.ContactName != "" {
			line.Contact = l.ContactName + " " + l.ContactPhone
		}
		switch l.Status {
		case "submitted":
			v.Submitted++
		case "overdue":
			v.Overdue++
		default:
			v.Collecting++
		}
		v.Leagues = append(v.Leagues, line)
	}
	v.Total = len(ls)
	// Once both batches are published the campaign is over: no deadline is left to move.
	v.Ended = cp.Batch2PublishedAt != nil
	v.CanManage = p.enf.Allowed(a.User.ID, a.Domain, "campaign", "manage") && !v.Ended
	if v.CanManage {
		v.Which = formField{Name: "which", ID: "f-which", Label: "调整的时间节点", Kind: "select",
			Options: choices(c.PostForm("which"), "collection", "汇总截止时间（盟市报送汇总表）", "publication", "目录公布时间"), Errors: errs.take("which")}
		v.Date = formField{Name: "date", ID: "f-date", Label: "新的日期", Kind: "date", Value: c.PostForm("date"), Required: true,
			Hint: "截止到该日 23:59（北京时间）。", Errors: errs.take("date", "at")}
		v.Reason = formField{Name: "reason", ID: "f-reason", Label: "调整理由", Kind: "textarea", Rows: 3, Value: c.PostForm("reason"),
			Required: true, Wide: true, Errors: errs.take("reason")}
		v.FormErrors = errs.rest()
	}
	return v, nil
}

// moveDeadline moves a campaign deadline (the use case checks the role, the workflow validates
// and audits).
func (p *Pages) moveDeadline(c *gin.Context) error {
	in := service.MoveDeadlineInput{CampaignID: c.PostForm("campaign_id"), Which: c.PostForm("which"), Date: strings.TrimSpace(c.PostForm("date")),
		Reason: strings.TrimSpace(c.PostForm("reason"))}
	cal, err := p.svc.MoveCampaignDeadline(c.Request.Context(), api.ActorFrom(c), in)
	if err == nil {
		what, at := "汇总截止时间", cal.CollectionDeadline
		if in.Which == "publication" {
			what, at = "目录公布时间", cal.PublicationTarget
		}
		p.flash(c, flashOK, "已将"+what+"调整为 "+p.when(at)+"。")
		return seeOther(c, "/campaign")
	}
	e := service.UserError(service.ToError(err))
	if e == nil {
		return err
	}
	errs := newFieldBag()
	switch {
	case len(e.Fields) > 0:
		errs.addAll(e.Fields)
	case strings.Contains(e.Message, "理由"):
		errs.add("reason", e.Message)
	case strings.Contains(e.Message, "日期") || strings.Contains(e.Message, "时间"):
		errs.add("date", e.Message)
	default:
		errs.add("", e.Message)
	}
	known := map[string]bool{"f-which": true, "f-date": true, "f-reason": true}
	top := errs.summary(known, "#move")
	v, verr := p.campaignView(c, errs)
	if verr != nil {
		return verr
	}
	v.TopErrors = top
	return p.show(c, e.Status, "p_campaign", v)
}

// startForm offers a region official the form that starts the next year's campaign, when none
// runs yet or the latest has ended (both batches published).
func (p *Pages) startForm(c *gin.Context, v *campaignView, errs *fieldBag) {
	a := api.ActorFrom(c)
	if !(v.None || v.Ended) || !p.enf.Allowed(a.User.ID, a.Domain, "campaign", "manage") {
		return
	}
	v.CanStart = true
	now := p.svc.Now().In(p.svc.Location())
	y := now.Year()
	if !v.None {
		if latest, err := strconv.Atoi(v.Year); err == nil && latest >= y {
			y = latest + 1
		}
	}
	sel := c.PostForm("year")
	if sel == "" {
		sel = strconv.Itoa(y)
	}
	var pairs []string
	for yr := now.Year(); yr <= now.Year()+2; yr++ {
		pairs = append(pairs, strconv.Itoa(yr), strconv.Itoa(yr)+" 年度")
	}
	v.StartYear = formField{Name: "year", ID: "f-year", Label: "年度", Kind: "select", Options: choices(sel, pairs...), Errors: errs.take("year")}
	v.StartCollection = formField{Name: "collection_date", ID: "f-collection_deadline", Label: "盟市报送汇总表截止日期", Kind: "date",
		Value: c.PostForm("collection_date"), Hint: "不填则为该年度 5 月 20 日；截止到该日 23:59（北京时间）。", Errors: errs.take("collection_deadline")}
	v.StartPublish = formField{Name: "publication_date", ID: "f-publication_target", Label: "试点企业目录公布日期", Kind: "date",
		Value: c.PostForm("publication_date"), Hint: "不填则为该年度 6 月 5 日；两个日期须同时填写或同时不填。", Errors: errs.take("publication_target")}
	v.StartErrors = errs.rest()
}

// startCampaign starts a year's campaign from the page (the use case checks the role and the
// dates; starting a year that runs already changes nothing).
func (p *Pages) startCampaign(c *gin.Context) error {
	ctx := c.Request.Context()
	year, _ := strconv.Atoi(strings.TrimSpace(c.PostForm("year")))
	_, existed := p.db.CampaignByID(ctx, strconv.Itoa(year))
	in := service.StartCampaignBody{Year: year, CollectionDate: c.PostForm("collection_date"), PublicationDate: c.PostForm("publication_date")}
	id, err := p.svc.OpenCampaign(ctx, api.ActorFrom(c), in)
	if err == nil {
		if existed == nil {
			p.flash(c, flashOK, id+" 年度试点征集此前已经启动，日程未作改动。")
		} else {
			p.flash(c, flashOK, "已启动 "+id+" 年度试点征集，各盟市已开始汇总。")
		}
		return seeOther(c, "/campaign")
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
	known := map[string]bool{"f-year": true, "f-collection_deadline": true, "f-publication_target": true}
	top := errs.summary(known, "#start")
	v, verr := p.campaignView(c, errs)
	if verr != nil {
		return verr
	}
	v.TopErrors = top
	return p.show(c, e.Status, "p_campaign", v)
}
