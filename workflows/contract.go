package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"skillcert/domain"
)

// Workflow IDs. Each is derived from a business key so that a start is idempotent.

// CaseWorkflowID is the ID of the EnterpriseCase of an application.
func CaseWorkflowID(caseID string) string { return "case-" + caseID }

// CampaignWorkflowID is the ID of a pilot year's Campaign.
func CampaignWorkflowID(campaignID string) string { return "campaign-" + campaignID }

// LeagueWorkflowID is the ID of a league's collection in a campaign.
func LeagueWorkflowID(campaignID, league string) string { return "league-" + campaignID + "-" + league }

// SessionWorkflowID is the ID of an AssessmentSession.
func SessionWorkflowID(id string) string { return "session-" + id }

// ComplaintWorkflowID is the ID of a Complaint.
func ComplaintWorkflowID(id string) string { return "complaint-" + id }

// Activity option presets: every activity call uses one of these, so the timeouts and the
// retry policy are decided here once.
var (
	// RetryWithoutEnd retries every second at first, at most once a minute, without end: the
	// activities are idempotent and a database or worker outage must not fail a case.
	RetryWithoutEnd = &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute}

	// QuickActivityOptions are for activities that read or write a few rows. The start-to-close
	// timeout is also how long a case waits when the worker running such an activity dies (a
	// crash, a kill -9): the server gives the activity to another worker only when it times
	// out, so it is kept short (a database busy for longer makes the activity retry, which is
	// harmless).
	QuickActivityOptions = workflow.ActivityOptions{StartToCloseTimeout: 15 * time.Second, RetryPolicy: RetryWithoutEnd}

	// IssueActivityOptions are for issuing a sitting's certificates (numbering and signing in one
	// transaction); issuing is idempotent per candidate, so a timeout costs nothing but a retry.
	IssueActivityOptions = workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second, RetryPolicy: RetryWithoutEnd}

	// ApplyOptions are for the Apply local activity that writes a transition to the projection.
	ApplyOptions = workflow.LocalActivityOptions{StartToCloseTimeout: 30 * time.Second, RetryPolicy: RetryWithoutEnd}
)

// Message names.
const (
	// DecideUpdate carries a person's decision on an open task (DecisionRequest → DecisionResult).
	DecideUpdate = "Decide"
	// AdjustUpdate suspends, resumes, removes, withdraws or returns a case (AdjustRequest →
	// AdjustResult).
	AdjustUpdate = "Adjust"
	// MoveDeadlineUpdate moves a campaign deadline (MoveDeadlineRequest → CampaignCalendar).
	MoveDeadlineUpdate = "MoveDeadline"
	// CaseAcceptedSignal tells a LeagueCollection that a league accepted a case (CaseRef).
	CaseAcceptedSignal = "CaseAccepted"
	// CaseLeftSignal tells a LeagueCollection that a case left before the summary (CaseRef).
	CaseLeftSignal = "CaseLeft"
	// SummarySubmittedSignal tells a case that its league's summary went to the region (SummarySubmitted).
	SummarySubmittedSignal = "SummarySubmitted"
	// LeagueSubmittedSignal tells the Campaign that a league submitted (LeagueSubmitted).
	LeagueSubmittedSignal = "LeagueSubmitted"
	// DeadlineMovedSignal tells a LeagueCollection that the collection deadline moved (DeadlineMoved).
	DeadlineMovedSignal = "DeadlineMoved"
	// PublishedSignal tells a case its batch was published (Published).
	PublishedSignal = "Published"
	// ComplaintOutcomeSignal tells a case the outcome of a complaint against it (ComplaintOutcome).
	ComplaintOutcomeSignal = "ComplaintOutcome"
	// ExpertPoolChangedSignal tells a case that the expert pool changed (ExpertPoolChanged): a
	// case waiting on the pool after a failed panel draw draws again at once; others ignore it.
	ExpertPoolChangedSignal = "ExpertPoolChanged"
	// PlanSessionUpdate plans an assessment sitting of an active pilot (PlanSessionRequest →
	// PlanSessionResult).
	PlanSessionUpdate = "PlanSession"
	// StartedUpdate answers once a just-started Campaign or EnterpriseCase has written its first
	// step (its projection row), so that Update-with-Start returns when the row exists.
	StartedUpdate = "Started"
	// ObjectionUpdate raises an objection in a sitting's publicity of results (ObjectionRequest →
	// ObjectionResult); refused once the period has ended.
	ObjectionUpdate = "Objection"
	// StateQuery returns a workflow's current state summary.
	StateQuery = "State"
)

