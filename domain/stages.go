package domain

// StageActivePilot is the stage of a case whose enterprise is a published pilot with its work
// plan filed: the only stage in which it may assess and certify.
const StageActivePilot = "active_pilot"

// InForce reports whether a case in stage may run sittings and have certificates issued: only
// an active pilot whose directory entry is in force (not suspended, not removed, not closed).
func InForce(stage string) bool { return stage == StageActivePilot }
