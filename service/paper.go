package service

import (
	"context"
	"strings"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/policies"
)

// PaperReceiptInput is the receipt of an enterprise's signed paper application as the league
// types it.
type PaperReceiptInput struct {
	ReceivedOn string `json:"received_on"`
	ReceivedBy string `json:"received_by"`
	Remark     string `json:"remark"`
}

// MayRecordPaperReceipt says whether the actor records paper receipts for the case: the
// league/city that collects it (`summary submit` in the case's league), as it reports the
// summary with the paper materials.
func (s *Service) MayRecordPaperReceipt(a *Actor, c models.Case) bool {
	return a != nil && c.LeagueCode != "" && s.enf.Allowed(a.User.ID, c.LeagueCode, "summary", "submit")
}

// RecordPaperReceipt records (or corrects) the receipt of the case's signed paper application
// by its league/city: the day, who received it, a remark. The workflow is not involved: the
// receipt is a fact of the league's collection, kept beside the case and audited
// (case.paper_receipt, the former receipt as before-state).
func (s *Service) RecordPaperReceipt(ctx context.Context, a *Actor, caseID string, in PaperReceiptInput) (models.PaperReceipt, error) {
	var out models.PaperReceipt
	if a == nil {
		return out, ErrUnauthenticated
	}
	c, err := s.db.CaseByID(ctx, caseID)
	if err != nil {
		return out, err
	}
	if err := s.Require(ctx, a, "case", "read", policies.EnterpriseDomain(c.JurisdictionCode, c.EnterpriseID)); err != nil {
		return out, err
	}
	if err := s.Require(ctx, a, "summary", "submit", c.LeagueCode); err != nil {
		return out, err
	}
	in.ReceivedOn, in.ReceivedBy, in.Remark = strings.TrimSpace(in.ReceivedOn), strings.TrimSpace(in.ReceivedBy), strings.TrimSpace(in.Remark)
	if _, errs := domain.CheckPaperReceipt(in.ReceivedOn, in.ReceivedBy, in.Remark, c.CreatedAt, s.now(), s.cfg.Location); len(errs) > 0 {
		return out, Invalid(errs)
	}
	out = models.PaperReceipt{CaseID: c.ID, ReceivedOn: in.ReceivedOn, ReceivedBy: in.ReceivedBy, Remark: in.Remark,
		RecordedBy: a.User.ID, RecordedAt: s.now().UTC()}
	before, err := s.db.SavePaperReceipt(ctx, out)
	if err != nil {
		return out, err
	}
	e := models.AuditEntry{Action: "case.paper_receipt", ObjectType: "case", ObjectID: c.ID, JurisdictionCode: c.JurisdictionCode,
		AfterState: paperText(out), Reason: in.Remark, Outcome: models.OutcomeOK}
	if before != nil {
		e.BeforeState = paperText(*before)
	}
	_ = s.Audit(ctx, a, e)
	return out, nil
}

// paperText is a receipt in one line: 2027-05-18 张三 接收.
func paperText(r models.PaperReceipt) string { return r.ReceivedOn + " " + r.ReceivedBy + " 接收" }

// PaperReceiptText is how exports and pages state a receipt: "2027-05-18 由张三接收（备注）",
// or 未登记 when there is none.
func PaperReceiptText(r *models.PaperReceipt) string {
	if r == nil {
		return "未登记"
	}
	t := r.ReceivedOn + " 由" + r.ReceivedBy + "接收"
	if r.Remark != "" {
		t += "（" + r.Remark + "）"
	}
	return t
}

// CaseRecords are what a case page shows beside the workflow's facts: the numbers of its
// publication and filed work plan and the receipt of its paper application.
type CaseRecords struct {
	Numbers      CaseNumbers          `json:"numbers"`
	PaperReceipt *models.PaperReceipt `json:"paper_receipt,omitempty"`
	// MayRecordPaper says the caller records the paper receipt (the case's league).
	MayRecordPaper bool `json:"-"`
}

// MayReadCase answers, without auditing, what RecordsOfCase requires: `case read` in the case's
// enterprise's domain (a page leaves the records out for an expert, who reads the task only).
func (s *Service) MayReadCase(a *Actor, c models.Case) bool {
	if a == nil {
		return false
	}
	d := policies.EnterpriseDomain(c.JurisdictionCode, c.EnterpriseID)
	return s.enf.Allowed(a.User.ID, d, "case", "read") && (!domain.NeedsRelation(a.User.Role, "case", "read") || d == a.Domain)
}

// RecordsOfCase reads a case's numbers and paper receipt, for whoever may read the case.
func (s *Service) RecordsOfCase(ctx context.Context, a *Actor, c models.Case) (CaseRecords, error) {
	var out CaseRecords
	if err := s.Require(ctx, a, "case", "read", policies.EnterpriseDomain(c.JurisdictionCode, c.EnterpriseID)); err != nil {
		return out, err
	}
	var err error
	if out.Numbers, err = s.NumbersOfCase(ctx, c); err != nil {
		return out, err
	}
	rs, err := s.db.PaperReceiptsOf(ctx, []string{c.ID})
	if err != nil {
		return out, err
	}
	if r, ok := rs[c.ID]; ok {
		out.PaperReceipt = &r
	}
	out.MayRecordPaper = s.MayRecordPaperReceipt(a, c)
	return out, nil
}

// PaperReceiptsOf maps the cases to their paper receipts, for summaries (the caller has
// authorised the summary).
func (s *Service) PaperReceiptsOf(ctx context.Context, cs []models.Case) (map[string]models.PaperReceipt, error) {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return s.db.PaperReceiptsOf(ctx, ids)
}
