// Package workflows holds the deterministic workflow code of the pilot and each workflow's
// contract: IDs, message names and payloads. Workflow inputs, results and messages are plain
// structs of this package, never GORM models.
package workflows

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
)

// TaskQueue is the default task queue of every skillcert workflow and activity.
const TaskQueue = "skillcert"

// Custom search attributes that serve operations queries. None ever carries personal data.
var (
	// CaseStage is the stage of an enterprise case (e.g. league_review).
	CaseStage = temporal.NewSearchAttributeKeyKeyword("CaseStage")
	// WaitingOn names who the case waits for: a role and jurisdiction, or "enterprise".
	WaitingOn = temporal.NewSearchAttributeKeyKeyword("WaitingOn")
	// NextDeadline is the due time of the open task or calendar deadline.
	NextDeadline = temporal.NewSearchAttributeKeyTime("NextDeadline")
	// SLAState is on_time, due_soon or overdue.
	SLAState = temporal.NewSearchAttributeKeyKeyword("SLAState")
	// JurisdictionCode is the jurisdiction the case belongs to.
	JurisdictionCode = temporal.NewSearchAttributeKeyKeyword("JurisdictionCode")
	// LastBusinessEventAt is when something business-relevant last happened.
	LastBusinessEventAt = temporal.NewSearchAttributeKeyTime("LastBusinessEventAt")
)

// SearchAttributes lists the custom search attributes to register on the namespace.
func SearchAttributes() map[string]enumspb.IndexedValueType {
	return map[string]enumspb.IndexedValueType{
		CaseStage.GetName():           enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		WaitingOn.GetName():           enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		NextDeadline.GetName():        enumspb.INDEXED_VALUE_TYPE_DATETIME,
		SLAState.GetName():            enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		JurisdictionCode.GetName():    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		LastBusinessEventAt.GetName(): enumspb.INDEXED_VALUE_TYPE_DATETIME,
	}
}
