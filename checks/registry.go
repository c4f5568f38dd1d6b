package checks

// Groups lists every group of checks in checklist order: the smoke groups,
// then the staging groups, which append themselves from their own files'
// init. Every check gets rows in the fault matrix (package proofs);
// TestEveryCheckHasAFault refuses a check without one.
var Groups = append([][]Check{}, SmokeGroups...)

// SmokeGroups are the groups of the smoke suite (go test ./smoke), the
// ones `smokestack monitor` runs every round.
var SmokeGroups = [][]Check{
	Infrastructure,
	ComponentInitialization,
	BasicOrchestrationCritical,
	BasicOrchestration,
	AgentCatalogue,
	AgentInvoke,
	SecuritySmoke,
	ErrorHandlingSmoke,
	ObservabilitySmoke,
}

// CriticalGroups are the groups `go test ./smoke -tags critical` runs: the
// checklist's "Run Critical Tests Only". A critical check failing fails the
// gate whatever the pass rate (TestCriticalGroupsMatchTags keeps this list
// and the untagged smoke test files in step).
var CriticalGroups = [][]Check{Infrastructure, ComponentInitialization, BasicOrchestrationCritical}

// IsCritical reports whether the check with this ID is critical.
func IsCritical(id string) bool {
	for _, g := range CriticalGroups {
		for _, c := range g {
			if c.ID() == id {
				return true
			}
		}
	}
	return false
}

// All is every check of every group.
func All() []Check {
	var out []Check
	for _, g := range Groups {
		out = append(out, g...)
	}
	return out
}

// ByID finds a check by its selector ("TestInfrastructure/a2a_health").
func ByID(id string) (Check, bool) {
	for _, c := range All() {
		if c.ID() == id {
			return c, true
		}
	}
	return Check{}, false
}
