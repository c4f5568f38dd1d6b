package proofs

import (
	"strings"

	"github.com/smokestack-dev/smokestack/checks"
	"github.com/smokestack-dev/smokestack/harness"
)

// grafanaChecks are the checks that read Grafana: on the healthy stack
// (no Grafana here) they are NOT APPLICABLE, so every row that puts an
// imitation Grafana in place names each of them, as failing or passing.
var grafanaChecks = []string{grafanaHealth, dashDatasource, dashProvisioned, dashPanels}

// panelFaults prove dashboard_queries_answer with a tampering Prometheus:
// a panel without data.
func panelFaults() []Fault {
	return []Fault{
		{Name: "dashboard_panel_empty", Does: `tampering Prometheus: the "Error rate" panel's query answers no series`,
			Action: PrometheusAnswers(map[string]func() string{panelQuery("Error rate"): emptyVector}), Fails: []string{dashQueries},
			Says: says(`panel "Error rate`, dashQueries)},
	}
}

// grafanaFaults prove the Grafana checks with an imitation Grafana (none
// runs on this machine): whole, and wrong in one way per row.
func grafanaFaults() []Fault {
	return []Fault{
		{Name: "grafana_imitation_whole", Does: "positive control: an imitation Grafana with the provisioned datasource and dashboard, its query API answering from the stack's Prometheus",
			Action: Proxied(harness.Grafana, grafanaImitation(grafanaHealthy)), Passes: grafanaChecks},
		{Name: "grafana_datasource_unreachable", Does: "imitation Grafana: the datasource's Prometheus URL does not resolve; its health check and every query fail",
			Action: Proxied(harness.Grafana, grafanaImitation(grafanaDatasourceDown)), Fails: []string{dashDatasource, dashPanels},
			Passes: []string{grafanaHealth, dashProvisioned}, Says: says("no such host", dashDatasource, dashPanels)},
		{Name: "grafana_dashboard_missing", Does: "imitation Grafana: the 48-hour dashboard is not provisioned (404 Dashboard not found)",
			Action: Proxied(harness.Grafana, grafanaImitation(grafanaNoDashboard)), Fails: []string{dashProvisioned},
			Passes: []string{grafanaHealth, dashDatasource, dashPanels}, Says: says("status 404", dashProvisioned)},
		{Name: "grafana_dashboard_stale", Does: `imitation Grafana: an older dashboard without the "Spans exported per hour" panel`,
			Action: Proxied(harness.Grafana, grafanaImitation(grafanaStaleDashboard)), Fails: []string{dashProvisioned},
			Passes: []string{grafanaHealth, dashDatasource, dashPanels}, Says: says(`panels missing: "Spans exported per hour`, dashProvisioned)},
		{Name: "grafana_dashboard_hand_made", Does: "imitation Grafana: the dashboard is there but saved by hand (meta.provisioned false)",
			Action: Proxied(harness.Grafana, grafanaImitation(grafanaHandMade)), Fails: []string{dashProvisioned},
			Passes: []string{grafanaHealth, dashDatasource, dashPanels}, Says: says("meta.provisioned is false", dashProvisioned)},
		{Name: "grafana_panel_no_data", Does: `imitation Grafana: the "Error rate" panel's query comes back without data`,
			Action: Proxied(harness.Grafana, grafanaImitation(grafanaPanelEmpty)), Fails: []string{dashPanels},
			Passes: []string{grafanaHealth, dashDatasource, dashProvisioned}, Says: says(`panel "Error rate`, dashPanels)},
	}
}

// panelQuery is the query dashboard_queries_answer sends for the first
// panel whose title starts with prefix: its variables expanded.
func panelQuery(prefix string) string {
	d, err := checks.FixtureDashboard()
	if err != nil {
		panic(err)
	}
	vars, err := checks.DashboardVars(d)
	if err != nil {
		panic(err)
	}
	for _, p := range d.Panels {
		if strings.HasPrefix(p.Title, prefix) {
			q, err := checks.PanelExpr(p.Queries[0].Expr, vars)
			if err != nil {
				panic(err)
			}
			return q
		}
	}
	panic("no panel " + prefix)
}
