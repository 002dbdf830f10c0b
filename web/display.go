package web

import (
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/service"
	"skillcert/workflows"
)

func (p *Pages) when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(p.svc.Location()).Format("2006-01-02 15:04")
}

func (p *Pages) whenPtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return p.when(*t)
}

func (p *Pages) day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(p.svc.Location()).Format("2006-01-02")
}

// marker is a small coloured label; an empty Text shows nothing.
type marker struct{ Class, Text string }

// slaBadge labels a due time: 逾期 past it, 即将到期 within the reminder window before it.
func (p *Pages) slaBadge(state string, due time.Time) marker {
	now := p.now()
	window := time.Duration(p.svc.Timing().WithDefaults().RemindBeforeHours) * time.Hour
	switch {
	case state == models.SLAOverdue || (!due.IsZero() && due.Before(now)):
		return marker{"badge overdue", "逾期"}
	case state == models.SLADueSoon || (!due.IsZero() && due.Sub(now) < window):
		return marker{"badge soon", "即将到期"}
	}
	return marker{}
}

// ageText writes a duration as people say it: 3 天, 5 小时, 不足 1 小时.
func ageText(d time.Duration) string {
	switch {
	case d >= 24*time.Hour:
		return strconv.Itoa(int(d/(24*time.Hour))) + " 天"
	case d >= time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + " 小时"
	case d > 0:
		return "不足 1 小时"
	}
	return "—"
}

// slaNames are the Chinese names of SLA states.
var slaNames = domain.SLANames

// collectionStatusNames are the Chinese names of a league collection's states.
var collectionStatusNames = domain.CollectionStatusNames

// campaignStatusNames are the Chinese names of a campaign's states.
var campaignStatusNames = domain.CampaignStatusNames

// candidateResultNames name a candidate's result (its status: domain.CandidateStatus).
var candidateResultNames = domain.CandidateResultNames

// caseStatusNames are the Chinese names of a case's status.
var caseStatusNames = domain.CaseStatusNames

func stageName(stage string) string {
	if n, ok := workflows.StageNames[stage]; ok {
		return n
	}
	if n, ok := processStageNames[stage]; ok {
		return n
	}
	return stage
}

// processStageNames name the stages of tasks outside an enterprise's case (a complaint's
// verification), which the inbox shows beside the case stages.
var processStageNames = domain.ProcessStageNames

func outcomeName(o string) string {
	if n, ok := workflows.OutcomeNames[o]; ok {
		return n
	}
	return o
}

// names maps jurisdiction codes to names for display; a failed lookup shows codes.
func (p *Pages) names(c *gin.Context) map[string]string {
	m, err := p.db.JurisdictionNames(c.Request.Context())
	if err != nil {
		p.log.WarnContext(c.Request.Context(), "jurisdiction names", "err", err)
		return map[string]string{}
	}
	return m
}

// leaguesUnder lists the leagues/cities within a jurisdiction's subtree (for filters).
func (p *Pages) leaguesUnder(c *gin.Context, code string) []models.Jurisdiction {
	js, err := p.db.Jurisdictions(c.Request.Context())
	if err != nil {
		return nil
	}
	in := map[string]bool{}
	for _, x := range p.enf.Tree().Subtree(code) {
		in[x] = true
	}
	var out []models.Jurisdiction
	for _, j := range js {
		if j.Level == models.LevelLeague && in[j.Code] {
			out = append(out, j)
		}
	}
	return out
}

// attachmentHref is the download link of an attachment.
func attachmentHref(id string) string { return "/api/v1/attachments/" + url.PathEscape(id) }

// taskHref is the page of a task.
func taskHref(id string) string { return "/tasks/" + url.PathEscape(id) }

// kindName is the Chinese name of a task kind (its title in workflows.Kinds).
func kindName(kind string) string { return service.KindTitle(kind) }
