package domain

// Stages of an enterprise case.
const (
	StagePrecheck            = "county_precheck"
	StageLeagueReview        = "league_review"
	StageCorrection          = "correction"
	StageInSummary           = "in_summary"
	StageExpertEvaluation    = "expert_evaluation"
	StageRegionDecision      = "region_decision"
	StageAwaitingPublication = "awaiting_publication"
	StagePreparation         = "preparation"
	StageFiling              = "work_plan_filing"
	// StageActivePilot is the stage of a case whose enterprise is a published pilot with its
	// work plan filed: the only stage in which it may assess and certify.
	StageActivePilot = "active_pilot"
	StageSuspended   = "suspended"
	StageClosed      = "closed"
)

// WaitingExpertPool is what a case waits on after a panel draw found too few eligible experts:
// the region's appraisal centre must enlarge or re-activate the expert pool.
const WaitingExpertPool = "expert_pool"

// Stages are the stages in the order a case goes through them; suspended and closed last.
var Stages = []string{StagePrecheck, StageLeagueReview, StageCorrection, StageInSummary, StageExpertEvaluation, StageRegionDecision,
	StageAwaitingPublication, StagePreparation, StageFiling, StageActivePilot, StageSuspended, StageClosed}

// StageNames are the Chinese names of the stages.
var StageNames = map[string]string{
	StagePrecheck:            "旗县初审",
	StageLeagueReview:        "盟市审核",
	StageCorrection:          "退回补正",
	StageInSummary:           "盟市汇总",
	StageExpertEvaluation:    "专家评估",
	StageRegionDecision:      "自治区审定",
	StageAwaitingPublication: "待公布目录",
	StagePreparation:         "前期准备",
	StageFiling:              "工作方案备案",
	StageActivePilot:         "试点实施",
	StageSuspended:           "暂停试点",
	StageClosed:              "已结束",
}

// InForce reports whether a case in stage may run sittings and have certificates issued: only
// an active pilot whose directory entry is in force (not suspended, not removed, not closed).
func InForce(stage string) bool { return stage == StageActivePilot }

// WaitsOutside reports whether a case in stage may rightly have no open task of its own: it
// waits on its league's summary, on the campaign's publication, on the region's resumption, or
// (an active pilot) on its own plans; a closed case waits on nothing. In every other stage a
// case without an open task has no way forward.
func WaitsOutside(stage string) bool {
	switch stage {
	case StageInSummary, StageAwaitingPublication, StageSuspended, StageActivePilot, StageClosed:
		return true
	}
	return false
}
