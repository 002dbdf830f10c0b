package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/policies"
	"skillcert/storage"
	"skillcert/workflows"
)

// sittingCase loads a case and requires obj/act in its enterprise's domain.
func (s *Service) sittingCase(ctx context.Context, a *Actor, id, obj, act string) (models.Case, error) {
	cs, err := s.db.CaseByID(ctx, id)
	if err != nil {
		return cs, err
	}
	return cs, s.Require(ctx, a, obj, act, policies.EnterpriseDomain(cs.JurisdictionCode, cs.EnterpriseID))
}

// sittingInScope loads a sitting and requires obj/act in its enterprise's domain.
func (s *Service) sittingInScope(ctx context.Context, a *Actor, id, obj, act string) (models.AssessmentSession, error) {
	ss, err := s.db.SessionByID(ctx, id)
	if err != nil {
		return ss, err
	}
	return ss, s.Require(ctx, a, obj, act, policies.EnterpriseDomain(ss.JurisdictionCode, ss.EnterpriseID))
}

type PlanBody struct {
	OccupationCode string `json:"occupation_code"`
	WorkType       string `json:"work_type"`
	Level          int    `json:"level"`
	ExamDate       string `json:"exam_date"`
	Site           string `json:"site"`
	// AssessorIDs choose the sitting's panel from the 考评人员 declared in the case's
	// application version, each by its key (DeclaredAssessor.ID), never by a typed name.
	AssessorIDs []string `json:"assessor_ids"`
	// RequestKey makes a retried request (after a lost answer) plan the sitting only once.
	RequestKey string `json:"request_key"`
}

// planTextFaults checks the typed text of a plan against its limits (domain.Text): the case
// workflow stores the site, the work type and the panel with the sitting.
func planTextFaults(b PlanBody) validate.Errors {
	var errs validate.Errors
	domain.SittingSite.Add(&errs, "site", strings.TrimSpace(b.Site))
	domain.WorkType.Add(&errs, "work_type", strings.TrimSpace(b.WorkType))
	domain.FieldPath.Add(&errs, "occupation_code", b.OccupationCode)
	for i, id := range b.AssessorIDs {
		domain.FieldPath.Add(&errs, fmt.Sprintf("assessor_ids[%d]", i), id)
	}
	return errs
}

// DeclaredAssessor is one of the 考评人员 an enterprise declared in its application (附件1
// 五(二)) as a sitting's plan offers it: ID is the key a plan chooses them by — the keyed lookup
// hash of their ID number (models.PersonID.Lookup), stable across application versions and
// never the number itself; the number is shown masked.
type DeclaredAssessor struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	IDMasked   string `json:"id_masked"`
	Employer   string `json:"employer"`
	Title      string `json:"title"`
	Occupation string `json:"occupation"`
}

// DeclaredAssessors lists the 考评人员 declared in the case's application version (the version
// the case runs on: the latest submitted one it accepted), the only people a sitting's panel
// may be chosen from. Rows without an ID number (none in a submitted form) are left out.
func (s *Service) DeclaredAssessors(ctx context.Context, a *Actor, caseID string) ([]DeclaredAssessor, error) {
	cs, err := s.sittingCase(ctx, a, caseID, "assessment", "manage")
	if err != nil {
		return nil, err
	}
	return s.declaredAssessors(ctx, cs)
}

