package service

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/workflows"
)

// publicityShownAfter is how long a sitting stays on the public page after its publicity ended.
const publicityShownAfter = 30 * 24 * time.Hour

// PublicityEntry is one sitting on the public results-publicity page (公示): names masked, no
// ID numbers; only the candidates approved for a certificate.
type PublicityEntry struct {
	SessionID      string            `json:"session_id"`
	EnterpriseName string            `json:"enterprise_name"`
	OccupationCode string            `json:"occupation_code"`
	OccupationName string            `json:"occupation_name"`
	WorkType       string            `json:"work_type,omitempty"`
	Level          int               `json:"level"`
	LevelName      string            `json:"level_name"`
	ExamDate       time.Time         `json:"exam_date"`
	StartsAt       time.Time         `json:"starts_at"`
	EndsAt         time.Time         `json:"ends_at"`
	Open           bool              `json:"open"` // objections are taken
	People         []PublicityPerson `json:"people"`
}

// PublicityPerson is a published candidate: ID is the key an objection names.
type PublicityPerson struct {
	ID     string `json:"id"`
	Name   string `json:"name"` // masked (domain.MaskName)
	Result string `json:"result"`
}

// Publicity lists the sittings whose results are in publicity, or ended it within 30 days, for
// anyone.
func (s *Service) Publicity(ctx context.Context) ([]PublicityEntry, error) {
	now := s.now()
	ss, err := s.db.SessionsInPublicity(ctx, now, publicityShownAfter)
	if err != nil {
		return nil, err
	}
	out := make([]PublicityEntry, 0, len(ss))
	for _, ss := range ss {
		e, err := s.publicityEntry(ctx, ss, now)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (s *Service) publicityEntry(ctx context.Context, ss models.AssessmentSession, now time.Time) (PublicityEntry, error) {
	e := PublicityEntry{SessionID: ss.ID, EnterpriseName: ss.EnterpriseName, OccupationCode: ss.OccupationCode, OccupationName: ss.OccupationName,
		WorkType: ss.WorkType, Level: ss.Level, LevelName: validate.Level(ss.Level).Name(), ExamDate: ss.ExamDate}
	if ss.PublicityStartsAt != nil {
		e.StartsAt = *ss.PublicityStartsAt
	}
	if ss.PublicityEndsAt != nil {
		e.EndsAt = *ss.PublicityEndsAt
	}
	e.Open = ss.Status == models.SessionPublicity && domain.ObjectionOpenAt(now, e.EndsAt)
	cs, err := s.db.Candidates(ctx, ss.ID)
	if err != nil {
		return e, err
	}
	for _, c := range cs {
		if c.Result == "pass" && c.AuditStatus == "approved" {
			e.People = append(e.People, PublicityPerson{ID: c.ID, Name: domain.MaskName(c.Name), Result: "合格（" + e.LevelName + "）"})
		}
	}
	return e, nil
}

// PublicitySitting returns one sitting of the public page (ErrNotFound-style 404 otherwise).
func (s *Service) PublicitySitting(ctx context.Context, id string) (PublicityEntry, error) {
	ss, err := s.db.SessionByID(ctx, id)
	if err != nil || ss.PublicityEndsAt == nil {
		return PublicityEntry{}, NewError(http.StatusNotFound, "not_found", "未找到该公示。")
	}
	return s.publicityEntry(ctx, ss, s.now())
}

// ObjectionBody is an objection as raised (POST /api/v1/public/publicity/{id}/objections, the
// /publicity/{id}/objection page): about one published person (candidate_id) or the whole
// sitting, with the objector's real name and contact (an objection is reviewed with them).
type ObjectionBody struct {
	CandidateID string `json:"candidate_id"`
	Objector    string `json:"objector"`
	Contact     string `json:"contact"`
	Content     string `json:"content"`
	Guard
}

type objectionReceipt struct {
	ID      string `json:"id"`
	Message string `json:"message"`
}

// FileObjection records an objection to a sitting's results in publicity, from anyone, and
// hands it to the sitting's workflow, which opens the appraisal centre's review (or refuses
// it, the period having ended: the row is then marked refused and the caller told). Objections
// count against the address's budget as complaints do (domain.ThrottleObjection).
func (s *Service) FileObjection(ctx context.Context, a *Actor, sessionID string, in ObjectionBody) (objectionReceipt, error) {
	refused := models.AuditEntry{Action: "objection.file", ObjectType: "session", ObjectID: sessionID}
	verdict, err := s.admit(ctx, domain.ThrottleObjection, in.Guard, "", "异议提交过于频繁", refused)
	if err != nil {
		return objectionReceipt{}, err
	}
	entry, err := s.PublicitySitting(ctx, sessionID)
	if err != nil {
		return objectionReceipt{}, err
	}
	if !entry.Open {
		return objectionReceipt{}, NewError(http.StatusConflict, "publicity_closed", "该场次认定结果不在公示期内，不再受理异议。")
	}
	var errs validate.Errors
	if in.CandidateID != "" && !slices.ContainsFunc(entry.People, func(p PublicityPerson) bool { return p.ID == in.CandidateID }) {
		errs.Add("candidate_id", "unknown_candidate", "请从公示名单中选择异议所涉及的人员，或选择“整场认定”。")
	}
	in.Objector, in.Contact, in.Content = strings.TrimSpace(in.Objector), strings.TrimSpace(in.Contact), strings.TrimSpace(in.Content)
	if in.Objector == "" {
		errs.Add("objector", "required", "请填写异议人姓名（异议须实名提出）。")
	}
	if in.Contact == "" {
		errs.Add("contact", "required", "请填写联系方式，便于核查人员联系您。")
	}
	domain.Objector.Add(&errs, "objector", in.Objector)
	domain.ObjectionContact.Add(&errs, "contact", in.Contact)
	if n := len([]rune(in.Content)); n < 10 || n > domain.ObjectionContent.Max {
		errs.Add("content", "length", "异议内容应为 10 至 5000 字，请写明事实和依据。")
	}
	if f := domain.ObjectionContent.Check(in.Content); f != nil && f.Code != domain.CodeTooLong {
		errs.AddError("content", f)
	}
	if len(errs) > 0 {
		return objectionReceipt{}, Invalid(errs)
	}
	if err := s.solve(ctx, verdict, in.Guard, refused); err != nil {
		return objectionReceipt{}, err
	}
	ss, err := s.db.SessionByID(ctx, sessionID)
	if err != nil {
		return objectionReceipt{}, err
	}
	row := models.ResultObjection{SessionID: ss.ID, CandidateID: in.CandidateID, Objector: in.Objector, Contact: in.Contact,
		Content: in.Content, Status: models.ObjectionReceived}
	if err := s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		err := tx.CreateObjection(ctx, &row)
		return models.AuditEntry{Action: "objection.file", ObjectType: "objection", ObjectID: row.ID, JurisdictionCode: ss.JurisdictionCode}, err
	}); err != nil {
		return objectionReceipt{}, err
	}
	s.count(ctx, domain.ThrottleObjection, in.Addr, "")
	h, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: ss.WorkflowID, UpdateName: workflows.ObjectionUpdate,
		UpdateID: "objection:" + row.ID, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{workflows.ObjectionRequest{ObjectionID: row.ID, CandidateID: in.CandidateID}}})
	var res workflows.ObjectionResult
	if err == nil {
		err = h.Get(ctx, &res)
	}
	if err != nil {
		_ = s.db.SetObjectionStatus(context.WithoutCancel(ctx), row.ID, models.ObjectionRefused)
		return objectionReceipt{}, workflowError(err)
	}
	return objectionReceipt{ID: row.ID, Message: "异议已受理，已转自治区职业技能鉴定管理中心核查；核查完毕前不颁发证书。"}, nil
}

