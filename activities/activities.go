// Package activities holds the side effects of the workflows: projection writes, the expert
// draw, look-ups the workflows need, and notification delivery. Every activity is idempotent.
package activities

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"skillcert/domain"
	"skillcert/models"
)

// Activities are the workflow activities with their dependencies.
type Activities struct {
	DB     *models.DB
	Logger *slog.Logger
	// Temporal and Namespace let the watchdog describe and list workflows.
	Temporal  client.Client
	Namespace string
	// SigningKey signs the certificates IssueCertificates issues.
	SigningKey crypto.Signer
}

// Apply writes a projection transition in one transaction. Idempotency key: the transition's
// Key (workflow ID + step), recorded in the transitions table in the same transaction.
func (a *Activities) Apply(ctx context.Context, tr models.Transition) error {
	_, err := a.DB.ApplyTransition(ctx, tr)
	return err
}

// DrawPanelInput asks for an expert panel for a case.
type DrawPanelInput struct {
	CaseID       string `json:"case_id"`
	EnterpriseID string `json:"enterprise_id"`
	Enterprise   string `json:"enterprise"` // name, to exclude experts employed there
	Size         int    `json:"size"`
	Seed         uint64 `json:"seed"`
	// Exclude are experts who may not be drawn (a redraw: the panel's members so far).
	Exclude []string `json:"exclude,omitempty"`
}

// Panel is the drawn panel with everything needed to re-run and check the draw.
type Panel struct {
	Seed       uint64   `json:"seed"`
	Candidates []string `json:"candidates"` // eligible experts in pool order, after exclusions
	Excluded   []string `json:"excluded"`   // experts excluded for a conflict, before the draw
	Members    []string `json:"members"`    // drawn experts (user IDs)
}

// ErrPoolTooSmall is the type of the non-retryable error when too few experts are eligible.
const ErrPoolTooSmall = "ExpertPoolTooSmall"

// DrawPanel draws Size experts at random from the active pool, excluding declared conflicts and
// experts employed by the enterprise before the draw. The draw is a pure function of the pool
// and Seed (which the workflow records), so it can be re-run and audited; no side effects.
func (a *Activities) DrawPanel(ctx context.Context, in DrawPanelInput) (Panel, error) {
	pool, err := a.DB.ExpertPool(ctx)
	if err != nil {
		return Panel{}, err
	}
	return drawPanel(pool, in)
}

func drawPanel(pool []models.Expert, in DrawPanelInput) (Panel, error) {
	p := Panel{Seed: in.Seed}
	ds := make([]domain.Drawable, len(pool))
	for i, e := range pool {
		ds[i] = domain.Drawable{ID: e.UserID, Employer: e.Employer, Conflicts: strings.Split(e.Conflicts, ",")}
	}
	p.Candidates, p.Excluded = domain.Eligible(ds, in.EnterpriseID, in.Enterprise)
	if len(in.Exclude) > 0 {
		p.Candidates = slices.DeleteFunc(p.Candidates, func(id string) bool { return slices.Contains(in.Exclude, id) })
	}
	members, err := domain.Pick(domain.Rand(in.Seed, domain.PanelSalt), p.Candidates, in.Size)
	if err != nil {
		return p, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("expert pool has %d eligible experts, panel needs %d", len(p.Candidates), in.Size), ErrPoolTooSmall, nil,
			len(p.Candidates), in.Size)
	}
	p.Members = members
	return p, nil
}

// CasesAwaitingPublication lists the workflow IDs of a campaign's cases selected for a batch.
func (a *Activities) CasesAwaitingPublication(ctx context.Context, campaignID string, batch int) ([]string, error) {
	return a.DB.CasesAwaitingPublication(ctx, campaignID, batch)
}

// DirectoryFacts are the public details of an enterprise for the directory.
type DirectoryFacts struct {
	Name, Address, ContactName, ContactPhone string
}