// Actor is the snapshot of the person acting, authorised by the API before the message is sent.
type Actor struct {
	UserID       string `json:"user_id"`
	Username     string `json:"username"`
	Name         string `json:"name"`
	Role         string `json:"role"`
	Jurisdiction string `json:"jurisdiction"`
	Domain       string `json:"domain"`
}

// Reason is one reason given with a decision, optionally tied to a form field.
type Reason struct {
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// ApprovedOccupation is an occupation and level range applied for or approved for the
// directory (domain.Occupation, with the same JSON).
type ApprovedOccupation = domain.Occupation

// DecisionRequest is a decision on an open task.
type DecisionRequest struct {
	TaskID  string   `json:"task_id"`
	Actor   Actor    `json:"actor"`
	Outcome string   `json:"outcome"`
	Reasons []Reason `json:"reasons,omitempty"`
	Comment string   `json:"comment,omitempty"`
	// Score is an expert's score, 0–100.
	Score *int `json:"score,omitempty"`
	// Approved is the region's approved scope with a batch decision.
	Approved []ApprovedOccupation `json:"approved,omitempty"`
	// Applied is the scope of the application version under decision, read by the API from the
	// stored application (never taken from the client): a batch decision may not approve
	// beyond it (domain.ApprovedWithinApplied).
	Applied []ApprovedOccupation `json:"applied,omitempty"`
	// Published are the directory batches of the case's campaign published so far, read by the
	// API from the campaign (nil: unknown, and a batch decision is refused).
	Published []int `json:"published,omitempty"`
	// PublishedKnown says that Published was read (an empty list then means none is published).
	PublishedKnown bool `json:"published_known,omitempty"`
	// ApplicationVersion is the corrected version with a resubmission.
	ApplicationVersion int `json:"application_version,omitempty"`
	// Documents are the work plan and evaluation specifications with a preparation submission.
	Documents []Document `json:"documents,omitempty"`
	// ContactName and ContactPhone go in the footer of a league summary.
	ContactName  string `json:"contact_name,omitempty"`
	ContactPhone string `json:"contact_phone,omitempty"`
	// Batch is the directory batch a publication decision publishes.
	Batch int `json:"batch,omitempty"`
	// ConfirmOpenLeagues is, with a publication, the number of leagues still collecting that
	// the region confirms publishing without (domain.PublishConfirmed).
	ConfirmOpenLeagues int `json:"confirm_open_leagues,omitempty"`
	// RequestKey identifies the request (with the task ID it is the Update ID).
	RequestKey string `json:"request_key,omitempty"`
}

// Document is an uploaded document referred to by a decision.
type Document struct {
	Kind         string `json:"kind"` // work_plan | evaluation_spec
	AttachmentID string `json:"attachment_id"`
	Name         string `json:"name"`
}

// DecisionResult tells the caller what the decision led to.
type DecisionResult struct {
	TaskID    string   `json:"task_id"`
	Outcome   string   `json:"outcome"`
	Stage     string   `json:"stage"`
	NextTasks []string `json:"next_tasks,omitempty"`
}

// AdjustRequest asks for a change outside the normal flow. Every action needs a reason.
//
//   - withdraw (the enterprise, before publication) closes the case;
//   - suspend / resume (the region) pause a published pilot and take it up again;
//   - remove (the region) takes the enterprise out of the directory and closes the case;
//   - return (the region, on a case stalled in review; see Returnable) cancels the open review
//     task and sends the application back to the enterprise for correction with the reason;
//     the resubmission comes back to the review it left;
//   - draw_panel (the region or its appraisal centre, on a case whose panel draw found too few
//     experts) draws the panel again now; refused, with the counts, while the pool is still short.
type AdjustRequest struct {
	Actor  Actor  `json:"actor"`
	Action string `json:"action"` // withdraw | suspend | resume | remove | return | redraw | draw_panel | publish_late
	Reason string `json:"reason"`
	// TaskID is, with a redraw, the open scoring task of the expert to replace.
	TaskID string `json:"task_id,omitempty"`
	// Published are, with publish_late, the directory batches of the case's campaign published
	// so far, read by the API from the campaign.
	Published []int `json:"published,omitempty"`
}

// Returnable says whether the region's "return" adjustment may be used on a case in a stage:
// only in the county's pre-check and the league's review, while the application is still
// submitted. Once the league has accepted it, the application, the league's summary and the
// expert panel rest on it, so a later return is refused.
func Returnable(stage string) bool { return stage == StagePrecheck || stage == StageLeagueReview }

// AdjustResult is the case's stage after an adjustment.
type AdjustResult struct {
	Stage string `json:"stage"`
}

// ExpertPoolChanged is sent to the cases waiting on the expert pool when the centre changes it.
type ExpertPoolChanged struct {
	// By is the username of who changed the pool (for the logs).
	By string `json:"by,omitempty"`
}

// WaitingExpertPool is the WaitingOn of a case whose panel draw found too few experts.
const WaitingExpertPool = domain.WaitingExpertPool

// CaseRef names a case to a LeagueCollection.
type CaseRef struct {
	CaseID     string `json:"case_id"`
	WorkflowID string `json:"workflow_id"`
}

// SummarySubmitted is sent to each case of a submitted summary.
type SummarySubmitted struct {
	League string `json:"league"`
}

// LeagueSubmitted is sent to the Campaign when a league submits.
type LeagueSubmitted struct {
	League string `json:"league"`
}

// DeadlineMoved carries a new collection deadline.
type DeadlineMoved struct {
	CollectionDeadline time.Time `json:"collection_deadline"`
}

// Published tells a case its batch is in the published directory.
type Published struct {
	Batch int `json:"batch"`
}

// ComplaintOutcome is the handled outcome of a complaint.
type ComplaintOutcome struct {
	ComplaintID string `json:"complaint_id"`
	Outcome     string `json:"outcome"` // dismiss | rectify | suspend | remove
	Reason      string `json:"reason"`
	Actor       Actor  `json:"actor"`
}

// MoveDeadlineRequest moves one of the campaign's deadlines.
type MoveDeadlineRequest struct {
	Actor  Actor     `json:"actor"`
	Which  string    `json:"which"` // collection | publication
	To     time.Time `json:"to"`
	Reason string    `json:"reason"`
}

// CampaignCalendar is the campaign's calendar after a change.
type CampaignCalendar struct {
	CollectionDeadline time.Time `json:"collection_deadline"`
	PublicationTarget  time.Time `json:"publication_target"`
}

// ObjectionRequest raises an objection (stored by the service as ObjectionID, with the
// objector's particulars, which stay out of the workflow) in a sitting's publicity, about one
// candidate of the published list or (CandidateID empty) the sitting as a whole.
type ObjectionRequest struct {
	ObjectionID string `json:"objection_id"`
	CandidateID string `json:"candidate_id,omitempty"`
}

// ObjectionResult is the review task an objection opened.
type ObjectionResult struct {
	TaskID string `json:"task_id"`
}

// Timing holds the durations of every wait on a person; zero fields take defaults. It is
// data, not code, so a campaign can be configured and tests can shorten it.
type Timing struct {
	PrecheckDays   int `json:"precheck_days"`
	ReviewDays     int `json:"review_days"`
	CorrectionDays int `json:"correction_days"`
	ExpertDays     int `json:"expert_days"`
	DecisionDays   int `json:"decision_days"`
	WorkPlanDays   int `json:"work_plan_days"`
	FilingDays     int `json:"filing_days"`
	ComplaintDays  int `json:"complaint_days"`
	// ResultsDays is how long after the exam date an enterprise has to submit a sitting's
	// results; AuditDays how long the appraisal centre has to audit them.
	ResultsDays int `json:"results_days"`
	AuditDays   int `json:"audit_days"`
	// RectifyDays is the enterprise's deadline after 责令整改, RectifyCheckDays the county's
	// to check its report.
	RectifyDays      int `json:"rectify_days"`
	RectifyCheckDays int `json:"rectify_check_days"`
	// PublicitySeconds, when set, replaces the publicity of results in working days by that many
	// seconds. Tests only (the end-to-end test runs on a real server, whose clock cannot skip);
	// the region sets the length in working days (domain.DefaultPublicityDays).
	PublicitySeconds int `json:"publicity_seconds,omitempty"`
	// RemindBeforeHours is how long before a due date the reminder goes out.
	RemindBeforeHours int `json:"remind_before_hours"`
	PanelSize         int `json:"panel_size"`
	Quorum            int `json:"quorum"`
}

// WithDefaults fills zero fields.
func (t Timing) WithDefaults() Timing {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&t.RectifyDays, domain.RectificationDays)
	def(&t.RectifyCheckDays, domain.RectificationCheckDays)
	def(&t.PrecheckDays, 5)
	def(&t.ReviewDays, 10)
	def(&t.CorrectionDays, 15)
	def(&t.ExpertDays, 10)
	def(&t.DecisionDays, 10)
	def(&t.WorkPlanDays, 30)
	def(&t.FilingDays, 10)
	def(&t.ComplaintDays, 15)
	def(&t.ResultsDays, 15)
	def(&t.AuditDays, 15)
	def(&t.RemindBeforeHours, 48)
	def(&t.PanelSize, 3)
	def(&t.Quorum, 2)
	return t
}

