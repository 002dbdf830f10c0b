package service

import (
	"context"
	"fmt"

	dom "skillcert/domain"

	"skillcert/models"
	"skillcert/policies"
	"skillcert/workflows"
)

// Authorization and the audit log: every use case authorizes its caller (Require) and writes
// with its audit row (audited); refusals are audited too (Forbid).

// Actor is the authenticated caller of a request.
type Actor struct {
	User models.User
	// Domain is the authorization domain of the user's grant: a jurisdiction code, or the
	// enterprise node for enterprise users.
	Domain string
	// Jurisdiction is the user's jurisdiction, or the enterprise's for enterprise users.
	Jurisdiction string
	// ViaToken is true for bearer-token requests (exempt from CSRF: browsers never send them).
	ViaToken bool
	// SessionHash identifies the session for CSRF binding and logout.
	SessionHash string
	// PasswordChangeDue: the session can do nothing but change the password
	// (Service.PasswordChangeDue).
	PasswordChangeDue bool
	// SecondFactorSetupDue: the session can do nothing but enrol in two-factor login
	// (Service.SecondFactorSetupDue).
	SecondFactorSetupDue bool
}

// snapshot is the actor as the workflows record it.
func (a *Actor) snapshot() workflows.Actor {
	return workflows.Actor{UserID: a.User.ID, Username: a.User.Username, Name: a.User.DisplayName, Role: a.User.Role,
		Jurisdiction: a.Jurisdiction, Domain: a.Domain}
}

// ActorFor builds the actor of a user and keeps the enforcer's grant in step with the row.
func (s *Service) ActorFor(ctx context.Context, u models.User) (*Actor, error) {
	a := &Actor{User: u, Jurisdiction: u.Jurisdiction(), Domain: u.Jurisdiction()}
	if u.Role == models.RoleEnterpriseUser {
		e, err := s.db.EnterpriseByID(ctx, u.Enterprise())
		if err != nil {
			return nil, err
		}
		a.Jurisdiction = e.JurisdictionCode
		a.Domain = policies.EnterpriseDomain(e.JurisdictionCode, e.ID)
	}
	if err := s.enf.SetGrant(policies.Grant{User: u.ID, Role: u.Role, Domain: a.Domain}); err != nil {
		return nil, err
	}
	return a, nil
}

// Require checks that the actor's role may perform act on obj within domain. A refusal is
// audited and answered with ErrForbidden, as the authorize middleware does.
func (s *Service) Require(ctx context.Context, a *Actor, obj, act, domain string) error {
	if a == nil {
		return ErrUnauthenticated
	}
	if s.enf.Allowed(a.User.ID, domain, obj, act) && (!dom.NeedsRelation(a.User.Role, obj, act) || domain == a.Domain) {
		return nil
	}
	return s.Forbid(ctx, a, obj, act, domain)
}

// RequireRelated checks, as Require does, that the actor's role may perform act on obj within
// domain and, where the need-to-know table grants that right only by a relation to the object
// (dom.Assigned, dom.Drawn), that related reports the actor stands in it. Require alone refuses
// such a right on anything but the actor's own list scope, so a use case that forgets the
// relation fails closed. A right by relation does not depend on the domain.
func (s *Service) RequireRelated(ctx context.Context, a *Actor, obj, act, domain string, related func(dom.Relation) (bool, error)) error {
	if a == nil {
		return ErrUnauthenticated
	}
	ok, err := s.MayRelated(a, obj, act, domain, related)
	if err != nil {
		return err
	}
	if !ok {
		return s.Forbid(ctx, a, obj, act, domain)
	}
	return nil
}

// MayRelated answers what RequireRelated checks, without auditing (a page deciding whether to
// show something).
func (s *Service) MayRelated(a *Actor, obj, act, domain string, related func(dom.Relation) (bool, error)) (bool, error) {
	rel, _ := dom.RelationFor(a.User.Role, obj, act)
	if rel != dom.Assigned && rel != dom.Drawn {
		return s.enf.Allowed(a.User.ID, domain, obj, act), nil
	}
	// The relation itself is the right: being drawn or assigned reaches beyond the grant's
	// jurisdiction (a league's supervisor drawn for a sitting elsewhere).
	return related(rel)
}

// Forbid audits a refused attempt and returns ErrForbidden.
func (s *Service) Forbid(ctx context.Context, a *Actor, obj, act, domain string) error {
	j, _ := policies.SplitDomain(domain)
	_ = s.Audit(ctx, a, models.AuditEntry{
		Action: obj + "." + act, ObjectType: obj, ObjectID: domain, Outcome: models.OutcomeDenied,
		JurisdictionCode: Truncate(j, 6), Reason: "outside role or jurisdiction",
	})
	return ErrForbidden
}

