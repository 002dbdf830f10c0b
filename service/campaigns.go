package service

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"skillcert/domain"
	"skillcert/exports"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/workflows"
)

type StartCampaignBody struct {
	Year int `json:"year"`
	// CollectionDeadline and PublicationTarget override the default calendar (RFC 3339).
	CollectionDeadline *time.Time `json:"collection_deadline"`
	PublicationTarget  *time.Time `json:"publication_target"`
	// CollectionDate and PublicationDate (YYYY-MM-DD, the end of that day in Asia/Shanghai)
	// override it as the campaign page's form gives them; both or neither.
	CollectionDate  string `json:"collection_date,omitempty"`
	PublicationDate string `json:"publication_date,omitempty"`
}

// OpenCampaign starts the pilot campaign of a year, on the default calendar or on the two
// deadlines given (both, in the future, in order); the region manages campaigns. Starting a
// year that runs already changes nothing.
func (s *Service) OpenCampaign(ctx context.Context, a *Actor, b StartCampaignBody) (string, error) {
	if a == nil {
		return "", ErrUnauthenticated
	}
	if err := s.Require(ctx, a, "campaign", "manage", a.Domain); err != nil {
		return "", err
	}
	now := s.now().In(s.cfg.Location)
	var errs validate.Errors // every fault of the form at once
	if b.Year < now.Year() || b.Year > now.Year()+2 {
		errs.Add("year", "out_of_range", fmt.Sprintf("年度应为 %d 至 %d。", now.Year(), now.Year()+2))
	}
	day := func(field, v string) *time.Time {
		v = strings.TrimSpace(v)
		if v == "" {
			return nil
		}
		d, err := time.ParseInLocation("2006-01-02", v, s.cfg.Location)
		if err != nil {
			errs.Add(field, "bad_date", "日期格式应为 2027-05-20。")
			return nil
		}
		end := time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, s.cfg.Location)
		return &end
	}
	if b.CollectionDeadline == nil && b.PublicationTarget == nil {
		b.CollectionDeadline, b.PublicationTarget = day("collection_deadline", b.CollectionDate), day("publication_target", b.PublicationDate)
		if len(errs) > 0 {
			return "", Invalid(errs)
		}
	}
	cal := Calendar{}
	if b.CollectionDeadline != nil || b.PublicationTarget != nil {
		switch {
		case b.CollectionDeadline == nil:
			errs.Add("collection_deadline", "required", "自定义日程须同时给出汇总截止时间和目录公布时间。")
		case b.PublicationTarget == nil:
			errs.Add("publication_target", "required", "自定义日程须同时给出汇总截止时间和目录公布时间。")
		default:
			cal.Collection, cal.Publication = b.CollectionDeadline.UTC(), b.PublicationTarget.UTC()
			if !cal.Collection.After(s.now()) {
				errs.Add("collection_deadline", "past", "汇总截止时间不能早于当前时间。")
			}
			if !cal.Publication.After(cal.Collection) {
				errs.Add("publication_target", "order", "目录公布时间应晚于汇总截止时间。")
			}
		}
	}
	if len(errs) > 0 {
		return "", Invalid(errs)
	}
	if err := StartCampaign(ctx, s.temporal, s.db, s.taskQueue, b.Year, cal, s.timing); err != nil {
		return "", err
	}
	_ = s.Audit(ctx, a, models.AuditEntry{Action: "campaign.create", ObjectType: "campaign", ObjectID: strconv.Itoa(b.Year)})
	return strconv.Itoa(b.Year), nil
}

// Calendar is a campaign's two deadlines; zero values take the defaults (20 May, 5 June).
type Calendar struct {
	Collection, Publication time.Time
}