func (s *Service) declaredAssessors(ctx context.Context, cs models.Case) ([]DeclaredAssessor, error) {
	app, err := s.db.ApplicationContent(ctx, cs.ApplicationID, cs.ApplicationVersion)
	if errors.Is(err, models.ErrNotFound) {
		return []DeclaredAssessor{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := []DeclaredAssessor{}
	for _, r := range app.Assessors {
		if r.ID.Lookup == "" {
			continue
		}
		out = append(out, DeclaredAssessor{ID: r.ID.Lookup, Name: r.Name, IDMasked: r.ID.Masked, Employer: r.Employer, Title: r.Title, Occupation: r.Occupation})
	}
	return out, nil
}

// planPanel resolves a plan's assessor keys against the declared assessors (domain.SittingAssessors):
// a key not declared, chosen twice or too few are refused beside their fields. A new sitting has
// no candidates yet; RegisterCandidate keeps the panel's members out of it (回避).
func (s *Service) planPanel(ctx context.Context, cs models.Case, ids []string) ([]workflows.Assessor, error) {
	declared, err := s.declaredAssessors(ctx, cs)
	if err != nil {
		return nil, err
	}
	rule := make([]domain.DeclaredAssessor, len(declared))
	byID := map[string]DeclaredAssessor{}
	for i, d := range declared {
		rule[i] = domain.DeclaredAssessor{Key: d.ID, Name: d.Name}
		byID[d.ID] = d
	}
	if errs := domain.SittingAssessors(rule, ids, nil); len(errs) > 0 {
		return nil, Invalid(errs)
	}
	panel := make([]workflows.Assessor, len(ids))
	for i, id := range ids {
		d := byID[id]
		panel[i] = workflows.Assessor{Key: d.ID, Name: d.Name, IDMasked: d.IDMasked, Title: d.Title, Occupation: d.Occupation}
	}
	return panel, nil
}

// PlanSittingInput is a sitting to plan for a case.
type PlanSittingInput struct {
	CaseID string
	PlanBody
}

// PlanSitting plans an assessment sitting of an active pilot; the case workflow refuses
// anything outside the approved scope, and its refusal names the field it is about.
func (s *Service) PlanSitting(ctx context.Context, a *Actor, in PlanSittingInput) (workflows.PlanSessionResult, error) {
	cs, err := s.sittingCase(ctx, a, in.CaseID, "assessment", "manage")
	if err != nil {
		return workflows.PlanSessionResult{}, err
	}
	day, err := time.ParseInLocation("2006-01-02", in.ExamDate, s.cfg.Location)
	if err != nil {
		return workflows.PlanSessionResult{}, Invalid(validate.Errors{{Field: "exam_date", Code: "bad_date", Message: "考核日期格式应为 2027-09-01。"}})
	}
	if errs := planTextFaults(in.PlanBody); len(errs) > 0 {
		return workflows.PlanSessionResult{}, Invalid(errs)
	}
	panel, err := s.planPanel(ctx, cs, in.AssessorIDs)
	if err != nil {
		return workflows.PlanSessionResult{}, err
	}
	id, updateID := models.NewID(), ""
	if len(in.RequestKey) > 64 {
		return workflows.PlanSessionResult{}, BadRequest("bad_request_key", "request_key 不能超过 64 个字符。")
	}
	if k := strings.TrimSpace(in.RequestKey); k != "" {
		// The same key is the same Update: Temporal answers a repeat with the first result.
		updateID = "plan:" + cs.ID + ":" + k
	}
	h, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: cs.WorkflowID, UpdateName: workflows.PlanSessionUpdate, UpdateID: updateID,
		WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{workflows.PlanSessionRequest{Actor: a.snapshot(), SessionID: id,
			OccupationCode: validate.NormalizeOccupationCode(in.OccupationCode), WorkType: strings.TrimSpace(in.WorkType), Level: in.Level,
			ExamDate: day.UTC(), Site: in.Site, Assessors: panel}}})
	var res workflows.PlanSessionResult
	if err == nil {
		err = h.Get(ctx, &res)
	}
	if err != nil {
		e := workflowError(err)
		_ = s.Audit(ctx, a, models.AuditEntry{Action: "session.plan", ObjectType: "case", ObjectID: cs.ID, Outcome: models.OutcomeRejected, Reason: e.Message})
		return res, e
	}
	return res, nil // the case wrote the sitting's row before answering
}

// ListSittings lists a case's sittings, newest first, to whoever may read the case.
func (s *Service) ListSittings(ctx context.Context, a *Actor, caseID string) ([]models.AssessmentSession, error) {
	cs, err := s.sittingCase(ctx, a, caseID, "case", "read")
	if err != nil {
		return nil, err
	}
	return s.db.SessionsOfCase(ctx, cs.ID)
}

type SessionDetail struct {
	models.AssessmentSession
	Candidates []SittingCandidate `json:"candidates"`
	// Records are the current versions of the sitting's original records (domain.RecordKinds).
	Records []models.Attachment `json:"records"`
}

// ReadSitting returns a sitting with its candidates to whoever may read its case.
func (s *Service) ReadSitting(ctx context.Context, a *Actor, id string) (SessionDetail, error) {
	ss, err := s.sittingInScope(ctx, a, id, "case", "read")
	if err != nil {
		return SessionDetail{}, err
	}
	cs, err := s.db.Candidates(ctx, ss.ID)
	if err != nil {
		return SessionDetail{}, err
	}
	recs, err := s.db.SittingRecords(ctx, ss.ID)
	if err != nil {
		return SessionDetail{}, err
	}
	return SessionDetail{AssessmentSession: ss, Candidates: sittingCandidates(ss, cs), Records: recs}, nil
}