// Stages of an enterprise case (domain.Stage*).
const (
	StagePrecheck            = domain.StagePrecheck
	StageLeagueReview        = domain.StageLeagueReview
	StageCorrection          = domain.StageCorrection
	StageInSummary           = domain.StageInSummary
	StageExpertEvaluation    = domain.StageExpertEvaluation
	StageRegionDecision      = domain.StageRegionDecision
	StageAwaitingPublication = domain.StageAwaitingPublication
	StagePreparation         = domain.StagePreparation
	StageFiling              = domain.StageFiling
	StageActive              = domain.StageActivePilot
	StageSuspended           = domain.StageSuspended
	StageClosed              = domain.StageClosed
)

// Stages are the stages in the order a case goes through them; suspended and closed last.
var Stages = domain.Stages

// StageNames are the Chinese names of the stages.
var StageNames = domain.StageNames

// Task kinds.
const (
	KindPrecheck       = "county_precheck"
	KindLeagueReview   = "league_review"
	KindCorrection     = "correct_application"
	KindExpertScore    = "expert_score"
	KindRegionDecision = "region_decision"
	KindWorkPlan       = "submit_work_plan"
	KindFileWorkPlan   = "file_work_plan"
	KindSubmitSummary  = "submit_summary"
	// KindSupplementarySummary is the league's supplementary report (补充报送) of the cases it
	// accepted after its summary went to the region: they wait for it, as the others waited for
	// the summary.
	KindSupplementarySummary = "supplementary_summary"
	KindLeagueOverdue        = "league_overdue"
	KindPublish              = "publish_directory"
	KindVerifyComplaint      = "verify_complaint"
	// KindComplaintDecision is the region's decision on a verification that proposes to suspend
	// the pilot or remove it from the directory (only the region may).
	KindComplaintDecision = "complaint_decision"
	KindSubmitResults     = "submit_results"
	KindAuditResults      = "audit_results"
	KindCorrectResults    = "correct_results"
	// KindRectify is the enterprise's rectification after a complaint upheld with 责令整改;
	// KindVerifyRectification the county's check of its report (domain.RectificationDays).
	KindRectify             = "rectify"
	KindVerifyRectification = "verify_rectification"
	// KindReviewObjection is the appraisal centre's review of an objection raised in a
	// publicity of results: dismissed, or sustained for the candidates it names (their results
	// go back to the enterprise for correction).
	KindReviewObjection = "review_objection"
)