// SubtreeOf returns the jurisdiction codes a list query may return for a domain, as subtree
// does for a request's scope (use cases, which have the domain rather than the request).
func (s *Service) SubtreeOf(domain string) []string {
	j, e := policies.SplitDomain(domain)
	if e != "" {
		return []string{}
	}
	return s.enf.Tree().Subtree(j)
}

// Audit appends to the audit log; a failure is logged, and the caller decides whether it is fatal.
func (s *Service) Audit(ctx context.Context, a *Actor, e models.AuditEntry) error {
	s.fillAudit(ctx, a, &e)
	if err := s.db.AppendAudit(ctx, &e); err != nil {
		s.log.ErrorContext(ctx, "audit append failed", "action", e.Action, "err", err)
		return err
	}
	return nil
}

// fillAudit completes an audit row with the actor, the request ID and the default outcome.
func (s *Service) fillAudit(ctx context.Context, a *Actor, e *models.AuditEntry) {
	if a != nil {
		e.ActorID, e.ActorName, e.Role = a.User.ID, a.User.Username, a.User.Role
		if e.JurisdictionCode == "" {
			e.JurisdictionCode = a.Jurisdiction
		}
	}
	e.RequestID = RequestIDFrom(ctx)
	if e.Outcome == "" {
		e.Outcome = models.OutcomeOK
	}
}

// auditIn appends an audit row inside tx, the transaction of the write it records, so that the
// write and its audit row commit together or not at all.
func (s *Service) auditIn(ctx context.Context, tx *models.DB, a *Actor, e models.AuditEntry) error {
	s.fillAudit(ctx, a, &e)
	return tx.AppendAudit(ctx, &e)
}

// audited runs write and appends the audit row it returns in one transaction.
func (s *Service) audited(ctx context.Context, a *Actor, write func(tx *models.DB) (models.AuditEntry, error)) error {
	return s.db.Tx(ctx, func(tx *models.DB) error {
		e, err := write(tx)
		if err != nil {
			return err
		}
		return s.auditIn(ctx, tx, a, e)
	})
}

// auditRow completes an audit entry for the caller as s.Audit would, for a model function that
// appends it in its own transaction.
func (s *Service) auditRow(ctx context.Context, a *Actor, e models.AuditEntry) models.AuditEntry {
	e.ActorID, e.ActorName, e.Role = a.User.ID, a.User.Username, a.User.Role
	if e.JurisdictionCode == "" {
		e.JurisdictionCode = a.Jurisdiction
	}
	e.RequestID = RequestIDFrom(ctx)
	e.Outcome = models.OutcomeOK
	return e
}

type ctxKey int

const requestIDKey ctxKey = iota

// WithRequestID carries a request's ID in its context, for the audit rows and logs of the
// use cases it calls.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestIDFrom is the request ID a context carries ("" for none).
func RequestIDFrom(ctx context.Context) string {
	if v, ok := ctx.Value(requestIDKey).(string); ok {
		return v
	}
	return ""
}

// Truncate cuts s to at most n bytes (codes and keys in audit rows; never mid-character
// text for people).
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// NewEnforcer builds the authorization enforcer from the jurisdictions and users tables.
// Grants are also re-synced from each request's user row, so edits on any replica take effect
// on the next request everywhere.
func NewEnforcer(ctx context.Context, db *models.DB) (*policies.Enforcer, error) {
	parents, err := db.JurisdictionParents(ctx)
	if err != nil {
		return nil, fmt.Errorf("load jurisdictions: %w", err)
	}
	tree, err := policies.NewTree(parents)
	if err != nil {
		return nil, err
	}
	users, err := db.ActiveUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("load users: %w", err)
	}
	grants := make([]policies.Grant, 0, len(users))
	for _, u := range users {
		domain := u.Jurisdiction()
		if u.Role == models.RoleEnterpriseUser {
			e, err := db.EnterpriseByID(ctx, u.Enterprise())
			if err != nil {
				return nil, fmt.Errorf("enterprise of user %s: %w", u.ID, err)
			}
			domain = policies.EnterpriseDomain(e.JurisdictionCode, e.ID)
		}
		grants = append(grants, policies.Grant{User: u.ID, Role: u.Role, Domain: domain})
	}
	return policies.NewEnforcer(tree, grants)
}