type CandidateBody struct {
	Name     string `json:"name"`
	IDNumber string `json:"id_number"`
	Employee bool   `json:"employee"`
	// The facts of the eligibility check (申报条件): years in the occupation, the highest
	// certificate held and its year, schooling, apprenticeship.
	domain.CandidateFacts
	// ID type (居民身份证 when empty) and gender (derived from a resident ID number, entered otherwise).
	domain.Identity
}

// CandidateInput is a candidate to register in a sitting.
type CandidateInput struct {
	SessionID string
	CandidateBody
}

// RegisterCandidate registers one of the enterprise's own employees in an open sitting, if they
// meet the eligibility conditions of the sitting's level (申报条件: the occupation's rules, the
// common template by default); the candidate and its audit row are stored together.
func (s *Service) RegisterCandidate(ctx context.Context, a *Actor, in CandidateInput) (models.SessionCandidate, error) {
	ss, err := s.sittingInScope(ctx, a, in.SessionID, "assessment", "manage")
	if err != nil {
		return models.SessionCandidate{}, err
	}
	if ss.Status != models.SessionOpen {
		return models.SessionCandidate{}, NewError(http.StatusConflict, "session_closed", "该场次已报送结果，不能再登记考生。")
	}
	if err := s.pilotInForce(ctx, ss); err != nil {
		return models.SessionCandidate{}, err
	}
	rules, err := s.eligibilityRules(ctx, ss.OccupationCode)
	if err != nil {
		return models.SessionCandidate{}, err
	}
	cand, errs, err := s.prepareCandidate(ctx, ss, rules, in.CandidateBody)
	if err != nil {
		return models.SessionCandidate{}, err
	}
	if len(errs) > 0 {
		return models.SessionCandidate{}, Invalid(errs)
	}
	err = s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		if err := tx.AddCandidate(ctx, &cand); err != nil {
			return models.AuditEntry{}, err
		}
		return models.AuditEntry{Action: "session.candidate_add", ObjectType: "session", ObjectID: ss.ID, AfterState: cand.ID, JurisdictionCode: ss.JurisdictionCode}, nil
	})
	if errors.Is(err, models.ErrConflict) {
		return models.SessionCandidate{}, Invalid(validate.Errors{{Field: "id_number", Code: "duplicate", Message: "该考生已在本场次登记。"}})
	}
	if err != nil {
		return models.SessionCandidate{}, err
	}
	return cand, nil
}

