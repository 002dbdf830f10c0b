package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"skillcert/internal/cryptosuite"
	"skillcert/models"
	"skillcert/models/validate"
)

// ErrCertificateInvalid is the type of the non-retryable error IssueCertificates returns when a
// candidate cannot be certified as given (missing name, sealed ID or occupation; invalid level;
// a year that is not the issue date's; an unknown enterprise).
const ErrCertificateInvalid = "CertificateInvalid"

// IssueCandidate is one candidate who passed and whose result the region's centre approved.
// The ID number travels sealed only (see package pii), so workflow histories never hold it.
type IssueCandidate struct {
	// Key identifies the candidate within the session; with the session ID it is the
	// idempotency key of the certificate.
	Key            string `json:"key"`
	Name           string `json:"name"`
	IDCipher       string `json:"id_cipher"`
	IDLookup       string `json:"id_lookup"`
	IDMasked       string `json:"id_masked"`
	OccupationCode string `json:"occupation_code"`
	OccupationName string `json:"occupation_name"`
	WorkType       string `json:"work_type,omitempty"` // 工种; empty prints "--"
	Level          int    `json:"level"`               // 1 (一级/高级技师) to 5 (五级/初级工)
}

// IssueInput asks for the certificates of one assessment session.
type IssueInput struct {
	SessionID    string `json:"session_id"`
	EnterpriseID string `json:"enterprise_id"`
	CaseID       string `json:"case_id"`
	// Year is the issue year in the numbers; 0 means the year of IssueDate (Asia/Shanghai),
	// any other value must equal it.
	Year int `json:"year"`
	// IssueDate is any instant of the issue day; the day is taken in Asia/Shanghai. Pass a
	// value fixed by the workflow (workflow.Now), never the activity's clock, so a retry issues
	// the same date.
	IssueDate  time.Time        `json:"issue_date"`
	Candidates []IssueCandidate `json:"candidates"`
}

// IssueResult lists the certificates in candidate order.
type IssueResult struct {
	Numbers        []string `json:"numbers"`
	CertificateIDs []string `json:"certificate_ids"`
}

// IssueCertificates issues, numbers and signs (Ed25519 or SM2, with SigningKey) the certificates of a
// session's candidates in one database transaction, and queues each for the national query
// sync. Side effects: rows in certificates, certificate_serials, certificate_sync, and the
// enterprise's site serial on its first issue. Idempotency key: session ID + candidate key per
// certificate, so a retry, or a workflow that asks again, gets the same numbers back.
// Invalid input fails with the non-retryable type ErrCertificateInvalid.
func (a *Activities) IssueCertificates(ctx context.Context, in IssueInput) (IssueResult, error) {
	if cryptosuite.SignerAlg(a.SigningKey) == "" {
		// A configuration fault: retried, so a worker restarted with the key carries on.
		return IssueResult{}, errors.New("issue certificates: worker has no signing key")
	}
	if in.SessionID == "" || in.EnterpriseID == "" {
		return IssueResult{}, temporal.NewNonRetryableApplicationError("session and enterprise are required", ErrCertificateInvalid, nil)
	}
	// No certificate for an enterprise whose pilot is suspended, removed or closed.
	if err := a.caseInForce(ctx, in.CaseID); err != nil {
		return IssueResult{}, err
	}
	drafts := make([]models.CertificateDraft, len(in.Candidates))
	for i, c := range in.Candidates {
		if c.Key == "" {
			return IssueResult{}, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("candidate %d has no key", i), ErrCertificateInvalid, nil)
		}
		drafts[i] = models.CertificateDraft{EnterpriseID: in.EnterpriseID, CaseID: in.CaseID, SessionID: in.SessionID,
			CandidateKey: in.SessionID + "/" + c.Key, HolderName: c.Name,
			ID:             models.PersonID{Cipher: c.IDCipher, Lookup: c.IDLookup, Masked: c.IDMasked},
			OccupationCode: c.OccupationCode, OccupationName: c.OccupationName, WorkType: c.WorkType,
			Level: validate.Level(c.Level), IssueDate: in.IssueDate, Year: in.Year}
		// The holder's ID type, gender and photo come from the candidate's record (the key is the
		// candidate's ID), so the workflow's input stays as it was.
		cand, err := a.DB.CandidateByID(ctx, c.Key)
		switch {
		case err == nil && cand.SessionID == in.SessionID:
			drafts[i].Identity = cand.HolderIdentity
		case err != nil && !errors.Is(err, models.ErrNotFound):
			return IssueResult{}, err
		}
	}
	cs, err := a.DB.IssueCertificates(ctx, a.SigningKey, drafts)
	if errors.Is(err, models.ErrInvalidCertificate) {
		// The message names the draft's index and the fault, never personal data.
		return IssueResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrCertificateInvalid, nil)
	}
	if err != nil {
		return IssueResult{}, err
	}
	res := IssueResult{Numbers: make([]string, len(cs)), CertificateIDs: make([]string, len(cs))}
	for i, c := range cs {
		res.Numbers[i], res.CertificateIDs[i] = c.Number, c.ID
	}
	return res, nil
}
