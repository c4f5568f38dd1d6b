package checks

// Tag is the build level a group runs at, mirroring the test files' build
// constraints: critical (no constraint), normal (!critical), slow (slow &&
// !critical). A binary built at a level runs every group at or below it.
type Tag int

// Build levels, lowest first.
const (
	Critical Tag = iota
	Normal
	Slow
)

func (t Tag) String() string {
	return [...]string{"critical", "normal", "slow"}[t]
}

// Suite names a test package whose tests are checks.
type Suite string

// The suites.
const (
	Smoke   Suite = "smoke"
	Staging Suite = "staging"
)

// Group is one registry entry: a list of checks, the test function that
// runs them, its suite and build level. Several entries may share a test
// function (TestBasicOrchestration: one critical check, four normal).
type Group struct {
	Suite  Suite
	Tag    Tag
	Checks []Check
}

// Registry is every group of checks, in checklist order, in one place: the
// smoke groups, then the staging groups. The plan a run states, the gate's
// accounting, the monitor and the fault matrix all read it from here.
var Registry = []Group{
	{Smoke, Critical, Infrastructure},
	{Smoke, Critical, ComponentInitialization},
	{Smoke, Critical, BasicOrchestrationCritical},
	{Smoke, Normal, BasicOrchestration},
	{Smoke, Normal, AgentCatalogue},
	{Smoke, Normal, AgentInvoke},
	{Smoke, Normal, SecuritySmoke},
	{Smoke, Normal, ErrorHandlingSmoke},
	{Smoke, Normal, ObservabilitySmoke},
	{Staging, Normal, FeatureFlags},
	{Staging, Normal, SecurityControls},
	{Staging, Normal, ErrorHandling},
	{Staging, Normal, PerformanceBaseline},
	{Staging, Normal, ComponentIntegration},
	{Staging, Normal, ComponentIntegrationLogs},
	{Staging, Normal, Observability},
	{Staging, Normal, Traces},
	{Staging, Normal, Alerting},
	{Staging, Normal, Dashboards},
	{Staging, Slow, SuccessMetrics},
}

// Groups lists every group's checks in registry order. Every check gets
// rows in the fault matrix (package proofs); TestEveryCheckHasAFault
// refuses a check without one.
var Groups = groupsWhere(func(Group) bool { return true })

// SmokeGroups are the groups of the smoke suite (go test ./smoke), the
// ones `smokestack monitor` runs every round.
var SmokeGroups = groupsWhere(func(g Group) bool { return g.Suite == Smoke })

// CriticalGroups are the groups `go test ./smoke -tags critical` runs: the
// checklist's "Run Critical Tests Only". A critical check failing or not
// judged stops the gate whatever the pass rate.
var CriticalGroups = groupsWhere(func(g Group) bool { return g.Suite == Smoke && g.Tag == Critical })

func groupsWhere(keep func(Group) bool) [][]Check {
	var out [][]Check
	for _, g := range Registry {
		if keep(g) {
			out = append(out, g.Checks)
		}
	}
	return out
}

// SuiteChecks lists the checks a binary of the suite built at level runs,
// in registry order.
func SuiteChecks(suite Suite, level Tag) []Check {
	var out []Check
	for _, g := range Registry {
		if g.Suite == suite && g.Tag <= level {
			out = append(out, g.Checks...)
		}
	}
	return out
}

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
