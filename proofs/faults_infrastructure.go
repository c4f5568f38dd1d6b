package proofs

import (
	"io/fs"
	"net/http"
	"slices"
	"time"

	stackfiles "github.com/smokestack-dev/smokestack/fixtures/stack"
	"github.com/smokestack-dev/smokestack/harness"
)

// unhealthyFaults prove a2a_health with the reference service's health knob.
func unhealthyFaults() []Fault {
	return []Fault{
		// Every /health sample of health_p95 fails too: 503.
		{Name: "genesis_unhealthy", Does: "knob health_unhealthy: /health answers 503 status unhealthy",
			Action: Knob("health_unhealthy"), Fails: []string{a2aHealth, healthP95},
			Says: merge(says(`status "unhealthy"`, a2aHealth), says("status 503", healthP95))},
	}
}

// infrastructureFaults prove TestInfrastructure; knobs, reloads, imitations.
func infrastructureFaults() []Fault {
	targetNowhere, err := fs.ReadFile(stackfiles.FS, stackfiles.BrokenPrometheusTargetNowhere)
	if err != nil {
		panic(err)
	}
	return []Fault{
		// Every check that reads /health fails: no answer in time.
		{Name: "genesis_health_hangs", Does: "knob health_slow=1m: /health never answers in time",
			Action: Knob("health_slow=1m"), Fails: slices.Concat([]string{a2aHealth, invoke401}, componentChecks, []string{healthP95}),
			Says: merge(says("no answer within", a2aHealth), says("deadline exceeded", invoke401, healthP95), says("deadline exceeded", componentChecks...))},
		// Every check that reads /metrics, directly or through Prometheus,
		// fails: no genesis series in Prometheus, so the Genesis panels show
		// nothing and the families are not there.
		{Name: "genesis_metrics_broken", Does: "knob metrics_broken: /metrics answers 500, Prometheus marks the target down",
			Action: Knob("metrics_broken"), Fails: slices.Concat([]string{metricsVisible, metricsExposed, prometheusScrape, dashQueries, obsMetrics,
				errCategorization, breakerDrill, degradationDrill, retryDrill, fullPipeline, errIntegrated, obsIntegrated}, stageBudgets),
			Says: merge(says("status 500", metricsVisible, metricsExposed, prometheusScrape,
				errCategorization, breakerDrill, degradationDrill, retryDrill, fullPipeline, errIntegrated, obsIntegrated),
				says("status 500", stageBudgets...), says("no data", dashQueries), says("no current series of genesis_", obsMetrics))},
		{Name: "prometheus_target_nowhere", Does: "Prometheus reloaded with the genesis job pointed at genesis-nowhere:8080",
			Stable: 8 * time.Second,
			Action: PrometheusConfig(targetNowhere), Fails: []string{metricsVisible, prometheusScrape, dashQueries, obsMetrics},
			Says: merge(says("genesis-nowhere:8080", metricsVisible), says("genesis-nowhere", prometheusScrape, dashQueries, obsMetrics))},
		// The imitations of grafana_health's rows answer its health body, an
		// error or a broken body on every path: the datasource, the
		// dashboard and the query API are not there either.
		{Name: "grafana_healthy_imitation", Does: "positive control: an imitation Grafana answering healthy",
			Action: Imitation(harness.Grafana, JSON(http.StatusOK, `{"commit":"abc","database":"ok","version":"12.2.0"}`)),
			Passes: []string{grafanaHealth}, Fails: []string{dashDatasource, dashProvisioned, dashPanels},
			Says: merge(says(`datasource status ""`, dashDatasource), says("no dashboard in the answer", dashProvisioned), says("no results in the answer", dashPanels))},
		{Name: "grafana_database_failing", Does: "imitation Grafana: 503 database failing",
			Action: Imitation(harness.Grafana, JSON(http.StatusServiceUnavailable, `{"commit":"abc","database":"failing","version":"12.2.0"}`)),
			Fails:  grafanaChecks, Says: merge(says("failing", grafanaHealth), says("status 503", dashDatasource, dashProvisioned, dashPanels))},
		{Name: "grafana_html_page", Does: "imitation Grafana: 200 with an HTML login page instead of JSON",
			Action: Imitation(harness.Grafana, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				_, _ = w.Write([]byte("<html><body>Grafana login</body></html>"))
			})),
			Fails: grafanaChecks, Says: says("text/html", grafanaChecks...)},
		{Name: "grafana_truncated_json", Does: "imitation Grafana: 200 with JSON cut off mid-object",
			Action: Imitation(harness.Grafana, JSON(http.StatusOK, `{"commit":"abc","database":"o`)),
			Fails:  grafanaChecks, Says: says("unexpected EOF", grafanaChecks...)},
	}
}
