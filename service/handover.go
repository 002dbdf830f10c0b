package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/workflows"
)

// SubmittedApplication identifies a submitted application version handed to the lifecycle.
type SubmittedApplication struct {
	ApplicationID string
	Version       int
	EnterpriseID  string
	CampaignID    string
}

// CampaignFor returns the ID of the pilot campaign that takes applications at now: the first
// year whose collection deadline has not passed, a running campaign's deadline being the one
// it has now (the region may have moved it), others the default 20 May (domain.CampaignFor).
func (s *Service) CampaignFor(ctx context.Context, now time.Time) (string, error) {
	var err error
	year := domain.CampaignFor(now, func(year int) (time.Time, bool) {
		c, e := s.db.CampaignByID(ctx, strconv.Itoa(year))
		if e != nil {
			if !errors.Is(e, models.ErrNotFound) && err == nil {
				err = e
			}
			return time.Time{}, false
		}
		return c.CollectionDeadline, true
	})
	if err != nil {
		return "", err
	}
	return strconv.Itoa(year), nil
}

// leagueOf walks up from a jurisdiction to its league/city (a county-level city that reports
// to the region directly is its own league).
func (s *Service) leagueOf(ctx context.Context, code string) (models.Jurisdiction, error) {
	for code != "" {
		j, err := s.db.JurisdictionByCode(ctx, code)
		if err != nil {
			return j, err
		}
		if j.Level == models.LevelLeague {
			return j, nil
		}
		code = j.Parent()
	}
	return models.Jurisdiction{}, models.ErrNotFound
}

// onApplicationSubmitted hands a submitted application to its enterprise case: the first
// submission starts the case; a corrected one answers the open correction task.
func (s *Service) onApplicationSubmitted(ctx context.Context, a *Actor, sub SubmittedApplication) error {
	if s.temporal == nil {
		return errors.New("temporal client not configured")
	}
	if c, err := s.db.CaseByApplication(ctx, sub.ApplicationID); err == nil {
		if c.ApplicationVersion >= sub.Version {
			return nil // handed over already: a repeated submission
		}
		tasks, err := s.db.OpenTasksOfCase(ctx, c.ID)
		if err != nil {
			return err
		}
		for _, t := range tasks {
			if t.Kind == workflows.KindCorrection {
				_, err := s.SendDecision(ctx, a, t, workflows.DecisionRequest{Outcome: "resubmit", ApplicationVersion: sub.Version},
					fmt.Sprintf("v%d", sub.Version))
				return err
			}
		}
		return NewError(http.StatusConflict, "case_not_waiting", "该申报当前不在补正阶段，无需重新提交。")
	} else if !errors.Is(err, models.ErrNotFound) {
		return err
	}
	e, err := s.db.EnterpriseByID(ctx, sub.EnterpriseID)
	if err != nil {
		return err
	}
	league, err := s.leagueOf(ctx, e.JurisdictionCode)
	if err != nil {
		return err
	}
	in := workflows.CaseInput{CaseID: sub.ApplicationID, CampaignID: sub.CampaignID, ApplicationID: sub.ApplicationID,
		ApplicationVersion: sub.Version, EnterpriseID: e.ID, EnterpriseName: e.Name, Jurisdiction: e.JurisdictionCode,
		League: league.Code, Region: models.RegionCode, PrecheckEnabled: league.PrecheckEnabled, Submitter: a.snapshot(),
		Timing: s.timing}
	// Started with the Started Update (Update-with-Start): the answer comes once the case's
	// first step is written, so the caller's next page already shows the case.
	err = startAndAwait(ctx, s.temporal, client.StartWorkflowOptions{
		ID: workflows.CaseWorkflowID(sub.ApplicationID), TaskQueue: s.taskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes: temporal.NewSearchAttributes(workflows.JurisdictionCode.ValueSet(e.JurisdictionCode),
			workflows.CaseStage.ValueSet("submitted")),
	}, workflows.EnterpriseCase, in)
	if err != nil {
		return fmt.Errorf("start case: %w", err)
	}
	return nil
}

// startAndAwait starts a workflow (or finds it running) with its Started Update, which answers
// once the workflow's first step is written. A workflow of that ID that already ended counts as
// started.
func startAndAwait(ctx context.Context, tc client.Client, opts client.StartWorkflowOptions, wf any, arg any) error {
	op := tc.NewWithStartWorkflowOperation(opts, wf, arg)
	h, err := tc.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{StartWorkflowOperation: op,
		UpdateOptions: client.UpdateWorkflowOptions{UpdateName: workflows.StartedUpdate, WaitForStage: client.WorkflowUpdateStageCompleted}})
	if err == nil {
		err = h.Get(ctx, nil)
	}
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil
	}
	return err
}

// ResumeHandOvers hands to the lifecycle every submitted application that has no case: the
// process stopped between storing the submission and starting its case workflow. Only
// submissions older than minAge are taken (younger ones may be in the middle of their
// request); starting a case is idempotent (the workflow ID is the application's), so two API
// processes doing this at once start each case once. It returns how many it handed over.
func (s *Service) ResumeHandOvers(ctx context.Context, minAge time.Duration) (int, error) {
	var pending []struct {
		ID, EnterpriseID, CampaignID, SubmittedBy string
		CurrentVersion                            int
	}
	if err := s.db.WithContext(ctx).Raw(`SELECT a.id, a.enterprise_id, a.campaign_id, a.current_version, v.submitted_by
		FROM applications a JOIN application_versions v ON v.application_id = a.id AND v.version = a.current_version
		WHERE a.status = ? AND a.submitted_at <= ? AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.application_id = a.id)`,
		models.ApplicationSubmitted, s.now().UTC().Add(-minAge)).Scan(&pending).Error; err != nil {
		return 0, err
	}
	n := 0
	for _, p := range pending {
		u, err := s.db.UserByID(ctx, p.SubmittedBy)
		if err != nil {
			return n, fmt.Errorf("submitter of %s: %w", p.ID, err)
		}
		a, err := s.ActorFor(ctx, u)
		if err != nil {
			return n, err
		}
		if err := s.onApplicationSubmitted(ctx, a, SubmittedApplication{ApplicationID: p.ID, Version: p.CurrentVersion,
			EnterpriseID: p.EnterpriseID, CampaignID: p.CampaignID}); err != nil {
			return n, fmt.Errorf("hand over %s: %w", p.ID, err)
		}
		s.log.InfoContext(ctx, "submitted application handed over after a restart", "applicationID", p.ID)
		n++
	}
	return n, nil
}

// RunHandOverRecovery runs ResumeHandOvers at start and then every interval until ctx ends.
func (s *Service) RunHandOverRecovery(ctx context.Context, interval time.Duration) {
	minAge := time.Duration(0) // at start no request of this process is in flight
	for {
		if _, err := s.ResumeHandOvers(ctx, minAge); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "hand over pending submissions", "err", err)
		}
		minAge = interval
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

// SetHandOver replaces how a stored submission is handed to the lifecycle (by default
// onApplicationSubmitted, which starts or resumes the case workflow): tests that run without
// Temporal record or fail the hand-over instead. It must be called before the service serves.
func (s *Service) SetHandOver(f func(ctx context.Context, a *Actor, sub SubmittedApplication) error) {
	s.apps.submitted = f
}
