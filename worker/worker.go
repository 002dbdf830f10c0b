// Package worker registers skillcert's workflows and activities on the task queue and makes
// sure the namespace has the custom search attributes they set.
package worker

import (
	"context"
	"crypto"
	"fmt"
	"log/slog"

	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"skillcert/activities"
	"skillcert/models"
	"skillcert/workflows"
)

// Deps are what the workflows' activities need.
type Deps struct {
	DB     *models.DB
	Logger *slog.Logger
	// Temporal and Namespace are the watchdog's way to describe and list workflows.
	Temporal  client.Client
	Namespace string
	// SigningKey signs the certificates the sessions issue.
	SigningKey crypto.Signer
}

// New creates a worker on taskQueue with every workflow and activity registered. The
// activities use c for Temporal calls unless d.Temporal is set.
func New(c client.Client, taskQueue string, d Deps) sdkworker.Worker {
	if d.Temporal == nil {
		d.Temporal = c
	}
	w := sdkworker.New(c, taskQueue, sdkworker.Options{})
	Register(w, d)
	return w
}

// Register puts every workflow and activity on a registry (a worker, or a test environment).
func Register(w sdkworker.Registry, d Deps) {
	w.RegisterWorkflow(workflows.EnterpriseCase)
	w.RegisterWorkflow(workflows.LeagueCollection)
	w.RegisterWorkflow(workflows.Campaign)
	w.RegisterWorkflow(workflows.Complaint)
	w.RegisterWorkflow(workflows.AssessmentSession)
	w.RegisterWorkflow(workflows.Watchdog)
	w.RegisterActivity(&activities.Activities{DB: d.DB, Logger: d.Logger, Temporal: d.Temporal, Namespace: d.Namespace, SigningKey: d.SigningKey})
}

// EnsureSearchAttributes registers any missing custom search attribute on the namespace.
// It is idempotent; the production worker calls it at start.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	op := c.OperatorService()
	have, err := op.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes: %w", err)
	}
	missing := workflows.SearchAttributes()
	for name := range have.GetCustomAttributes() {
		delete(missing, name)
	}
	if len(missing) == 0 {
		return nil
	}
	if _, err := op.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: namespace, SearchAttributes: missing,
	}); err != nil {
		return fmt.Errorf("add search attributes: %w", err)
	}
	return nil
}
