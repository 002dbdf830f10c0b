package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"skillcert/models"
	"skillcert/workflows"
)

// directoryView is p_directory.html's data.
type directoryView struct {
	pageView
	Tabs    []tabLink
	Query   formField
	League  formField
	Groups  []dirGroup
	Count   int
	Batch   string
	Results bool
}

type dirGroup struct {
	Title   string
	Entries []dirEntry
}

type dirEntry struct {
	Name, Address, Jurisdiction, Contact, Phone, Published, ComplaintHref string
	Occupations                                                           []string
	// Number is the 文号 of the publication that listed the enterprise.
	Number string
}

// directoryPage is the public pilot enterprise directory, by batch, searchable by name or
// occupation and filterable by league.
func (p *Pages) directoryPage(c *gin.Context) error {
	ctx := c.Request.Context()
	v := &directoryView{pageView: pageView{pageData: pageData{Title: "试点企业目录"}}}
	batch, _ := strconv.Atoi(c.Query("batch"))
	if batch != 1 && batch != 2 {
		batch = 0
	}
	v.Batch = strconv.Itoa(batch)
	q := strings.TrimSpace(c.Query("q"))
	league := c.Query("league")
	for _, t := range []struct {
		b     int
		label string
	}{{0, "全部"}, {1, "第一批"}, {2, "第二批"}} {
		qs := url.Values{}
		if t.b != 0 {
			qs.Set("batch", strconv.Itoa(t.b))
		}
		if q != "" {
			qs.Set("q", q)
		}
		if league != "" {
			qs.Set("league", league)
		}
		href := "/directory"
		if len(qs) > 0 {
			href += "?" + qs.Encode()
		}
		v.Tabs = append(v.Tabs, tabLink{Href: href, Label: t.label, Current: t.b == batch})
	}
	leagues := p.leaguesUnder(c, models.RegionCode)
	opts := []choice{{Value: "", Label: "全区"}}
	inLeague := map[string]bool{}
	for _, l := range leagues {
		opts = append(opts, choice{Value: l.Code, Label: l.Name, Selected: l.Code == league})
		if l.Code == league {
			for _, x := range p.enf.Tree().Subtree(l.Code) {
				inLeague[x] = true
			}
		}
	}
	v.Query = formField{Name: "q", ID: "f-q", Label: "企业名称或职业（工种）", Kind: "search", Value: q}
	v.League = formField{Name: "league", ID: "f-league", Label: "盟市", Kind: "select", Options: opts}

	entries, err := p.db.Directory(ctx, "", batch, false)
	if err != nil {
		return err
	}
	numbers, err := p.svc.PublicationNumbers(ctx, entries)
	if err != nil {
		return err
	}
	names := p.names(c)
	groups := map[int]*dirGroup{}
	var order []int
	for _, d := range entries {
		if league != "" && !inLeague[d.JurisdictionCode] {
			continue
		}
		var occ []workflows.ApprovedOccupation
		_ = json.Unmarshal([]byte(d.OccupationsJSON), &occ)
		e := dirEntry{Name: d.EnterpriseName, Address: d.Address, Jurisdiction: names[d.JurisdictionCode], Contact: d.ContactName,
			Phone: d.ContactPhone, Published: p.day(d.PublishedAt), Number: numbers[models.PublicationSubject(d.CampaignID, d.Batch)], ComplaintHref: "/complaint?enterprise=" + url.QueryEscape(d.EnterpriseID)}
		match := q == "" || strings.Contains(d.EnterpriseName, q)
		for _, o := range occ {
			e.Occupations = append(e.Occupations, o.Name+"（"+o.Code+"）"+levelText(o.Levels))
			match = match || strings.Contains(o.Name, q)
		}
		if !match {
			continue
		}
		g, ok := groups[d.Batch]
		if !ok {
			g = &dirGroup{Title: map[int]string{1: "第一批试点企业", 2: "第二批试点企业"}[d.Batch]}
			groups[d.Batch] = g
			order = append(order, d.Batch)
		}
		g.Entries = append(g.Entries, e)
		v.Count++
	}
	sort.Ints(order)
	for _, b := range order {
		v.Groups = append(v.Groups, *groups[b])
	}
	v.Results = q != "" || league != ""
	return p.show(c, http.StatusOK, "p_directory", v)
}