// prepareCandidate checks a candidate for a sitting as RegisterCandidate and an import do —
// name, ID number and type, employee, the eligibility facts and conditions of the sitting's
// level (rules), the panel's recusal, a registration for the same occupation and level in
// another unfinished sitting — and answers the sealed row to store, or the refusals beside
// their fields (the first ones only of a candidate whose form is unreadable).
func (s *Service) prepareCandidate(ctx context.Context, ss models.AssessmentSession, rules domain.EligibilityRules, in CandidateBody) (models.SessionCandidate, validate.Errors, error) {
	var errs validate.Errors
	if strings.TrimSpace(in.Name) == "" {
		errs.Add("name", "required", "请填写考生姓名。")
	} else {
		domain.CandidateName.Add(&errs, "name", strings.TrimSpace(in.Name))
	}
	id := validate.NormalizeIDNumber(in.IDNumber)
	ident, identErrs := domain.ResolveIdentity(in.Identity, id)
	errs = append(errs, identErrs...)
	switch {
	case ident.IDType == domain.IDResident:
		if err := validate.CheckIDNumber(id, s.now()); err != nil {
			errs.Add("id_number", validate.CodeOf(err), err.Error())
		}
	case len(identErrs) == 0:
		if msg := domain.CheckOtherIDNumber(id); msg != "" {
			errs.Add("id_number", "invalid", msg)
		}
	}
	if !in.Employee {
		errs.Add("employee", "not_employee", "认定只面向本企业职工，非本企业职工不得报名。")
	}
	examYear := ss.ExamDate.In(domain.Shanghai).Year()
	errs = append(errs, domain.CheckFacts(in.CandidateFacts, examYear)...)
	if len(errs) > 0 {
		return models.SessionCandidate{}, errs, nil
	}
	if reason := rules.Eligible(ss.Level, in.CandidateFacts, examYear); reason != "" {
		return models.SessionCandidate{}, validate.Errors{{Field: "eligibility", Code: "not_eligible", Message: reason + "。"}}, nil
	}
	sealed, err := s.apps.sealer.Seal(id)
	if err != nil {
		return models.SessionCandidate{}, nil, err
	}
	dup, err := s.db.RegisteredElsewhere(ctx, sealed.Lookup, ss.OccupationCode, ss.Level, ss.ID)
	if err != nil {
		return models.SessionCandidate{}, nil, err
	}
	var panel []workflows.Assessor
	_ = json.Unmarshal([]byte(ss.AssessorsJSON), &panel)
	keys := make([]string, len(panel))
	for i, x := range panel {
		keys[i] = x.Key
	}
	if msg := domain.CandidateRecusal(keys, sealed.Lookup); msg != "" {
		return models.SessionCandidate{}, validate.Errors{{Field: "id_number", Code: "assessor_is_candidate", Message: msg + "。"}}, nil
	}
	if dup {
		return models.SessionCandidate{}, validate.Errors{{Field: "id_number", Code: "already_registered", Message: "该考生已在其他未结束的场次报名同一职业同一等级，不得重复报名。"}}, nil
	}
	cand := models.SessionCandidate{SessionID: ss.ID, Name: strings.TrimSpace(in.Name), IDCipher: sealed.Cipher, IDLookup: sealed.Lookup,
		IDMasked: sealed.Masked, Employee: true, YearsInOccupation: in.Years, HeldLevel: in.HeldLevel, HeldYear: in.HeldYear,
		Education: in.Education, Apprenticeship: in.Apprenticeship,
		HolderIdentity: models.HolderIdentity{IDType: ident.IDType, Gender: ident.Gender}, CreatedAt: s.now().UTC(), UpdatedAt: s.now().UTC()}
	cand.StatGender, cand.StatAge = candidateStats(id, ss.ExamDate, s.cfg.Location)
	if g := domain.StatGender(ident.Gender); g != "" { // entered for documents other than the resident ID
		cand.StatGender = &g
	}
	return cand, nil, nil
}

type ScoresBody struct {
	Theory *int   `json:"theory"`
	Skill  *int   `json:"skill"`
	Review *int   `json:"review"`
	Notes  string `json:"notes"`
	// Ethics (品德) and Performance (业绩、创新成果) are recorded; the pass rule is the scores'.
	Ethics      string `json:"ethics"`
	Performance string `json:"performance"`
}

// ScoresInput is one candidate's scores in a sitting.
type ScoresInput struct {
	SessionID, CandidateID string
	ScoresBody
}

// RecordScores records scores out of 100 for theory, skill and, for levels 2 and 1, the
// comprehensive review; the candidate passes only if every required part reaches 60. The
// scores and their audit row are stored together.
func (s *Service) RecordScores(ctx context.Context, a *Actor, in ScoresInput) (models.SessionCandidate, error) {
	ss, err := s.sittingInScope(ctx, a, in.SessionID, "assessment", "manage")
	if err != nil {
		return models.SessionCandidate{}, err
	}
	cand, err := s.db.CandidateByID(ctx, in.CandidateID)
	if err != nil || cand.SessionID != ss.ID {
		return models.SessionCandidate{}, ErrNotFound
	}
	if !(ss.Status == models.SessionOpen || (ss.Status == models.SessionCorrecting && cand.AuditStatus == "rejected")) {
		return models.SessionCandidate{}, NewError(http.StatusConflict, "scores_locked", "该场次结果已报送审核，只有被退回的考生可以更正成绩。")
	}
	if err := s.pilotInForce(ctx, ss); err != nil {
		return models.SessionCandidate{}, err
	}
	// The pass rule: every required part at least domain.PassMark, the review for levels 2 and 1.
	result, errs := checkScores(ss.Level, in.ScoresBody)
	ethics, performance := strings.TrimSpace(in.Ethics), strings.TrimSpace(in.Performance)
	if len(errs) > 0 {
		return models.SessionCandidate{}, Invalid(errs)
	}
	var out models.SessionCandidate
	err = s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		var err error
		if out, err = tx.SetScores(ctx, cand.ID, models.Scores{Theory: in.Theory, Skill: in.Skill, Review: in.Review,
			Notes: strings.TrimSpace(in.Notes), Ethics: ethics, Performance: performance}, result); err != nil {
			return models.AuditEntry{}, err
		}
		return models.AuditEntry{Action: "session.scores", ObjectType: "candidate", ObjectID: cand.ID, AfterState: result, JurisdictionCode: ss.JurisdictionCode}, nil
	})
	if err != nil {
		return models.SessionCandidate{}, err
	}
	return out, nil
}

