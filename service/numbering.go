package service

import (
	"context"
	"errors"
	"time"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/workflows"
)

// Document numbers (文号, 备案号): the patterns are configuration (Config.PublicationNumberPattern,
// FilingNumberPattern; domain.CheckNumberPattern), the rule of a number is
// domain.FormatDocumentNumber, the allocation models.AllocateDocumentNumber. A number is given
// right after the decision that makes the document (the region's 公布试点企业目录 for a batch,
// its 准予备案 of a work plan), and, should that step have been cut off (a crash between the
// workflow's answer and the allocation), on the first reading that finds it missing: a
// published batch or a filed plan never shows without its number.

// numberPatterns are the checked patterns in force.
func (s *Service) numberPattern(kind string) string {
	if kind == domain.DocFiling {
		return s.cfg.FilingNumberPattern
	}
	return s.cfg.PublicationNumberPattern
}

// yearIn is the calendar year of t where the programme runs (Asia/Shanghai).
func (s *Service) yearIn(t time.Time) int { return t.In(s.cfg.Location).Year() }

// allocate gives a subject its number of the kind (idempotent) and audits a new one.
func (s *Service) allocate(ctx context.Context, a *Actor, kind, subject, league, jurisdiction string, at time.Time) (models.DocumentNumber, error) {
	pattern := s.numberPattern(kind)
	scope := domain.NumberScope(pattern, league)
	year := s.yearIn(at)
	by := ""
	if a != nil {
		by = a.User.ID
	}
	n, created, err := s.db.AllocateDocumentNumber(ctx, models.NumberRequest{Kind: kind, Subject: subject, Scope: scope, Year: year,
		Format: func(seq int) string { return domain.FormatDocumentNumber(pattern, year, league, seq) }, IssuedBy: by, At: s.now()})
	if err != nil {
		return n, err
	}
	if created {
		_ = s.Audit(ctx, a, models.AuditEntry{Action: "document_number.allocate", ObjectType: kind, ObjectID: subject,
			AfterState: n.Number, JurisdictionCode: jurisdiction, Outcome: models.OutcomeOK})
	}
	return n, nil
}

// numberAfterDecision gives the document a decision made its number: called by SendDecision
// once the workflow accepted the decision. A failure is logged, not returned: the decision
// stands, and the next reading allocates the number (PublicationNumber, FilingNumber).
func (s *Service) numberAfterDecision(ctx context.Context, a *Actor, t models.Task, req workflows.DecisionRequest) {
	var err error
	switch {
	case t.Kind == workflows.KindPublish && req.Outcome == "publish":
		batch := req.Batch
		if batch == 0 {
			batch = t.Batch
		}
		_, err = s.PublicationNumber(ctx, a, t.CampaignID, batch)
	case t.Kind == workflows.KindFileWorkPlan && req.Outcome == "file":
		_, err = s.FilingNumber(ctx, a, t.CaseID)
	}
	if err != nil {
		s.log.ErrorContext(ctx, "document number not allocated", "task", t.ID, "kind", t.Kind, "err", err)
	}
}

// PublicationNumber is the 文号 of a campaign's directory batch, allocated if the batch is
// published and has none yet; "" while the batch is not published. a is who published it (nil:
// the system, on a reading).
func (s *Service) PublicationNumber(ctx context.Context, a *Actor, campaignID string, batch int) (string, error) {
	subject := models.PublicationSubject(campaignID, batch)
	if n, err := s.db.DocumentNumberOf(ctx, domain.DocPublication, subject); err == nil {
		return n.Number, nil
	} else if !errors.Is(err, models.ErrNotFound) {
		return "", err
	}
	cp, err := s.db.CampaignByID(ctx, campaignID)
	if errors.Is(err, models.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	at := cp.Batch1PublishedAt
	if batch == 2 {
		at = cp.Batch2PublishedAt
	}
	if at == nil {
		return "", nil
	}
	n, err := s.allocate(ctx, a, domain.DocPublication, subject, "", models.RegionCode, *at)
	return n.Number, err
}

// PublicationNumbers are the 文号 of the given directory entries' publications, by
// models.PublicationSubject (allocating a missing one as PublicationNumber does).
func (s *Service) PublicationNumbers(ctx context.Context, entries []models.DirectoryEntry) (map[string]string, error) {
	out := map[string]string{}
	for _, e := range entries {
		k := models.PublicationSubject(e.CampaignID, e.Batch)
		if _, done := out[k]; done {
			continue
		}
		n, err := s.PublicationNumber(ctx, nil, e.CampaignID, e.Batch)
		if err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, nil
}

// FilingNumber is the 备案号 of a case's work plan, allocated if the plan is filed and has none
// yet; "" while it is not filed. The sequence runs per league when the pattern names it.
func (s *Service) FilingNumber(ctx context.Context, a *Actor, caseID string) (string, error) {
	if n, err := s.db.DocumentNumberOf(ctx, domain.DocFiling, caseID); err == nil {
		return n.Number, nil
	} else if !errors.Is(err, models.ErrNotFound) {
		return "", err
	}
	t, err := s.db.FiledWorkPlanTask(ctx, caseID)
	if errors.Is(err, models.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	c, err := s.db.CaseByID(ctx, caseID)
	if err != nil {
		return "", err
	}
	at := s.now()
	if t.DecidedAt != nil {
		at = *t.DecidedAt
	}
	n, err := s.allocate(ctx, a, domain.DocFiling, caseID, c.LeagueCode, c.JurisdictionCode, at)
	return n.Number, err
}

// CaseNumbers are the numbers shown with a case: its publication's 文号 (when its batch is
// published) and its work plan's 备案号 (when filed). For callers that already may read the case.
type CaseNumbers struct {
	Publication string `json:"publication_number,omitempty"`
	Filing      string `json:"filing_number,omitempty"`
}

// NumbersOfCase reads (allocating if due) a case's numbers.
func (s *Service) NumbersOfCase(ctx context.Context, c models.Case) (CaseNumbers, error) {
	var out CaseNumbers
	var err error
	if c.Batch == 1 || c.Batch == 2 {
		if out.Publication, err = s.publicationOfCase(ctx, c); err != nil {
			return out, err
		}
	}
	out.Filing, err = s.FilingNumber(ctx, nil, c.ID)
	return out, err
}

// publicationOfCase is the 文号 of the publication that put the case in the directory (none
// while the case is not in the directory).
func (s *Service) publicationOfCase(ctx context.Context, c models.Case) (string, error) {
	ds, err := s.db.Directory(ctx, c.CampaignID, 0, true)
	if err != nil {
		return "", err
	}
	for _, d := range ds {
		if d.CaseID == c.ID {
			return s.PublicationNumber(ctx, nil, d.CampaignID, d.Batch)
		}
	}
	return "", nil
}
