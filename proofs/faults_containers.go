package proofs

import (
	"slices"
	"time"

	"github.com/smokestack-dev/smokestack/harness"
)

// containerFaults stop and pause containers: slow, so they come last. Each
// fails every check that reads the component, whatever its group.
func containerFaults() []Fault {
	// Every alerting check asks Prometheus first.
	alerting := []string{alRulesHealthy, alRuleSeries, alAMConnected, alDelivered, alConfigValid}
	readProm := slices.Concat([]string{prometheusHealth, metricsVisible, prometheusScrape}, alerting, []string{dashQueries, obsMetrics, systemResources})
	return []Fault{
		// alert_delivered asks Alertmanager where the Watchdog is; the
		// engine refuses to run amtool in a paused container.
		{Name: "alertmanager_paused", Does: "Alertmanager container paused: port open, nothing answers",
			Action: Paused(harness.Alertmanager), Settle: 30 * time.Second,
			Fails: []string{alertmanagerOK, containersUp, metricsVisible, alDelivered, alConfigValid},
			Says: merge(says("no answer", alertmanagerOK, alDelivered), says("paused", containersUp, alConfigValid),
				says("alertmanager/alertmanager:9093", metricsVisible))},
		// node-exporter's series go stale: the host panels show nothing.
		{Name: "node_exporter_stopped", Does: "node-exporter container stopped",
			Action: Stopped(harness.NodeExporter), Settle: 30 * time.Second,
			Fails: []string{nodeExporterOK, containersUp, metricsVisible, dashQueries, systemResources},
			Says: merge(says("connection refused", nodeExporterOK), says("exited", containersUp), says("node/node-exporter:9100", metricsVisible),
				says(`panel "Memory used (limit 80 %)": no data`, dashQueries), says("no data", systemResources))},
		{Name: "prometheus_stopped", Does: "Prometheus container stopped",
			Action: Stopped(harness.Prometheus), Settle: 30 * time.Second,
			Fails: slices.Concat([]string{containersUp}, readProm),
			Says:  merge(says("connection refused", readProm...), says("exited", containersUp))},
	}
}
