package service

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"

	dom "skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/policies"
)

// Quality supervision (双随机、一公开): random draws of sittings and supervisors, the drawn
// supervisors' reports, and their publication.

// DrawInput is a supervision draw: how many sittings and how many supervisors each. The seed
// is the server's (crypto/rand): a caller who could choose it could steer the draw, so a seed
// in the request is refused.
type DrawInput struct {
	Title      string           `json:"title"`
	Sessions   int              `json:"sessions"`
	PerSession int              `json:"per_session"`
	Seed       *json.RawMessage `json:"seed,omitempty"`
}

// Draw is a recorded draw with its assignments.
type Draw struct {
	models.SupervisionDraw
	Assignments []models.DrawAssignment `json:"assignments"`
}

// DrawSupervision draws sittings and supervisors at random (双随机) within the actor's
// jurisdiction (supervision:manage) and records the seed and candidate lists, so that the draw
// can be re-run and checked, with its audit row.
func (s *Service) DrawSupervision(ctx context.Context, a *Actor, in DrawInput) (Draw, error) {
	if a == nil {
		return Draw{}, ErrUnauthenticated
	}
	if err := s.Require(ctx, a, "supervision", "manage", a.Domain); err != nil {
		return Draw{}, err
	}
	var errs validate.Errors
	if strings.TrimSpace(in.Title) == "" {
		errs.Add("title", "required", "请填写督导批次名称。")
	} else {
		dom.DrawTitle.Add(&errs, "title", strings.TrimSpace(in.Title))
	}
	if in.Sessions < 1 || in.Sessions > 200 {
		errs.Add("sessions", "out_of_range", "抽取场次数应为 1 至 200。")
	}
	if in.PerSession < 2 || in.PerSession > 10 {
		errs.Add("per_session", "out_of_range", "每个场次至少抽取 2 名督导员（不超过 10 名）。")
	}
	if in.Seed != nil {
		errs.Add("seed", "not_allowed", "随机种子由系统在抽取时生成并记录，不能由抽取人指定。")
	}
	if len(errs) > 0 {
		return Draw{}, Invalid(errs)
	}
	sessions, sups, err := s.db.DrawCandidates(ctx, s.SubtreeOf(a.Domain))
	if err != nil {
		return Draw{}, err
	}
	if len(sessions) == 0 {
		return Draw{}, Invalid(validate.Errors{{Field: "sessions", Code: "none", Message: "辖区内暂无可督导的认定场次。"}})
	}
	var buf [8]byte
	if _, err := rand.Read(buf[:]); err != nil {
		return Draw{}, fmt.Errorf("draw seed: %w", err)
	}
	seed := binary.BigEndian.Uint64(buf[:]) >> 1 // fits a signed BIGINT
	as, err := models.RunDraw(seed, sessions, sups, in.Sessions, in.PerSession)
	if errors.Is(err, models.ErrTooFewSupervisors) {
		return Draw{}, Invalid(validate.Errors{{Field: "per_session", Code: "too_few_supervisors", Message: "回避后可抽取的督导员不足，请补充督导员库或减少每场人数。"}})
	}
	if err != nil {
		return Draw{}, err
	}
	sj, _ := json.Marshal(sessions)
	pj, _ := json.Marshal(sups)
	aj, _ := json.Marshal(as)
	j, _ := policies.SplitDomain(a.Domain)
	d := models.SupervisionDraw{Title: strings.TrimSpace(in.Title), JurisdictionCode: j, Seed: int64(seed), PerSession: in.PerSession,
		SessionsJSON: string(sj), SupervisorsJSON: string(pj), AssignmentsJSON: string(aj), CreatedBy: a.User.ID, CreatedAt: s.now().UTC()}
	if err := s.db.CreateDraw(ctx, &d); err != nil {
		return Draw{}, err
	}
	_ = s.Audit(ctx, a, models.AuditEntry{Action: "supervision.draw", ObjectType: "supervision_draw", ObjectID: d.ID, JurisdictionCode: j,
		AfterState: string(aj)})
	// Each drawn supervisor is told (the bell and the mail outbox), with the number of sittings.
	perUser := map[string]int{}
	var order []string
	for _, x := range as {
		for _, u := range x.Supervisors {
			if perUser[u] == 0 {
				order = append(order, u)
			}
			perUser[u]++
		}
	}
	var notify []models.NotifyRequest
	for _, u := range order {
		notify = append(notify, models.NotifyRequest{UserID: u, Kind: "supervision_assigned", Subject: "质量督导任务：" + d.Title,
			Body: fmt.Sprintf("您被随机抽取为“%s”中 %d 个认定场次的督导员。请在“我的督导”中查看场次，督导后提交督导报告。", d.Title, perUser[u])})
	}
	if len(notify) > 0 {
		if _, err := s.db.ApplyTransition(ctx, models.Transition{Key: "supervision-draw/" + d.ID, At: s.now().UTC(), Notify: notify}); err != nil {
			return Draw{}, err
		}
	}
	return Draw{SupervisionDraw: d, Assignments: as}, nil
}