// kindSpec says who decides a kind of task and with which outcomes; outcomes that need
// reasons are marked.
type kindSpec struct {
	Title    string
	Role     string
	Outcomes map[string]bool // outcome → reasons required
}

// Kinds describes every task kind.
var Kinds = map[string]kindSpec{
	KindPrecheck:     {domain.TaskKindNames[KindPrecheck], domain.RoleCountyOfficial, map[string]bool{"pass": false, "return": true}},
	KindLeagueReview: {domain.TaskKindNames[KindLeagueReview], domain.RoleLeagueOfficial, map[string]bool{"accept": false, "return": true, "reject": true}},
	KindCorrection:   {domain.TaskKindNames[KindCorrection], domain.RoleEnterpriseUser, map[string]bool{"resubmit": false}},
	KindExpertScore:  {domain.TaskKindNames[KindExpertScore], domain.RoleExpert, map[string]bool{"score": false}},
	KindRegionDecision: {domain.TaskKindNames[KindRegionDecision], domain.RoleRegionOfficial,
		map[string]bool{"batch1": false, "batch2": false, domain.OutcomeSupplementary: false, "not_selected": true}},
	KindWorkPlan:             {domain.TaskKindNames[KindWorkPlan], domain.RoleEnterpriseUser, map[string]bool{"submit": false}},
	KindFileWorkPlan:         {domain.TaskKindNames[KindFileWorkPlan], domain.RoleRegionOfficial, map[string]bool{"file": false, "return": true}},
	KindSubmitSummary:        {domain.TaskKindNames[KindSubmitSummary], domain.RoleLeagueOfficial, map[string]bool{"submit": false}},
	KindSupplementarySummary: {domain.TaskKindNames[KindSupplementarySummary], domain.RoleLeagueOfficial, map[string]bool{"submit": false}},
	KindLeagueOverdue:        {domain.TaskKindNames[KindLeagueOverdue], domain.RoleRegionOfficial, map[string]bool{"acknowledge": false}},
	KindPublish:              {domain.TaskKindNames[KindPublish], domain.RoleRegionOfficial, map[string]bool{"publish": false}},
	KindVerifyComplaint:      {domain.TaskKindNames[KindVerifyComplaint], domain.RoleCountyOfficial, map[string]bool{"dismiss": true, "rectify": true, "suspend": true, "remove": true}},
	KindComplaintDecision: {domain.TaskKindNames[KindComplaintDecision], domain.RoleRegionOfficial,
		map[string]bool{"suspend": true, "remove": true, "rectify": true, "dismiss": true}},
	KindSubmitResults:       {domain.TaskKindNames[KindSubmitResults], domain.RoleEnterpriseUser, map[string]bool{"submit": false}},
	KindAuditResults:        {domain.TaskKindNames[KindAuditResults], domain.RoleRegionCentre, map[string]bool{"approve": false, "reject": true}},
	KindCorrectResults:      {domain.TaskKindNames[KindCorrectResults], domain.RoleEnterpriseUser, map[string]bool{"resubmit": false}},
	KindRectify:             {domain.TaskKindNames[KindRectify], domain.RoleEnterpriseUser, map[string]bool{"submit": false}},
	KindVerifyRectification: {domain.TaskKindNames[KindVerifyRectification], domain.RoleCountyOfficial, map[string]bool{"accept": false, "return": true}},
	KindReviewObjection:     {domain.TaskKindNames[KindReviewObjection], domain.RoleRegionCentre, map[string]bool{"dismiss": true, "sustain": true}},
}

