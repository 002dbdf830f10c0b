package domain

// Rectification (责令整改): a complaint upheld with "rectify" orders the pilot enterprise to
// rectify within a deadline and report; the county that verified the complaint checks the
// report and either closes the order or sends it back.
const (
	// RectificationDays is the enterprise's deadline to rectify and report.
	RectificationDays = 30
	// RectificationCheckDays is the county's deadline to check the report.
	RectificationCheckDays = 10
)

// RectificationApplies reports whether a rectification order takes effect on a case in the
// stage: every stage but a closed case's (a removed or withdrawn enterprise has nothing left
// to rectify in the programme; the order stays in its timeline).
func RectificationApplies(stage string) bool { return stage != StageClosed }