// ReadDraw returns a draw to the officials who manage supervision in its jurisdiction and to
// the supervisors drawn in it; a refusal is audited.
func (s *Service) ReadDraw(ctx context.Context, a *Actor, id string) (Draw, error) {
	if a == nil {
		return Draw{}, ErrUnauthenticated
	}
	d, err := s.db.DrawByID(ctx, id)
	if err != nil {
		return Draw{}, err
	}
	as, err := d.Assignments()
	if err != nil {
		return Draw{}, err
	}
	var mine []models.DrawAssignment
	for _, x := range as {
		if slices.Contains(x.Supervisors, a.User.ID) {
			mine = append(mine, x)
		}
	}
	if err := s.RequireRelated(ctx, a, "supervision", "read", d.JurisdictionCode, func(dom.Relation) (bool, error) {
		return len(mine) > 0, nil
	}); err != nil {
		return Draw{}, err
	}
	if dom.NeedsRelation(a.User.Role, "supervision", "read") {
		// A drawn supervisor sees the sittings drawn for them, not the pool or the others'.
		d.SupervisorsJSON, d.SessionsJSON = "", ""
		return Draw{SupervisionDraw: d, Assignments: mine}, nil
	}
	return Draw{SupervisionDraw: d, Assignments: as}, nil
}

// VerifyDraw re-runs a draw the actor may read from its recorded seed and candidate lists and
// reports whether it comes out the same.
func (s *Service) VerifyDraw(ctx context.Context, a *Actor, id string) (match bool, seed int64, err error) {
	if _, err := s.ReadDraw(ctx, a, id); err != nil {
		return false, 0, err
	}
	d, err := s.db.DrawByID(ctx, id)
	if err != nil {
		return false, 0, err
	}
	recorded, err := d.Assignments()
	if err != nil {
		return false, 0, err
	}
	again, err := d.Rerun()
	if err != nil {
		return false, 0, err
	}
	return reflect.DeepEqual(recorded, again), d.Seed, nil
}

// ReportInput is a drawn supervisor's report on a drawn sitting.
type ReportInput struct {
	DrawID    string `json:"-"`
	SessionID string `json:"session_id"`
	Rating    string `json:"rating"`
	Findings  string `json:"findings"`
}

