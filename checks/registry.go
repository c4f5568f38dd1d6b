package checks

// Groups lists every group of checks in checklist order. A new group is
// added here (or, for the staging groups, appended from its own file's
// init), and its checks get rows in the fault matrix (package proofs);
// TestEveryCheckHasAFault refuses a check without one.
var Groups = [][]Check{
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
