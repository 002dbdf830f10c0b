package service

import (
	"context"
	"strconv"
	"time"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/policies"
)

// AuditQuery is the input of ListAudit. Jurisdiction is the domain listed (empty: the caller's
// own); From and To are inclusive days (2006-01-02) in the configured time zone.
type AuditQuery struct {
	Jurisdiction                                 string
	ObjectType, ObjectID, Action, Actor, Outcome string
	From, To                                     string
	Limit, Offset                                int
}

// ListAudit lists the audit log of the caller's scope (audit:read in the domain listed) newest
// first: below the region only rows of the domain's subtree, the region also anonymous rows.
func (s *Service) ListAudit(ctx context.Context, a *Actor, in AuditQuery) (ListResponse[models.AuditEntry], error) {
	var none ListResponse[models.AuditEntry]
	f, err := s.auditFilter(ctx, a, in, "read")
	if err != nil {
		return none, err
	}
	rows, total, err := s.db.SearchAudit(ctx, f)
	if err != nil {
		return none, err
	}
	return ListResponse[models.AuditEntry]{Items: rows, Total: total, Limit: in.Limit, Offset: in.Offset}, nil
}

// auditFilter checks that the caller may act (read, export) on the audit log of the domain
// queried and turns the query into the model's filter.
func (s *Service) auditFilter(ctx context.Context, a *Actor, in AuditQuery, act string) (models.AuditQuery, error) {
	domain := in.Jurisdiction
	if domain == "" && a != nil {
		domain = a.Domain
	}
	if err := s.Require(ctx, a, "audit", act, domain); err != nil {
		return models.AuditQuery{}, err
	}
	f := models.AuditQuery{AuditFilter: models.AuditFilter{ObjectType: in.ObjectType, ObjectID: in.ObjectID,
		Action: in.Action, Limit: in.Limit, Offset: in.Offset}, ActorName: in.Actor, Outcome: in.Outcome}
	switch f.Outcome {
	case "", models.OutcomeOK, models.OutcomeDenied, models.OutcomeRejected:
	default:
		return f, BadRequest("bad_outcome", "outcome 应为 ok、denied 或 rejected。")
	}
	var err error
	if f.From, err = s.auditDay(in.From, "from", 0); err != nil {
		return f, err
	}
	if f.To, err = s.auditDay(in.To, "to", 1); err != nil {
		return f, err
	}
	if j, _ := policies.SplitDomain(domain); j != models.RegionCode {
		f.Jurisdictions = s.SubtreeOf(domain)
	}
	return f, nil
}

// auditDay parses a date parameter (2006-01-02, in the configured time zone) and returns the
// start of that day plus addDays; an empty value is the zero time.
func (s *Service) auditDay(v, name string, addDays int) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	d, err := time.ParseInLocation("2006-01-02", v, s.cfg.Location)
	if err != nil {
		return time.Time{}, BadRequest("bad_date", name+" 应为日期，如 2027-05-20。")
	}
	if f := domain.PilotDates.Check(d); f != nil {
		return time.Time{}, Invalid(validate.Errors{{Field: name, Code: f.Code, Message: f.Message}})
	}
	return d.AddDate(0, 0, addDays), nil
}

// VerifyAudit checks the audit log's hash chain (audit:verify in the caller's own domain); the
// check is a read, and its audit row is appended after it.
func (s *Service) VerifyAudit(ctx context.Context, a *Actor) (models.ChainReport, error) {
	if a == nil {
		return models.ChainReport{}, ErrUnauthenticated
	}
	if err := s.Require(ctx, a, "audit", "verify", a.Domain); err != nil {
		return models.ChainReport{}, err
	}
	rep, err := s.db.VerifyAudit(ctx)
	if err != nil {
		return models.ChainReport{}, err
	}
	_ = s.Audit(ctx, a, models.AuditEntry{Action: "audit.verify", ObjectType: "audit_log",
		AfterState: strconv.FormatBool(rep.OK) + " rows=" + strconv.FormatInt(rep.Rows, 10)})
	return rep, nil
}
