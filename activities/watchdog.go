package activities

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"skillcert/domain"
	"skillcert/models"
)

// ScanInput tunes one watchdog scan. The workflow fills every field; zero numbers take the
// defaults below. The case workflows' contract (type name, search attribute names, stage names)
// comes in the input because activities may not import workflows.
type ScanInput struct {
	// Now is the time of the scan (the workflow's clock): every finding written by the scan
	// carries it as last_seen, which is what makes a retried scan idempotent.
	Now time.Time `json:"now"`
	// SilentDays is how long a case may wait on a person with no business event; default 10.
	// Calendar days: China's adjusted working weekends (调休) make weekday counting wrong
	// without a holiday calendar, and the threshold is a nudge, not a legal deadline.
	SilentDays int `json:"silent_days"`
	// RetryAttempts is the attempt from which a pending activity counts as stuck; default 5.
	RetryAttempts int `json:"retry_attempts"`
	// MaxCases bounds the workflows described (and listed) per scan; default 1,000.
	MaxCases int `json:"max_cases"`
	// Grace is how long the projection and a workflow may disagree before it is drift: the
	// projection is written a moment before the workflow's search attributes, and Visibility
	// lags. Default 2 minutes.
	Grace time.Duration `json:"grace"`
	// CaseWorkflowType is the workflow type of a case, for the Visibility query that finds
	// running case workflows without an open projection row; empty skips that check.
	CaseWorkflowType string `json:"case_workflow_type"`
	// StageAttribute and JurisdictionAttribute name the case workflows' search attributes.
	StageAttribute        string `json:"stage_attribute"`
	JurisdictionAttribute string `json:"jurisdiction_attribute"`
	// StageNames are the Chinese names of the stages, for the findings' details.
	StageNames map[string]string `json:"stage_names,omitempty"`
}

// ScanResult counts what a scan found.
type ScanResult struct {
	OverdueTasks       int `json:"overdue_tasks"`
	SilentCases        int `json:"silent_cases"`
	RetryingActivities int `json:"retrying_activities"`
	Drift              int `json:"drift"`
	NoNextStep         int `json:"no_next_step,omitempty"`
	// Resolved is the number of earlier findings this scan no longer saw.
	Resolved int `json:"resolved"`
	// CasesDescribed is the number of case workflows described; DescribeErrors those that
	// could not be (their findings are left as they were).
	CasesDescribed int `json:"cases_described"`
	DescribeErrors int `json:"describe_errors"`
	// Truncated: a bound was hit, so part of the problem space was not looked at (and none of
	// its findings resolved).
	Truncated bool `json:"truncated"`
}

// Bounds and defaults of a scan.
const (
	maxRowFindings      = 5000 // overdue tasks or silent cases per scan
	describeConcurrency = 8    // DescribeWorkflowExecution calls in flight
	failureRunes        = 200  // of an activity's last failure message, in a detail
	defaultSilentDays   = 10
	defaultRetryAttempt = 5
	defaultMaxCases     = 1000
	defaultGrace        = 2 * time.Minute
)

// Finding-key prefixes: kind, then the object. Drift has two: a case whose workflow disagrees
// with it, and a running workflow without an open case; different checks resolve them.
const (
	keyOverdue       = models.FindingOverdueTask + ":"      // + task ID
	keySilent        = models.FindingSilentCase + ":"       // + case ID
	keyNoNextStep    = models.FindingNoNextStep + ":"       // + case ID
	keyRetrying      = models.FindingRetryingActivity + ":" // + workflow ID/activity ID
	keyDriftCase     = models.FindingDrift + ":case:"       // + case ID
	keyDriftWorkflow = models.FindingDrift + ":wf:"         // + workflow ID
)