// SittingObjections lists a sitting's objections with the objectors' particulars, for the
// officials who review them.
func (s *Service) SittingObjections(ctx context.Context, a *Actor, sessionID string) ([]models.ResultObjection, error) {
	ss, err := s.db.SessionByID(ctx, sessionID)
	if err != nil {
		return nil, ToError(err)
	}
	if err := s.Require(ctx, a, "objection", "read", ss.JurisdictionCode); err != nil {
		return nil, err
	}
	return s.db.ObjectionsOfSession(ctx, sessionID)
}

// TaskObjection returns the objection a review task is about, for the officials who review it.
func (s *Service) TaskObjection(ctx context.Context, a *Actor, taskID string) (models.ResultObjection, bool, error) {
	o, err := s.db.ObjectionByTask(ctx, taskID)
	if errors.Is(err, models.ErrNotFound) {
		return o, false, nil
	}
	if err != nil {
		return o, false, err
	}
	ss, err := s.db.SessionByID(ctx, o.SessionID)
	if err != nil {
		return o, false, err
	}
	if err := s.Require(ctx, a, "objection", "read", ss.JurisdictionCode); err != nil {
		return o, false, err
	}
	return o, true, nil
}

// WorkCalendarView is the region's working-day table and publicity length.
type WorkCalendarView struct {
	PublicityDays int                  `json:"publicity_days"`
	Days          []models.CalendarDay `json:"days"`
}