// FileSupervisionReport files a drawn supervisor's report on a sitting drawn for them, with
// its audit row.
func (s *Service) FileSupervisionReport(ctx context.Context, a *Actor, in ReportInput) (models.SupervisionReport, error) {
	d, err := s.ReadDraw(ctx, a, in.DrawID)
	if err != nil {
		return models.SupervisionReport{}, err
	}
	assigned := false
	for _, x := range d.Assignments {
		assigned = assigned || (x.SessionID == in.SessionID && slices.Contains(x.Supervisors, a.User.ID))
	}
	if !assigned || !s.enf.RoleAllows(a.User.Role, "supervision", "report") {
		return models.SupervisionReport{}, s.Forbid(ctx, a, "supervision", "report", d.JurisdictionCode)
	}
	var errs validate.Errors
	switch in.Rating {
	case "good", "acceptable", "rectify", "serious":
	default:
		errs.Add("rating", "invalid", "督导评价应为 good（良好）、acceptable（合格）、rectify（需整改）或 serious（严重问题）。")
	}
	if n := len([]rune(strings.TrimSpace(in.Findings))); n < 5 || n > dom.SupervisionFindings.Max {
		errs.Add("findings", "length", "督导发现应为 5 至 5000 字。")
	} else {
		dom.SupervisionFindings.Add(&errs, "findings", strings.TrimSpace(in.Findings))
	}
	if len(errs) > 0 {
		return models.SupervisionReport{}, Invalid(errs)
	}
	findings, now := strings.TrimSpace(in.Findings), s.now().UTC()
	prev, err := s.db.SupervisionReportOf(ctx, d.ID, in.SessionID, a.User.ID)
	switch {
	case err == nil:
		// Filed before: a report the region returned is refiled, one still awaiting review is
		// amended; either then waits for review (again). A published report is final.
		action := dom.ReportRefile
		if prev.Status == dom.ReportSubmitted {
			action = dom.ReportAmend
		}
		if _, ok := dom.NextReportStatus(prev.Status, action); !ok {
			return models.SupervisionReport{}, errReportExists
		}
		err = s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
			var err error
			if action == dom.ReportAmend {
				err = tx.AmendSupervisionReport(ctx, prev.ID, in.Rating, findings, now)
			} else {
				err = tx.RefileSupervisionReport(ctx, prev.ID, in.Rating, findings, now)
			}
			return models.AuditEntry{Action: "supervision." + action, ObjectType: "supervision_report", ObjectID: prev.ID,
				BeforeState: prev.Status + " " + prev.Rating, AfterState: dom.ReportSubmitted + " " + in.Rating, JurisdictionCode: d.JurisdictionCode}, err
		})
		if errors.Is(err, models.ErrConflict) {
			return models.SupervisionReport{}, errReportExists
		}
		if err != nil {
			return models.SupervisionReport{}, err
		}
		return s.db.SupervisionReportByID(ctx, prev.ID)
	case !errors.Is(err, models.ErrNotFound):
		return models.SupervisionReport{}, err
	}
	r := models.SupervisionReport{DrawID: d.ID, SessionID: in.SessionID, SupervisorID: a.User.ID, Rating: in.Rating,
		Findings: findings, Status: dom.ReportSubmitted, CreatedAt: now}
	err = s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		err := tx.AddSupervisionReport(ctx, &r)
		return models.AuditEntry{Action: "supervision.report", ObjectType: "supervision_draw", ObjectID: d.ID,
			AfterState: in.SessionID + " " + in.Rating, JurisdictionCode: d.JurisdictionCode}, err
	})
	if errors.Is(err, models.ErrConflict) {
		return models.SupervisionReport{}, errReportExists
	}
	if err != nil {
		return models.SupervisionReport{}, err
	}
	return r, nil
}

var errReportExists = NewError(http.StatusConflict, "report_exists", "该场次的督导报告已审核公开（或正在审核），不能再修改。")

// ReviewInput is the region's review of a supervision report: publish, or return to the
// supervisor with a reason.
type ReviewInput struct {
	ReportID string `json:"-"`
	Action   string `json:"action"`
	Reason   string `json:"reason"`
}