// EnterpriseFacts reads the directory details of a case's enterprise. Read-only.
func (a *Activities) EnterpriseFacts(ctx context.Context, caseID string) (DirectoryFacts, error) {
	c, err := a.DB.CaseByID(ctx, caseID)
	if err != nil {
		return DirectoryFacts{}, err
	}
	e, err := a.DB.EnterpriseByID(ctx, c.EnterpriseID)
	if err != nil {
		return DirectoryFacts{}, err
	}
	f := DirectoryFacts{Name: e.Name, Address: e.Address}
	if app, err := a.DB.ApplicationContent(ctx, c.ApplicationID, c.ApplicationVersion); err == nil {
		f.ContactName = app.Contact.Name
		f.ContactPhone = app.Contact.Landline
		if f.ContactPhone == "" {
			f.ContactPhone = app.Contact.Mobile
		}
		if app.Applicant.Address != "" {
			f.Address = app.Applicant.Address
		}
	}
	return f, nil
}

// CandidateFacts is what the session workflow needs of a candidate (never the clear ID).
type CandidateFacts struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	IDCipher    string `json:"id_cipher"`
	IDLookup    string `json:"id_lookup"`
	IDMasked    string `json:"id_masked"`
	Result      string `json:"result"`
	AuditStatus string `json:"audit_status"`
	Certificate string `json:"certificate"`
}

// ErrCaseNotInForce is the type of the non-retryable error of the sitting activities when the
// sitting's case is not an active pilot in force (suspended, removed, closed): nothing may be
// submitted, audited or certified for it.
const ErrCaseNotInForce = "CaseNotInForce"

// caseInForce refuses a case that may not run sittings or have certificates issued.
func (a *Activities) caseInForce(ctx context.Context, caseID string) error {
	if caseID == "" {
		return temporal.NewNonRetryableApplicationError("the sitting names no case", ErrCaseNotInForce, nil)
	}
	c, err := a.DB.CaseByID(ctx, caseID)
	if errors.Is(err, models.ErrNotFound) {
		return temporal.NewNonRetryableApplicationError("case "+caseID+" does not exist", ErrCaseNotInForce, nil)
	}
	if err != nil {
		return err
	}
	if !domain.InForce(c.Stage) {
		return temporal.NewNonRetryableApplicationError("case "+caseID+" is "+c.Stage+", not an active pilot", ErrCaseNotInForce, nil)
	}
	return nil
}

// SessionCandidates reads a session's candidates with their results, once the sitting's case
// is found in force (every decision of a sitting reads them first). Read-only.
func (a *Activities) SessionCandidates(ctx context.Context, sessionID string) ([]CandidateFacts, error) {
	ss, err := a.DB.SessionByID(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	if err := a.caseInForce(ctx, ss.CaseID); err != nil {
		return nil, err
	}
	cs, err := a.DB.Candidates(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	out := make([]CandidateFacts, 0, len(cs))
	for _, c := range cs {
		out = append(out, CandidateFacts{ID: c.ID, Name: c.Name, IDCipher: c.IDCipher, IDLookup: c.IDLookup, IDMasked: c.IDMasked,
			Result: c.Result, AuditStatus: c.AuditStatus, Certificate: c.CertificateNumber})
	}
	return out, nil
}

// PublicityPeriodInput asks for the end of a publicity of results starting at Start.
type PublicityPeriodInput struct {
	Start time.Time `json:"start"`
}

// PublicityPeriod is a publicity's length and end, computed on the region's working-day table
// and publicity length as they are when it starts (a later change of the table does not move
// a publicity under way: its end is recorded in the sitting's history and shown on the page).
type PublicityPeriod struct {
	Days int       `json:"days"`
	Ends time.Time `json:"ends"`
}

// PublicityPeriod reads the region's publicity length and working-day table and answers the
// end of a publicity starting at in.Start (domain.PublicityEnds). Read-only.
func (a *Activities) PublicityPeriod(ctx context.Context, in PublicityPeriodInput) (PublicityPeriod, error) {
	days, err := a.DB.PublicityDays(ctx)
	if err != nil {
		return PublicityPeriod{}, err
	}
	cal, _, err := a.DB.WorkCalendar(ctx)
	if err != nil {
		return PublicityPeriod{}, err
	}
	return PublicityPeriod{Days: days, Ends: domain.PublicityEnds(in.Start, days, cal)}, nil
}