// WorkCalendar returns the working-day table to the region.
func (s *Service) WorkCalendar(ctx context.Context, a *Actor) (WorkCalendarView, error) {
	if err := s.Require(ctx, a, "calendar", "manage", models.RegionCode); err != nil {
		return WorkCalendarView{}, err
	}
	n, err := s.db.PublicityDays(ctx)
	if err != nil {
		return WorkCalendarView{}, err
	}
	_, days, err := s.db.WorkCalendar(ctx)
	return WorkCalendarView{PublicityDays: n, Days: days}, err
}

// CalendarDayBody sets a day of the table (kind holiday or workday) or, with kind "", removes it.
type CalendarDayBody struct {
	Day  string `json:"day"`
	Kind string `json:"kind"`
	Note string `json:"note"`
}

// SetCalendarDay writes or removes a day of the working-day table (audited). A publicity
// under way keeps the end it was given.
func (s *Service) SetCalendarDay(ctx context.Context, a *Actor, in CalendarDayBody) error {
	if err := s.Require(ctx, a, "calendar", "manage", models.RegionCode); err != nil {
		return err
	}
	d, msg := domain.CheckCalendarDay(in.Day, in.Kind)
	if in.Kind == "" && msg != "" && !d.IsZero() {
		msg = ""
	}
	var errs validate.Errors
	if msg != "" {
		field := "kind"
		if d.IsZero() {
			field = "day"
		}
		errs.Add(field, "invalid", msg+"。")
	}
	domain.CalendarNote.Add(&errs, "note", strings.TrimSpace(in.Note))
	if len(errs) > 0 {
		return Invalid(errs)
	}
	key := d.Format(domain.DayLayout)
	return s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		entry := models.AuditEntry{Action: "calendar.set", ObjectType: "calendar", ObjectID: key, AfterState: in.Kind, JurisdictionCode: models.RegionCode}
		if in.Kind == "" {
			entry.Action = "calendar.remove"
			err := tx.DeleteCalendarDay(ctx, key)
			if errors.Is(err, models.ErrNotFound) {
				return entry, NewError(http.StatusNotFound, "not_found", "工作日表中没有该日期。")
			}
			return entry, err
		}
		return entry, tx.SetCalendarDay(ctx, models.CalendarDay{Day: key, Kind: in.Kind, Note: strings.TrimSpace(in.Note), UpdatedBy: a.User.ID})
	})
}

// SetPublicityDays sets the length of every publicity started from now on (audited).
func (s *Service) SetPublicityDays(ctx context.Context, a *Actor, days int) error {
	if err := s.Require(ctx, a, "calendar", "manage", models.RegionCode); err != nil {
		return err
	}
	if msg := domain.CheckPublicityDays(days); msg != "" {
		return Invalid(validate.Errors{{Field: "publicity_days", Code: "range", Message: msg + "。"}})
	}
	return s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		return models.AuditEntry{Action: "calendar.publicity_days", ObjectType: "calendar", ObjectID: models.SettingPublicityDays,
			AfterState: strconv.Itoa(days), JurisdictionCode: models.RegionCode}, tx.SetPublicityDays(ctx, days, a.User.ID)
	})
}