// StartCampaign starts the Campaign of a year if it is not running, and waits until its
// projection row exists.
func StartCampaign(ctx context.Context, tc client.Client, db *models.DB, taskQueue string, year int, cal Calendar, timing workflows.Timing) error {
	js, err := db.Jurisdictions(ctx)
	if err != nil {
		return err
	}
	var leagues []workflows.LeagueRef
	for _, j := range js {
		if j.Level == models.LevelLeague {
			leagues = append(leagues, workflows.LeagueRef{Code: j.Code, Name: j.Name})
		}
	}
	collection, publication := workflows.DefaultCalendar(year)
	if !cal.Collection.IsZero() {
		collection, publication = cal.Collection, cal.Publication
	}
	id := strconv.Itoa(year)
	err = startAndAwait(ctx, tc, client.StartWorkflowOptions{ID: workflows.CampaignWorkflowID(id), TaskQueue: taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE},
		workflows.Campaign, workflows.CampaignInput{CampaignID: id, Year: year, CollectionDeadline: collection,
			PublicationTarget: publication, Region: models.RegionCode, Leagues: leagues, Timing: timing})
	if err != nil {
		return fmt.Errorf("start campaign %s: %w", id, err)
	}
	return nil
}

// MoveDeadlineInput moves one of a campaign's deadlines (Which: collection or publication) to
// an exact time (At) or to the end of a day (Date, Asia/Shanghai), for a reason.
type MoveDeadlineInput struct {
	CampaignID, Which, Date string
	At                      *time.Time
	Reason                  string
}

// MoveCampaignDeadline asks the campaign's workflow to move a deadline; the region manages
// campaigns. The workflow validates, writes and audits the move; a refusal is audited here.
func (s *Service) MoveCampaignDeadline(ctx context.Context, a *Actor, in MoveDeadlineInput) (workflows.CampaignCalendar, error) {
	var cal workflows.CampaignCalendar
	if a == nil {
		return cal, ErrUnauthenticated
	}
	if err := s.Require(ctx, a, "campaign", "manage", a.Domain); err != nil {
		return cal, err
	}
	var to time.Time
	var errs validate.Errors // every fault at once: a bad date does not hide a missing reason
	if in.At != nil {
		to = *in.At
	} else if day, err := time.ParseInLocation("2006-01-02", in.Date, s.cfg.Location); err != nil {
		errs.Add("date", "bad_date", "日期格式应为 2027-05-20。")
	} else {
		to = time.Date(day.Year(), day.Month(), day.Day(), 23, 59, 59, 0, s.cfg.Location)
	}
	if f := domain.DeadlineDates.Check(to); f != nil && !to.IsZero() {
		errs.AddError("date", f)
	}
	if strings.TrimSpace(in.Reason) == "" { // the workflow's own check, said with the others
		errs.Add("reason", "required", "请填写调整理由。")
	}
	domain.Reason.Add(&errs, "reason", strings.TrimSpace(in.Reason))
	domain.FieldPath.Add(&errs, "which", in.Which)
	if len(errs) > 0 {
		return cal, Invalid(errs)
	}
	h, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: workflows.CampaignWorkflowID(in.CampaignID),
		UpdateName: workflows.MoveDeadlineUpdate, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{workflows.MoveDeadlineRequest{Actor: a.snapshot(), Which: in.Which, To: to.UTC(), Reason: strings.TrimSpace(in.Reason)}}})
	if err == nil {
		err = h.Get(ctx, &cal)
	}
	if err != nil {
		e := workflowError(err)
		_ = s.Audit(ctx, a, models.AuditEntry{Action: "campaign.move_" + in.Which, ObjectType: "campaign", ObjectID: in.CampaignID, Outcome: models.OutcomeRejected, Reason: e.Message})
		return cal, e
	}
	return cal, nil
}

type summaryResponse struct {
	Collection models.LeagueCollection `json:"collection"`
	Cases      []models.Case           `json:"cases"`
	Task       *models.Task            `json:"task,omitempty"`
	// PaperReceipts are the cases' paper receipts (case ID →); MissingPaper the enterprises of
	// the cases without one, which the summary page warns about (domain.PaperCopyBlocksSummary).
	PaperReceipts map[string]models.PaperReceipt `json:"paper_receipts"`
	MissingPaper  []string                       `json:"missing_paper"`
}

