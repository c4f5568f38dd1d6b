package proofs

import (
	"io/fs"
	"time"

	stackfiles "github.com/smokestack-dev/smokestack/fixtures/stack"
	"github.com/smokestack-dev/smokestack/harness"
)

// surfaceFaults prove the profiles: a full deployment that loses parts B
// and C (the reference service narrowed to part A at run time, as the real
// service serves today) fails every check of those parts, naming the 404
// routes, when the profile says full; declared a2a, the same target passes
// every part-A check and the others are NOT APPLICABLE naming the profile.
func surfaceFaults() []Fault {
	a2aConfig, err := fs.ReadFile(stackfiles.FS, stackfiles.PrometheusConfigA2A)
	if err != nil {
		panic(err)
	}
	var lost []string
	for _, c := range matrixChecks() {
		if c.Part == harness.PartB || c.Part == harness.PartC {
			lost = append(lost, c.ID())
		}
	}
	// No /metrics on a part-A service: the genesis scrape target goes down.
	lostFull := append(append([]string{}, lost...), metricsVisible)
	return []Fault{
		{Name: "surface_a2a_profile_full", Does: "knob surface=a2a: only contract part A served; profile full (as discovered before)",
			Action: Knob("surface=a2a"), Settle: 15 * time.Second,
			Fails: lostFull, Says: merge(says("404", lost...), says("genesis", metricsVisible))},
		// Prometheus loses the genesis job before the service loses
		// /metrics: in the other order a scrape between the two saw 404,
		// and that up=0 stayed until Prometheus marked the removed target
		// stale, two scrape intervals after the reload (CI, twice:
		// metrics_visible "1 of 4 targets down: genesis", alone too).
		{Name: "surface_a2a_profile_a2a", Does: "Prometheus without the genesis job, then knob surface=a2a; SMOKE_PROFILE=a2a declared",
			Action: Combined(PrometheusConfig(a2aConfig), Knob("surface=a2a")), Profile: harness.ProfileA2A, Stable: 8 * time.Second},
	}
}
