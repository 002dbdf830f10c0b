package service

import (
	"context"
	"errors"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/policies"
)

// The assessing organisation's filing code with the national centre (备案编码): sent with every
// certificate record to the national query (nationalsync), before only settable in the
// database. The region and its appraisal centre keep it (`enterprise manage`), checked by
// domain.FilingCodeRule and unique across enterprises.

// FilingCodeRow is a pilot enterprise with its filing code.
type FilingCodeRow struct {
	EnterpriseID     string `json:"enterprise_id"`
	Name             string `json:"name"`
	CreditCode       string `json:"credit_code"`
	JurisdictionCode string `json:"jurisdiction_code"`
	FilingCode       string `json:"filing_code"`
}

// FilingCodes lists the pilot enterprises (published in the directory) with their filing codes.
func (s *Service) FilingCodes(ctx context.Context, a *Actor) ([]FilingCodeRow, error) {
	if err := s.Require(ctx, a, "enterprise", "manage", models.RegionCode); err != nil {
		return nil, err
	}
	es, err := s.db.PilotEnterprises(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]FilingCodeRow, 0, len(es))
	for _, e := range es {
		out = append(out, FilingCodeRow{EnterpriseID: e.ID, Name: e.Name, CreditCode: e.CreditCode, JurisdictionCode: e.JurisdictionCode, FilingCode: e.FilingCode})
	}
	return out, nil
}

// SetFilingCode sets (or, with "", clears) an enterprise's filing code; audited
// enterprise.filing_code with the former and the new code.
func (s *Service) SetFilingCode(ctx context.Context, a *Actor, enterpriseID, code string) (FilingCodeRow, error) {
	var out FilingCodeRow
	if a == nil {
		return out, ErrUnauthenticated
	}
	ent, err := s.db.EnterpriseByID(ctx, enterpriseID)
	if err != nil {
		return out, err
	}
	if err := s.Require(ctx, a, "enterprise", "manage", policies.EnterpriseDomain(ent.JurisdictionCode, ent.ID)); err != nil {
		return out, err
	}
	norm, rerr := domain.FilingCodeRule(code)
	if rerr != nil {
		return out, Invalid(validate.Errors{{Field: "filing_code", Code: "format", Message: rerr.Error()}})
	}
	before, err := s.db.SetFilingCode(ctx, ent.ID, norm, s.now())
	if errors.Is(err, models.ErrConflict) {
		return out, Invalid(validate.Errors{{Field: "filing_code", Code: "taken", Message: "该备案编码已登记给另一家企业，请核对。"}})
	}
	if err != nil {
		return out, err
	}
	if before != norm {
		_ = s.Audit(ctx, a, models.AuditEntry{Action: "enterprise.filing_code", ObjectType: "enterprise", ObjectID: ent.ID,
			JurisdictionCode: ent.JurisdictionCode, BeforeState: before, AfterState: norm, Outcome: models.OutcomeOK})
	}
	return FilingCodeRow{EnterpriseID: ent.ID, Name: ent.Name, CreditCode: ent.CreditCode, JurisdictionCode: ent.JurisdictionCode, FilingCode: norm}, nil
}