// summaryCases are the cases a league's summary (汇总表) lists: accepted by the league and not
// withdrawn since, whatever stage they have reached.
func (s *Service) summaryCases(ctx context.Context, league, campaignID string) ([]models.Case, error) {
	cs, _, err := s.db.Cases(ctx, models.CaseFilter{Jurisdictions: s.enf.Tree().Subtree(league), CampaignID: campaignID, Limit: 200})
	if err != nil {
		return nil, err
	}
	in := []models.Case{}
	for _, c := range cs {
		switch {
		case c.Stage == workflows.StagePrecheck, c.Stage == workflows.StageLeagueReview, c.Stage == workflows.StageCorrection:
		case c.Outcome == "rejected", c.Outcome == "withdrawn":
		default:
			in = append(in, c)
		}
	}
	return in, nil
}

// ReadLeagueSummary is a league's collection in the latest campaign, the cases its summary
// lists and its submit_summary task (if any); for those who may read the league's summary.
func (s *Service) ReadLeagueSummary(ctx context.Context, a *Actor, league string) (summaryResponse, error) {
	var resp summaryResponse
	if err := s.Require(ctx, a, "summary", "read", league); err != nil {
		return resp, err
	}
	cp, err := s.db.LatestCampaign(ctx)
	if err != nil {
		return resp, err
	}
	col, err := s.db.LeagueCollectionOf(ctx, cp.ID, league)
	if err != nil {
		return resp, err
	}
	in, err := s.summaryCases(ctx, league, cp.ID)
	if err != nil {
		return resp, err
	}
	resp = summaryResponse{Collection: col, Cases: in, MissingPaper: []string{}}
	if resp.PaperReceipts, err = s.PaperReceiptsOf(ctx, in); err != nil {
		return resp, err
	}
	for _, c := range in {
		if _, ok := resp.PaperReceipts[c.ID]; !ok {
			resp.MissingPaper = append(resp.MissingPaper, c.EnterpriseName)
		}
	}
	ts, _, err := s.db.Inbox(ctx, models.InboxFilter{View: models.ViewAll, Jurisdictions: []string{league}, Kind: workflows.KindSubmitSummary, Limit: 1})
	if err == nil && len(ts) > 0 {
		resp.Task = &ts[0]
	}
	return resp, nil
}

// LeagueSummary gathers a league's summary table (附件2) for the latest campaign: every case
// its league accepted, from the submitted application version.
func (s *Service) LeagueSummary(ctx context.Context, league models.Jurisdiction, campaignID string) (exports.Summary, error) {
	sum := exports.Summary{League: league.Name, ReportingUnit: league.Name + "人力资源和社会保障局", Location: s.cfg.Location}
	if col, err := s.db.LeagueCollectionOf(ctx, campaignID, league.Code); err == nil {
		sum.Contact, sum.Phone = col.ContactName, col.ContactPhone
		if col.SubmittedAt != nil {
			sum.Date = *col.SubmittedAt
		}
	}
	cs, err := s.summaryCases(ctx, league.Code, campaignID)
	if err != nil {
		return sum, err
	}
	paper, err := s.PaperReceiptsOf(ctx, cs)
	if err != nil {
		return sum, err
	}
	for _, c := range cs {
		app, err := s.db.ApplicationContent(ctx, c.ApplicationID, c.ApplicationVersion)
		if err != nil {
			return sum, fmt.Errorf("application of case %s: %w", c.ID, err)
		}
		e := exports.SummaryEnterpriseOf(app)
		e.Jurisdiction = s.jurisdictionLabel(ctx, c.JurisdictionCode)
		if r, ok := paper[c.ID]; ok {
			e.PaperCopy = PaperReceiptText(&r)
		} else {
			e.PaperCopy = PaperReceiptText(nil)
			sum.MissingPaper = append(sum.MissingPaper, e.Name)
		}
		sum.Enterprises = append(sum.Enterprises, e)
	}
	return sum, nil
}

// OpenLeagues is the number of a campaign's leagues that have not submitted their summary: a
// publication made now is confirmed with it (domain.PublishConfirmed).
func OpenLeagues(ls []models.LeagueCollection) int {
	n := 0
	for _, l := range ls {
		if l.Status != "submitted" {
			n++
		}
	}
	return n
}

// OpenLeaguesOf is OpenLeagues of a campaign.
func (s *Service) OpenLeaguesOf(ctx context.Context, campaignID string) (int, error) {
	ls, err := s.db.LeagueCollections(ctx, campaignID)
	if err != nil {
		return 0, err
	}
	return OpenLeagues(ls), nil
}
