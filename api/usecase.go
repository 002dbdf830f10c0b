package api

import (
	"context"

	"skillcert/models"
	"skillcert/policies"
)

// Use cases are Server methods of the form
//
//	func (s *Server) verbNoun(ctx context.Context, a *Actor, in Input) (Output, error)
//
// that both the JSON handler and the page handler call: they authorize (require), validate,
// write and audit, and return the error vocabulary of errors.go. Handlers only decode the
// request and encode the answer; pages never go through the JSON router.

// require checks that the actor's role may perform act on obj within domain. A refusal is
// audited and answered with errForbidden, as the authorize middleware does.
func (s *Server) require(ctx context.Context, a *Actor, obj, act, domain string) error {
	if a == nil {
		return errUnauthenticated
	}
	if s.enf.Allowed(a.User.ID, domain, obj, act) {
		return nil
	}
	return s.forbid(ctx, a, obj, act, domain)
}

// forbid audits a refused attempt and returns errForbidden.
func (s *Server) forbid(ctx context.Context, a *Actor, obj, act, domain string) error {
	j, _ := policies.SplitDomain(domain)
	_ = s.audit(ctx, a, models.AuditEntry{
		Action: obj + "." + act, ObjectType: obj, ObjectID: domain, Outcome: models.OutcomeDenied,
		JurisdictionCode: truncate(j, 6), Reason: "outside role or jurisdiction",
	})
	return errForbidden
}

// auditIn appends an audit row inside tx, the transaction of the write it records, so that the
// write and its audit row commit together or not at all.
func (s *Server) auditIn(ctx context.Context, tx *models.DB, a *Actor, e models.AuditEntry) error {
	s.fillAudit(ctx, a, &e)
	return tx.AppendAudit(ctx, &e)
}

// audited runs write and appends the audit row it returns in one transaction.
func (s *Server) audited(ctx context.Context, a *Actor, write func(tx *models.DB) (models.AuditEntry, error)) error {
	return s.db.Tx(ctx, func(tx *models.DB) error {
		e, err := write(tx)
		if err != nil {
			return err
		}
		return s.auditIn(ctx, tx, a, e)
	})
}