// ScanStalled finds stalled cases and records them as findings: open tasks past due, open
// cases silent for SilentDays while waiting on a person, case workflows whose activity (or
// workflow task) keeps failing, and drift between the projection and the workflows. Side
// effects: upserts rows of the findings table by finding_key and resolves the findings it no
// longer sees, in one transaction; it only reads from Temporal (Describe and Visibility) and
// from the projection. Idempotent: a retry with the same Now writes the same rows. Without a
// Temporal client it checks the database only.
func (a *Activities) ScanStalled(ctx context.Context, in ScanInput) (ScanResult, error) {
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	in.SilentDays = cmp.Or(in.SilentDays, defaultSilentDays)
	in.RetryAttempts = cmp.Or(in.RetryAttempts, defaultRetryAttempt)
	in.MaxCases = cmp.Or(in.MaxCases, defaultMaxCases)
	in.Grace = cmp.Or(in.Grace, defaultGrace)
	if strings.ContainsAny(in.CaseWorkflowType, `'"\`) {
		return ScanResult{}, temporal.NewNonRetryableApplicationError("invalid case workflow type", "InvalidScanInput", nil)
	}
	names, err := a.DB.JurisdictionNames(ctx)
	if err != nil {
		return ScanResult{}, err
	}
	s := &scan{Activities: a, in: in, now: in.Now.UTC().Truncate(time.Microsecond), names: names, seen: map[string]bool{}}
	if err := s.overdueTasks(ctx); err != nil {
		return ScanResult{}, fmt.Errorf("overdue tasks: %w", err)
	}
	if err := s.silentCases(ctx); err != nil {
		return ScanResult{}, fmt.Errorf("silent cases: %w", err)
	}
	if err := s.casesWithoutNextStep(ctx); err != nil {
		return ScanResult{}, fmt.Errorf("cases without a next step: %w", err)
	}
	if a.Temporal != nil {
		if err := s.caseWorkflows(ctx); err != nil {
			return ScanResult{}, err
		}
		if in.CaseWorkflowType != "" {
			if err := s.runningWithoutCase(ctx); err != nil {
				return ScanResult{}, err
			}
		}
	}
	resolved, err := a.DB.RecordScan(ctx, s.now, s.findings, s.scopes)
	if err != nil {
		return ScanResult{}, fmt.Errorf("record findings: %w", err)
	}
	s.res.Resolved = int(resolved)
	activity.GetLogger(ctx).Info("watchdog scan finished", "overdueTasks", s.res.OverdueTasks, "silentCases", s.res.SilentCases,
		"retryingActivities", s.res.RetryingActivities, "drift", s.res.Drift, "resolved", s.res.Resolved,
		"casesDescribed", s.res.CasesDescribed, "describeErrors", s.res.DescribeErrors, "truncated", s.res.Truncated)
	return s.res, nil
}

// scan is the state of one ScanStalled call.
type scan struct {
	*Activities
	in       ScanInput
	now      time.Time
	names    map[string]string // jurisdiction code → name
	findings []models.Finding
	seen     map[string]bool
	scopes   []models.FindingScope
	res      ScanResult
}

// add records a finding once per key (a key seen twice in one scan keeps the first).
func (s *scan) add(f models.Finding) bool {
	if s.seen[f.FindingKey] {
		return false
	}
	s.seen[f.FindingKey] = true
	s.findings = append(s.findings, f)
	switch f.Kind {
	case models.FindingOverdueTask:
		s.res.OverdueTasks++
	case models.FindingSilentCase:
		s.res.SilentCases++
	case models.FindingRetryingActivity:
		s.res.RetryingActivities++
	case models.FindingDrift:
		s.res.Drift++
	case models.FindingNoNextStep:
		s.res.NoNextStep++
	}
	return true
}

func (s *scan) overdueTasks(ctx context.Context) error {
	ts, err := s.DB.OverdueTasks(ctx, s.now, maxRowFindings+1)
	if err != nil {
		return err
	}
	complete := len(ts) <= maxRowFindings
	if !complete {
		ts, s.res.Truncated = ts[:maxRowFindings], true
		activity.GetLogger(ctx).Warn("watchdog: too many overdue tasks, oldest reported only", "limit", maxRowFindings)
	}
	for _, t := range ts {
		detail := fmt.Sprintf("待办「%s」已逾期 %s（待办人：%s）", t.Title, age(s.now.Sub(t.DueAt)), s.who(t.CandidateRole, t.CandidateDomain, t.EnterpriseName))
		if t.Escalated > 0 {
			detail += fmt.Sprintf("，已上报督办 %d 次", t.Escalated)
		}
		s.add(models.Finding{FindingKey: findingKey(keyOverdue, t.ID), Kind: models.FindingOverdueTask,
			CaseID: t.CaseID, TaskID: t.ID, JurisdictionCode: t.JurisdictionCode, Detail: detail, Since: t.DueAt})
	}
	s.scopes = append(s.scopes, models.FindingScope{Kind: models.FindingOverdueTask, All: complete})
	return nil
}

func (s *scan) silentCases(ctx context.Context) error {
	cs, err := s.DB.SilentCases(ctx, s.now.AddDate(0, 0, -s.in.SilentDays), maxRowFindings+1)
	if err != nil {
		return err
	}
	complete := len(cs) <= maxRowFindings
	if !complete {
		cs, s.res.Truncated = cs[:maxRowFindings], true
		activity.GetLogger(ctx).Warn("watchdog: too many silent cases, longest silent reported only", "limit", maxRowFindings)
	}
	for _, c := range cs {
		s.add(models.Finding{FindingKey: findingKey(keySilent, c.ID), Kind: models.FindingSilentCase,
			CaseID: c.ID, JurisdictionCode: c.JurisdictionCode, Since: c.LastEventAt,
			Detail: fmt.Sprintf("%s的申报已 %s没有业务进展（阶段：%s，等待：%s）",
				c.EnterpriseName, age(s.now.Sub(c.LastEventAt)), s.stageName(c.Stage), s.waitingOn(c))})
	}
	s.scopes = append(s.scopes, models.FindingScope{Kind: models.FindingSilentCase, All: complete})
	return nil
}

// casesWithoutNextStep finds open cases that no task moves on although their stage waits on
// one (a defect: every case must have a way forward), after the grace a transition may take.
func (s *scan) casesWithoutNextStep(ctx context.Context) error {
	cs, err := s.DB.CasesWithoutNextStep(ctx, s.now.Add(-s.in.Grace), maxRowFindings+1)
	if err != nil {
		return err
	}
	complete := len(cs) <= maxRowFindings
	if !complete {
		cs, s.res.Truncated = cs[:maxRowFindings], true
	}
	for _, c := range cs {
		detail := fmt.Sprintf("%s的申报处于「%s」阶段，但没有任何待办，无法继续办理；请改派、退回企业补正或由自治区调整",
			c.EnterpriseName, s.stageName(c.Stage))
		if c.Stage == domain.StageAwaitingPublication {
			detail = fmt.Sprintf("%s审定列入第%d批，但该批目录已公布而未列入，此后不会再有公布；请由自治区补充公布", c.EnterpriseName, c.Batch)
		}
		s.add(models.Finding{FindingKey: findingKey(keyNoNextStep, c.ID), Kind: models.FindingNoNextStep,
			CaseID: c.ID, JurisdictionCode: c.JurisdictionCode, Since: c.UpdatedAt, Detail: detail})
	}
	s.scopes = append(s.scopes, models.FindingScope{Kind: models.FindingNoNextStep, All: complete})
	return nil
}

// described is the outcome of one DescribeWorkflowExecution.
type described struct {
	c    models.Case
	desc *workflowservice.DescribeWorkflowExecutionResponse
	err  error
}

// caseWorkflows describes the workflow of each open case (the least recently active first, at
// most MaxCases) for retrying activities and drift.
func (s *scan) caseWorkflows(ctx context.Context) error {
	cs, err := s.DB.OpenCasesByActivity(ctx, s.in.MaxCases+1)
	if err != nil {
		return fmt.Errorf("open cases: %w", err)
	}
	if len(cs) > s.in.MaxCases {
		cs, s.res.Truncated = cs[:s.in.MaxCases], true
		activity.GetLogger(ctx).Warn("watchdog: more open cases than one scan describes", "limit", s.in.MaxCases)
	}
	results := s.describeAll(ctx, cs)
	log := activity.GetLogger(ctx)
	cutoff := s.now.Add(-s.in.Grace)
	var checked []string
	for _, r := range results {
		c := r.c
		var notFound *serviceerror.NotFound
		switch {
		case errors.As(r.err, &notFound):
			checked = append(checked, c.ID)
			if c.UpdatedAt.Before(cutoff) {
				s.drift(c, c.UpdatedAt, fmt.Sprintf("数据不一致：案件列表显示申报在办（阶段：%s），但找不到对应的流程 %s", s.stageName(c.Stage), c.WorkflowID))
			}
			continue
		case r.err != nil:
			s.res.DescribeErrors++
			log.Warn("watchdog: describe case workflow failed", "caseID", c.ID, "error", r.err)
			continue
		}
		checked = append(checked, c.ID)
		s.res.CasesDescribed++
		info := r.desc.GetWorkflowExecutionInfo()
		if st := info.GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			if c.UpdatedAt.Before(cutoff) {
				since := c.UpdatedAt
				if info.GetCloseTime() != nil {
					since = info.GetCloseTime().AsTime()
				}
				s.drift(c, since, fmt.Sprintf("数据不一致：案件列表显示申报在办（阶段：%s），但流程已结束（%s）", s.stageName(c.Stage), statusName(st)))
			}
			continue
		}
		if s.in.StageAttribute != "" && c.UpdatedAt.Before(cutoff) {
			if stage := keyword(info.GetSearchAttributes(), s.in.StageAttribute); stage != c.Stage {
				s.drift(c, c.UpdatedAt, fmt.Sprintf("数据不一致：案件列表显示阶段为“%s”，流程实际阶段为“%s”", s.stageName(c.Stage), s.stageName(stage)))
			}
		}
		s.retrying(c, r.desc)
	}
	if len(cs) > 0 && s.res.DescribeErrors == len(cs) {
		return errors.New("no case workflow could be described: is Temporal reachable?")
	}
	// Only cases described this time (and cases no longer open) may have findings resolved.
	s.scopes = append(s.scopes,
		models.FindingScope{Kind: models.FindingRetryingActivity, CaseIDs: checked, ClosedCases: true},
		models.FindingScope{Kind: models.FindingDrift, KeyPrefix: keyDriftCase, CaseIDs: checked, ClosedCases: true})
	return nil
}

// describeAll describes the cases' workflows, a few at a time, heartbeating as results come in.
func (s *scan) describeAll(ctx context.Context, cs []models.Case) []described {
	results := make([]described, len(cs))
	jobs := make(chan int)
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range min(describeConcurrency, len(cs)) {
		wg.Go(func() {
			for i := range jobs {
				desc, err := s.Temporal.DescribeWorkflowExecution(ctx, cs[i].WorkflowID, "")
				results[i] = described{c: cs[i], desc: desc, err: err}
				done <- struct{}{}
			}
		})
	}
	go func() {
		for i := range cs {
			jobs <- i
		}
		close(jobs)
	}()
	for n := range cs {
		<-done
		if n%50 == 0 {
			activity.RecordHeartbeat(ctx, n)
		}
	}
	wg.Wait()
	return results
}

// retrying records the pending activities of a case workflow that keep failing, and a workflow
// task that keeps failing (a workflow that cannot make progress at all, e.g. after a
// non-deterministic change).
func (s *scan) retrying(c models.Case, desc *workflowservice.DescribeWorkflowExecutionResponse) {
	for _, pa := range desc.GetPendingActivities() {
		if int(pa.GetAttempt()) < s.in.RetryAttempts {
			continue
		}
		msg := "无错误信息"
		if f := pa.GetLastFailure(); f != nil && f.GetMessage() != "" {
			msg = truncateRunes(f.GetMessage(), failureRunes)
		}
		s.add(models.Finding{FindingKey: findingKey(keyRetrying, c.WorkflowID+"/"+pa.GetActivityId()),
			Kind: models.FindingRetryingActivity, CaseID: c.ID, JurisdictionCode: c.JurisdictionCode,
			// Since stays zero: the server does not report when the first attempt started, so the
			// scan that first saw the problem dates it.
			Detail: fmt.Sprintf("后台步骤 %s 已尝试 %d 次仍未成功（阶段：%s），最近一次错误：%s",
				pa.GetActivityType().GetName(), pa.GetAttempt(), s.stageName(c.Stage), msg)})
	}
	if wt := desc.GetPendingWorkflowTask(); wt != nil && int(wt.GetAttempt()) >= s.in.RetryAttempts {
		s.add(models.Finding{FindingKey: findingKey(keyRetrying, c.WorkflowID+"/workflow-task"),
			Kind: models.FindingRetryingActivity, CaseID: c.ID, JurisdictionCode: c.JurisdictionCode,
			Detail: fmt.Sprintf("流程处理已连续失败 %d 次，申报无法推进（阶段：%s），请联系技术支持检查流程代码版本", wt.GetAttempt(), s.stageName(c.Stage))})
	}
}

func (s *scan) drift(c models.Case, since time.Time, detail string) {
	s.add(models.Finding{FindingKey: findingKey(keyDriftCase, c.ID), Kind: models.FindingDrift,
		CaseID: c.ID, JurisdictionCode: c.JurisdictionCode, Since: since, Detail: detail})
}

// runningWithoutCase lists running case workflows through Visibility and reports those whose
// case is closed, or missing, in the projection.
func (s *scan) runningWithoutCase(ctx context.Context) error {
	cutoff := s.now.Add(-s.in.Grace)
	query := fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running' AND StartTime < '%s'",
		s.in.CaseWorkflowType, cutoff.Format(time.RFC3339Nano))
	var (
		execs    []*workflowpb.WorkflowExecutionInfo
		token    []byte
		complete = true
	)
	for {
		resp, err := s.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: s.Namespace, PageSize: 200, NextPageToken: token, Query: query})
		if err != nil {
			return fmt.Errorf("list running case workflows: %w", err)
		}
		execs = append(execs, resp.GetExecutions()...)
		activity.RecordHeartbeat(ctx, len(execs))
		token = resp.GetNextPageToken()
		if len(execs) > s.in.MaxCases {
			execs, complete, s.res.Truncated = execs[:s.in.MaxCases], false, true
			break
		}
		if len(token) == 0 {
			break
		}
	}
	ids := make([]string, 0, len(execs))
	for _, e := range execs {
		ids = append(ids, e.GetExecution().GetWorkflowId())
	}
	rows, err := s.DB.CasesByWorkflowID(ctx, ids)
	if err != nil {
		return fmt.Errorf("cases of running workflows: %w", err)
	}
	for _, e := range execs {
		id := e.GetExecution().GetWorkflowId()
		stage := s.stageName(keyword(e.GetSearchAttributes(), s.in.StageAttribute))
		f := models.Finding{FindingKey: findingKey(keyDriftWorkflow, id), Kind: models.FindingDrift}
		c, ok := rows[id]
		switch {
		case !ok:
			if j := keyword(e.GetSearchAttributes(), s.in.JurisdictionAttribute); len(j) <= 6 {
				f.JurisdictionCode = j // a longer value is no jurisdiction code: leave it out
			}
			f.Since = e.GetStartTime().AsTime()
			f.Detail = fmt.Sprintf("数据不一致：流程 %s 仍在运行（阶段：%s），但案件列表中没有对应的申报", id, stage)
		case c.Status != "open" && c.UpdatedAt.Before(cutoff):
			f.CaseID, f.JurisdictionCode, f.Since = c.ID, c.JurisdictionCode, c.UpdatedAt
			f.Detail = fmt.Sprintf("数据不一致：案件列表显示%s的申报已结束，但流程仍在运行（阶段：%s）", c.EnterpriseName, stage)
		default:
			continue
		}
		s.add(f)
	}
	s.scopes = append(s.scopes, models.FindingScope{Kind: models.FindingDrift, KeyPrefix: keyDriftWorkflow, All: complete})
	return nil
}

// who names the holder of a task in Chinese, as an admin would say it.
func (s *scan) who(role, dom, enterprise string) string {
	switch {
	case role == models.RoleEnterpriseUser || domain.IsEnterpriseDomain(dom):
		if enterprise != "" {
			return "企业（" + enterprise + "）"
		}
		return "企业"
	case role == models.RoleExpert:
		return models.RoleNames[role]
	}
	name := s.names[dom]
	if name == "" {
		name = dom
	}
	if rn := models.RoleNames[role]; rn != "" {
		return name + " " + rn
	}
	return name
}

// waitingOn renders a case's waiting_on ("enterprise" or "role@domain") in Chinese.
func (s *scan) waitingOn(c models.Case) string {
	if c.WaitingOn == "enterprise" {
		return s.who(models.RoleEnterpriseUser, "", c.EnterpriseName)
	}
	if role, domain, ok := strings.Cut(c.WaitingOn, "@"); ok {
		return s.who(role, domain, c.EnterpriseName)
	}
	return c.WaitingOn
}

func (s *scan) stageName(stage string) string {
	if stage == "" {
		return "未设置"
	}
	if n := s.in.StageNames[stage]; n != "" {
		return n
	}
	return stage
}

// age renders a duration as Chinese days, or hours under a day.
func age(d time.Duration) string {
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf("%d 天", int(d/(24*time.Hour)))
	case d >= time.Hour:
		return fmt.Sprintf("%d 小时", int(d/time.Hour))
	}
	return "不足 1 小时"
}

func statusName(st enumspb.WorkflowExecutionStatus) string {
	switch st {
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		return "已完成"
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:
		return "已失败"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:
		return "已取消"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED:
		return "已被终止"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		return "已超时"
	}
	return st.String()
}

// keyword decodes a Keyword search attribute; "" when it is absent or not a string.
func keyword(sa *commonpb.SearchAttributes, name string) string {
	p := sa.GetIndexedFields()[name]
	if name == "" || p == nil {
		return ""
	}
	var v string
	if err := converter.GetDefaultDataConverter().FromPayload(p, &v); err != nil {
		return ""
	}
	return v
}

// findingKey is prefix + object, with an over-long object replaced by its hash so that the key
// fits its 160-character column.
func findingKey(prefix, object string) string {
	if len(prefix)+len(object) <= 160 {
		return prefix + object
	}
	sum := sha256.Sum256([]byte(object))
	return prefix + "#" + hex.EncodeToString(sum[:20])
}

// truncateRunes cuts s to at most n characters, marking the cut.
func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