// ReviewSupervisionReport publishes a submitted supervision report (一公开) or returns it to its
// supervisor for amendment with a reason; only the holders of supervision:review in the draw's
// jurisdiction may (domain.ReviewsSupervision), and a refusal is audited. A published report
// rated rectify or serious notifies the enterprise through the outbox, in the transaction of
// the review and its audit row.
func (s *Service) ReviewSupervisionReport(ctx context.Context, a *Actor, in ReviewInput) (models.SupervisionReport, error) {
	if a == nil {
		return models.SupervisionReport{}, ErrUnauthenticated
	}
	r, err := s.db.SupervisionReportByID(ctx, in.ReportID)
	if err != nil {
		return models.SupervisionReport{}, err
	}
	d, err := s.db.DrawByID(ctx, r.DrawID)
	if err != nil {
		return models.SupervisionReport{}, err
	}
	if err := s.Require(ctx, a, "supervision", "review", d.JurisdictionCode); err != nil {
		return models.SupervisionReport{}, err
	}
	reason := strings.TrimSpace(in.Reason)
	var errs validate.Errors
	switch in.Action {
	case dom.ReviewPublish:
		if reason != "" {
			dom.Reason.Add(&errs, "reason", reason)
		}
	case dom.ReviewReturn:
		if reason == "" {
			errs.Add("reason", "required", "退回督导员补充须填写退回理由。")
		} else {
			dom.Reason.Add(&errs, "reason", reason)
		}
	default:
		errs.Add("action", "invalid", "审核结果应为 publish（公开）或 return（退回督导员补充）。")
	}
	if len(errs) > 0 {
		return models.SupervisionReport{}, Invalid(errs)
	}
	to, ok := dom.NextReportStatus(r.Status, in.Action)
	if !ok {
		return models.SupervisionReport{}, errReportReviewed
	}
	var notify []models.NotifyRequest
	if to == dom.ReportPublished && dom.RatingNeedsFollowUp(r.Rating) {
		ses, err := s.db.SessionByID(ctx, r.SessionID)
		if err != nil {
			return models.SupervisionReport{}, err
		}
		notify = append(notify, models.NotifyRequest{Role: dom.RoleEnterpriseUser,
			Domain: dom.EnterpriseDomain(ses.JurisdictionCode, ses.EnterpriseID), CaseID: ses.CaseID, Kind: "supervision_rectify",
			Subject: "质量督导结果：" + ratingNames[r.Rating],
			Body: fmt.Sprintf("贵单位%s（%s）认定场次的质量督导结果为“%s”，已公开。请对照督导发现整改，并将整改情况报所在盟市人社部门。督导发现：%s",
				ses.OccupationName, ses.ExamDate.In(s.cfg.Location).Format("2006-01-02"), ratingNames[r.Rating], r.Findings)})
	}
	if to != dom.ReportReturned {
		reason = ""
	}
	at := s.now().UTC()
	err = s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		e := models.AuditEntry{Action: "supervision.review", ObjectType: "supervision_report", ObjectID: r.ID,
			BeforeState: r.Status, AfterState: to + " " + r.Rating, Reason: reason, JurisdictionCode: d.JurisdictionCode}
		if err := tx.ReviewSupervisionReport(ctx, r.ID, r.Status, to, reason, a.User.ID, at); err != nil {
			return e, err
		}
		if len(notify) > 0 {
			_, err := tx.ApplyTransition(ctx, models.Transition{Key: "supervision-publish/" + r.ID, At: at, Notify: notify})
			return e, err
		}
		return e, nil
	})
	if errors.Is(err, models.ErrConflict) {
		return models.SupervisionReport{}, errReportReviewed
	}
	if err != nil {
		return models.SupervisionReport{}, err
	}
	return s.db.SupervisionReportByID(ctx, r.ID)
}

var errReportReviewed = NewError(http.StatusConflict, "report_reviewed", "该督导报告不在待审核状态（已公开、已退回或已由他人审核），请刷新后查看。")

// ratingNames are the supervision ratings' Chinese names.
var ratingNames = dom.RatingNames

// SupervisionReports lists supervision reports with their status (of one status when set): a
// supervisor sees the reports they filed, an official who reads supervision those of the draws
// in their jurisdiction (the region's review queue among them).
func (s *Service) SupervisionReports(ctx context.Context, a *Actor, status string) ([]models.SupervisionReportRow, error) {
	if a == nil {
		return nil, ErrUnauthenticated
	}
	if err := s.Require(ctx, a, "supervision", "read", a.Domain); err != nil {
		return nil, err
	}
	if _, ok := dom.ReportStatusNames[status]; status != "" && !ok {
		return nil, Invalid(validate.Errors{{Field: "status", Code: "invalid", Message: "状态应为 submitted（待审核）、published（已公开）或 returned（已退回补充）。"}})
	}
	f := models.ReportFilter{Status: status, Limit: 200}
	if dom.NeedsRelation(a.User.Role, "supervision", "read") {
		f.SupervisorID = a.User.ID // a supervisor's own reports, nothing of the others'
	} else {
		f.Jurisdictions = s.SubtreeOf(a.Domain)
	}
	return s.db.SupervisionReports(ctx, f)
}
