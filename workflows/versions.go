package workflows

import "go.temporal.io/sdk/workflow"

// commandsBundleChange is the one GetVersion change ID a run asks at its start (issue 18). Every
// GetVersion records a marker and upserts the TemporalChangeVersion search attribute the first
// time a run asks it, so a case that asked each change on its own paid a marker and an upsert per
// change. From version 1 of this change a run takes every change of bundledVersions at the version
// given there without asking Temporal; runs recorded before it answer DefaultVersion here and ask
// each change as they always did, so their histories replay unchanged.
const commandsBundleChange = "commands-bundle"

// bundledVersions are the changes that version 1 of commandsBundleChange settles, at the version
// each had when the bundle was made. A change added later is asked with GetVersion as usual
// (until a later bundle takes it in).
var bundledVersions = map[string]workflow.Version{
	leanCommandsChange:         1,
	expertPoolChange:           1,
	"timer-search-attributes":  1,
	"rectification-task":       1,
	"complaint-region-decides": 1,
	"concurrent-signals":       1,
	"supplementary-report":     1,
	"results-publicity":        1,
}

type bundleKey struct{}

// withVersions asks commandsBundleChange once, at the start of a run, and returns the context
// the run's code must use so that version sees the answer.
func withVersions(ctx workflow.Context) workflow.Context {
	if workflow.GetVersion(ctx, commandsBundleChange, workflow.DefaultVersion, 1) >= 1 {
		return workflow.WithValue(ctx, bundleKey{}, true)
	}
	return ctx
}

// version is workflow.GetVersion(ctx, changeID, DefaultVersion, maxSupported) for a run that
// asked commandsBundleChange at its start: a bundled change is answered from bundledVersions
// without a marker.
func version(ctx workflow.Context, changeID string, maxSupported workflow.Version) workflow.Version {
	if on, _ := ctx.Value(bundleKey{}).(bool); on {
		if v, ok := bundledVersions[changeID]; ok && v <= maxSupported {
			return v
		}
	}
	return workflow.GetVersion(ctx, changeID, workflow.DefaultVersion, maxSupported)
}