// OutcomeNames are the Chinese names of outcomes (the table: domain.OutcomeNames).
var OutcomeNames = domain.OutcomeNames

// Assessor is a member of a sitting's assessment panel: one of the 考评人员 the enterprise
// declared in its application (附件1 五(二)), as the service resolved the key it was chosen by.
type Assessor struct {
	// Key identifies the declared assessor: the keyed lookup hash of their ID number
	// (models.PersonID.Lookup), never the number itself. Sittings planned before panels were
	// chosen from the declaration have none.
	Key      string `json:"key,omitempty"`
	Name     string `json:"name"`
	IDMasked string `json:"id_masked,omitempty"`
	Title    string `json:"title,omitempty"` // post/title/skill level as declared
	// Occupation is the occupation (工种) the assessor was declared for.
	Occupation string `json:"occupation,omitempty"`
	// Role is the panel role typed with sittings planned before panels were chosen from the
	// declaration (考评员 / 监考 / 评审); it is kept to read their panels.
	Role string `json:"role,omitempty"`
}

// PlanSessionRequest plans a sitting; occupation and level must lie in the approved scope.
type PlanSessionRequest struct {
	Actor          Actor      `json:"actor"`
	SessionID      string     `json:"session_id"`
	OccupationCode string     `json:"occupation_code"`
	WorkType       string     `json:"work_type"`
	Level          int        `json:"level"`
	ExamDate       time.Time  `json:"exam_date"`
	Site           string     `json:"site"`
	Assessors      []Assessor `json:"assessors"`
}

// PlanSessionResult names the started session workflow.
type PlanSessionResult struct {
	SessionID  string `json:"session_id"`
	WorkflowID string `json:"workflow_id"`
}
