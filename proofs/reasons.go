package proofs

import "maps"

// alsoSays states the symptom of the cells that rows of other files (or
// alsoFails) expect but do not word: each text must be found in what the
// check reports having seen (Seen) for the cell to count as caught. A cell
// caught without a stated symptom is a problem of the matrix, not a pass.
var alsoSays = map[string]map[string]string{
	"genesis_agent_count": merge(says("agents_registered=14", a2aVersion), says("missing [spec]", agentsList),
		says("not registered: spec", a2aConsistent)),
	"genesis_unhealthy":    says("status 503", healthP95),
	"genesis_health_hangs": says("deadline exceeded", append([]string{invoke401, healthP95}, componentChecks...)...),
	"genesis_metrics_broken": says("status 500", prometheusScrape, retryDrill, errIntegrated, errCategorization, breakerDrill,
		degradationDrill, fullPipeline, obsIntegrated, metricsExposed, metricsVisible, htdagP95, haloP95, aopP95),
	"prometheus_target_nowhere":  says("genesis-nowhere", prometheusScrape),
	"grafana_database_failing":   says("failing", grafanaHealth),
	"grafana_html_page":          says("text/html", grafanaHealth),
	"grafana_truncated_json":     says("unexpected EOF", grafanaHealth),
	"tracing_off":                says(`trace_id ""`, obsIntegrated),
	"decompose_cycle":            says("status 422", htdagP95, haloP95, aopP95),
	"decompose_bad_task_type":    says("status 400", htdagP95, haloP95, aopP95),
	"route_drops_task":           merge(says("unassigned []", ciHALO), says("neither assigned nor listed", fullPipeline)),
	"validate_says_invalid":      says("is_valid false", fullPipeline),
	"run_partial":                says(`status "partial"`, fullPipeline),
	"resilience_garbled":         says(`"BROKEN"`, errIntegrated, retryDrill, degradationDrill, breakerDrill),
	"card_incomplete":            says("but 30 tools listed", a2aConsistent),
	"invoke_auth_off":            says("reached tool lookup (404)", a2aAuthKeyed),
	"production_auth_off":        says("reached tool lookup (404)", a2aAuthKeyed),
	"injection_guard_off":        says("status 200, error absent", errCategorization),
	"cycle_check_off":            says("status 200, error absent", errCategorization),
	"categories_off":             says(`category "unknown"`, errIntegrated, errCategorization),
	"metrics_family_missing":     says("no genesis_errors_total", errIntegrated, errCategorization),
	"flag_orchestration_off":     says("orchestration_enabled is off", breakerDrill),
	"flag_emergency_shutdown_on": says("emergency_shutdown is enabled", breakerDrill),
	"alertmanager_paused": merge(says("alertmanager/alertmanager:9093", metricsVisible), says("paused", containersUp),
		says("no answer", alertmanagerOK)),
	"node_exporter_stopped": merge(says("node/node-exporter:9100", metricsVisible), says("no data", systemResources),
		says("connection refused", nodeExporterOK), says("exited", containersUp)),
	"prometheus_stopped": merge(says("connection refused", prometheusHealth, metricsVisible, systemResources, prometheusScrape),
		says("exited", containersUp)),
}

// withAlsoSays adds alsoSays to the rows; a row's own Says wins.
func withAlsoSays(rows []Fault) {
	for i := range rows {
		extra := alsoSays[rows[i].Name]
		if len(extra) == 0 {
			continue
		}
		m := maps.Clone(extra)
		maps.Copy(m, rows[i].Says)
		rows[i].Says = m
	}
}
