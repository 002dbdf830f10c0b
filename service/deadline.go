package service

import (
	"context"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
)

// DefaultTemporalTimeout bounds every call to Temporal made while serving a request.
const DefaultTemporalTimeout = 5 * time.Second

// deadlineClient gives every call to Temporal from a request a deadline, so that an
// unavailable Temporal answers 503 within seconds instead of holding the request for the
// client's own retries (25–29 s were seen). The calls a request makes are overridden here;
// the rest pass through.
type deadlineClient struct {
	client.Client
	d time.Duration
}

// withDeadline wraps tc (nil stays nil).
func withDeadline(tc client.Client, d time.Duration) client.Client {
	if tc == nil {
		return nil
	}
	if dc, ok := tc.(*deadlineClient); ok {
		tc = dc.Client
	}
	return &deadlineClient{Client: tc, d: d}
}

func (c *deadlineClient) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.d)
}

func (c *deadlineClient) UpdateWorkflow(ctx context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	h, err := c.Client.UpdateWorkflow(ctx, o)
	if err != nil {
		return nil, err
	}
	return deadlineHandle{WorkflowUpdateHandle: h, d: c.d}, nil
}

func (c *deadlineClient) UpdateWithStartWorkflow(ctx context.Context, o client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	h, err := c.Client.UpdateWithStartWorkflow(ctx, o)
	if err != nil {
		return nil, err
	}
	return deadlineHandle{WorkflowUpdateHandle: h, d: c.d}, nil
}

func (c *deadlineClient) SignalWorkflow(ctx context.Context, id, runID, name string, arg any) error {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	return c.Client.SignalWorkflow(ctx, id, runID, name, arg)
}

func (c *deadlineClient) ExecuteWorkflow(ctx context.Context, o client.StartWorkflowOptions, wf any, args ...any) (client.WorkflowRun, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	return c.Client.ExecuteWorkflow(ctx, o, wf, args...)
}

func (c *deadlineClient) QueryWorkflow(ctx context.Context, id, runID, name string, args ...any) (converter.EncodedValue, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	return c.Client.QueryWorkflow(ctx, id, runID, name, args...)
}

// deadlineHandle bounds the wait for an Update's result.
type deadlineHandle struct {
	client.WorkflowUpdateHandle
	d time.Duration
}

func (h deadlineHandle) Get(ctx context.Context, out any) error {
	ctx, cancel := context.WithTimeout(ctx, h.d)
	defer cancel()
	return h.WorkflowUpdateHandle.Get(ctx, out)
}
