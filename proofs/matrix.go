package proofs

import (
	"io/fs"
	"net/http"
	"slices"
	"time"

	stackfiles "github.com/smokestack-dev/smokestack/fixtures/stack"
	"github.com/smokestack-dev/smokestack/harness"
)

// Check IDs, named once so a typo is a compile error, not a row that
// proves nothing.
const (
	a2aHealth        = "TestInfrastructure/a2a_health"
	prometheusHealth = "TestInfrastructure/prometheus_health"
	grafanaHealth    = "TestInfrastructure/grafana_health"
	alertmanagerOK   = "TestInfrastructure/alertmanager_health"
	nodeExporterOK   = "TestInfrastructure/node_exporter_metrics"
	containersUp     = "TestInfrastructure/containers_up"
	metricsVisible   = "TestInfrastructure/metrics_visible"
)

// Matrix is the fault matrix, as data. Order matters for speed only: knobs
// and reloads first (cheap, run time), container stops last.
func Matrix() []Fault {
	targetNowhere, err := fs.ReadFile(stackfiles.FS, stackfiles.BrokenPrometheusTargetNowhere)
	if err != nil {
		panic(err)
	}
	out := append(infrastructureFaults(targetNowhere), smokeFaults()...)
	for _, set := range faultSets {
		out = append(out, set()...)
	}
	out = append(out, surfaceFaults()...)
	out = append(out, containerFaults()...)
	for i := range out {
		if extra := alsoFails[out[i].Name]; len(extra) > 0 {
			out[i].Fails = append(slices.Clip(out[i].Fails), extra...)
		}
	}
	withAlsoSays(out)
	return out
}

// alsoFails adds checks to rows defined in other files, by row name: a new
// group's checks fail under faults that older rows already apply (a broken
// /metrics breaks every check that reads it), and the group's own file
// says so from its init instead of editing every row.
var alsoFails = map[string][]string{}

// unknownAlsoFails names alsoFails and alsoSays rows that match no row of
// the matrix.
func unknownAlsoFails(rows []Fault) []string {
	names := map[string]bool{}
	for _, f := range rows {
		names[f.Name] = true
	}
	var out []string
	for n := range alsoFails {
		if !names[n] {
			out = append(out, n)
		}
	}
	for n := range alsoSays {
		if !names[n] {
			out = append(out, n)
		}
	}
	return out
}

// faultSets are the rows of further groups (staging), each registered from
// its own file's init, so that groups grow without editing this file.
var faultSets []func() []Fault

// infrastructureFaults prove TestInfrastructure; knobs, reloads, imitations.
func infrastructureFaults(targetNowhere []byte) []Fault {
	return []Fault{
		{Name: "genesis_unhealthy", Does: "knob health_unhealthy: /health answers 503 status unhealthy",
			Action: Knob("health_unhealthy"), Fails: []string{a2aHealth}, Says: map[string]string{a2aHealth: `status "unhealthy"`}},
		{Name: "genesis_agent_count", Does: "knob agent_count=14: one agent short",
			Action: Knob("agent_count=14"), Fails: []string{a2aHealth, a2aVersion, agentsList}, Says: map[string]string{a2aHealth: "agents_registered=14"}},
		{Name: "genesis_health_hangs", Does: "knob health_slow=1m: /health never answers in time",
			Action: Knob("health_slow=1m"), Fails: append([]string{a2aHealth, invoke401}, componentChecks...),
			Says: map[string]string{a2aHealth: "no answer within"}},
		{Name: "genesis_metrics_broken", Does: "knob metrics_broken: /metrics answers 500, Prometheus marks the target down",
			Action: Knob("metrics_broken"), Fails: []string{metricsVisible, metricsExposed, prometheusScrape}},
		{Name: "prometheus_target_nowhere", Does: "Prometheus reloaded with the genesis job pointed at genesis-nowhere:8080",
			Stable: 8 * time.Second,
			Action: PrometheusConfig(targetNowhere), Fails: []string{metricsVisible, prometheusScrape}, Says: map[string]string{metricsVisible: "genesis-nowhere:8080"}},
		{Name: "grafana_healthy_imitation", Does: "positive control: an imitation Grafana answering healthy",
			Action: Imitation(harness.Grafana, JSON(http.StatusOK, `{"commit":"abc","database":"ok","version":"12.2.0"}`)),
			Passes: []string{grafanaHealth}},
		{Name: "grafana_database_failing", Does: "imitation Grafana: 503 database failing",
			Action: Imitation(harness.Grafana, JSON(http.StatusServiceUnavailable, `{"commit":"abc","database":"failing","version":"12.2.0"}`)),
			Fails:  []string{grafanaHealth}},
		{Name: "grafana_html_page", Does: "imitation Grafana: 200 with an HTML login page instead of JSON",
			Action: Imitation(harness.Grafana, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				_, _ = w.Write([]byte("<html><body>Grafana login</body></html>"))
			})),
			Fails: []string{grafanaHealth}},
		{Name: "grafana_truncated_json", Does: "imitation Grafana: 200 with JSON cut off mid-object",
			Action: Imitation(harness.Grafana, JSON(http.StatusOK, `{"commit":"abc","database":"o`)),
			Fails:  []string{grafanaHealth}},
	}
}

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
		{Name: "surface_a2a_profile_a2a", Does: "knob surface=a2a and Prometheus without the genesis job; SMOKE_PROFILE=a2a declared",
			Action: Combined(Knob("surface=a2a"), PrometheusConfig(a2aConfig)), Profile: harness.ProfileA2A, Stable: 8 * time.Second},
	}
}

// containerFaults stop and pause containers: slow, so they come last.
func containerFaults() []Fault {
	return []Fault{
		{Name: "alertmanager_paused", Does: "Alertmanager container paused: port open, nothing answers",
			Action: Paused(harness.Alertmanager), Settle: 30 * time.Second,
			Fails: []string{alertmanagerOK, containersUp, metricsVisible}},
		{Name: "node_exporter_stopped", Does: "node-exporter container stopped",
			Action: Stopped(harness.NodeExporter), Settle: 30 * time.Second,
			Fails: []string{nodeExporterOK, containersUp, metricsVisible}},
		{Name: "prometheus_stopped", Does: "Prometheus container stopped",
			Action: Stopped(harness.Prometheus), Settle: 30 * time.Second,
			Fails: []string{prometheusHealth, containersUp, metricsVisible, prometheusScrape}},
	}
}