// pilotInForce refuses sitting work for an enterprise whose pilot is not in force (suspended,
// removed from the directory, closed): no candidate, no score, and so no certificate.
func (s *Service) pilotInForce(ctx context.Context, ss models.AssessmentSession) error {
	cs, err := s.db.CaseByID(ctx, ss.CaseID)
	if err != nil {
		return err
	}
	if !domain.InForce(cs.Stage) {
		return NewError(http.StatusConflict, "pilot_not_in_force", "该企业的试点已暂停、已移出目录或已结束，不得登记考生或录入成绩。")
	}
	return nil
}

// SetCandidatePhoto stores a candidate's certificate photo (JPEG or PNG, checked by content,
// size and pixels: domain.CheckPhoto) until the sitting's certificates are issued; the photo is
// copied onto the certificate. The stored key and its audit row are written together. read
// yields the uploaded bytes; it is called only once the caller may manage the sitting.
func (s *Service) SetCandidatePhoto(ctx context.Context, a *Actor, sessionID, candidateID string, read func() ([]byte, error)) (models.SessionCandidate, error) {
	ss, err := s.sittingInScope(ctx, a, sessionID, "assessment", "manage")
	if err != nil {
		return models.SessionCandidate{}, err
	}
	cand, err := s.db.CandidateByID(ctx, candidateID)
	if err != nil || cand.SessionID != ss.ID {
		return models.SessionCandidate{}, ErrNotFound
	}
	if ss.Status == models.SessionIssued {
		return models.SessionCandidate{}, NewError(http.StatusConflict, "session_issued", "证书已颁发，不能再更换照片。")
	}
	if err := s.pilotInForce(ctx, ss); err != nil {
		return models.SessionCandidate{}, err
	}
	content, err := read()
	if err != nil {
		return models.SessionCandidate{}, err
	}
	ct, refusal := domain.CheckPhoto(content)
	if refusal != "" {
		return models.SessionCandidate{}, Invalid(validate.Errors{{Field: "photo", Code: "invalid_photo", Message: refusal}})
	}
	key := "photo-" + storage.NewKey()
	_, sum, err := s.att.store.Put(ctx, key, bytes.NewReader(content))
	if err != nil {
		return models.SessionCandidate{}, fmt.Errorf("store photo: %w", err)
	}
	err = s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		if err := tx.SetCandidatePhoto(ctx, cand.ID, key, ct, sum); err != nil {
			return models.AuditEntry{}, err
		}
		return models.AuditEntry{Action: "session.candidate_photo", ObjectType: "candidate", ObjectID: cand.ID, AfterState: sum,
			JurisdictionCode: ss.JurisdictionCode}, nil
	})
	if err != nil {
		_ = s.att.store.Delete(context.WithoutCancel(ctx), key)
		return models.SessionCandidate{}, err
	}
	return s.db.CandidateByID(ctx, cand.ID)
}

// CandidatePhoto opens a candidate's photo to whoever may read the sitting.
func (s *Service) CandidatePhoto(ctx context.Context, a *Actor, sessionID, candidateID string) (io.ReadCloser, string, error) {
	ss, err := s.sittingInScope(ctx, a, sessionID, "case", "read")
	if err != nil {
		return nil, "", err
	}
	cand, err := s.db.CandidateByID(ctx, candidateID)
	if err != nil || cand.SessionID != ss.ID || cand.PhotoKey == "" {
		return nil, "", ErrNotFound
	}
	rc, err := s.att.store.Open(ctx, cand.PhotoKey)
	return rc, cand.PhotoType, err
}

// CertificatePhoto opens a certificate's photo; the caller has authorised the reader for the
// certificate (certificate:read in its scope).
func (s *Service) CertificatePhoto(ctx context.Context, c models.Certificate) (io.ReadCloser, error) {
	if c.PhotoKey == "" {
		return nil, ErrNotFound
	}
	return s.att.store.Open(ctx, c.PhotoKey)
}
