package proofs

// observabilitySmokeFaults prove TestObservabilitySmoke beyond a broken
// /metrics (an infrastructure row): a family the exposition lacks, which
// the staging checks of error counting miss too.
func observabilitySmokeFaults() []Fault {
	return []Fault{
		{Name: "metrics_family_missing", Does: "proxy: /metrics without the genesis_errors_total family",
			Action: Tampered(tamper{match: route("GET", "/metrics"), response: dropFamily(errorsFamily)}), Fails: []string{metricsExposed, errCategorization, errIntegrated},
			Says: merge(says("missing genesis_errors_total", metricsExposed), says("no genesis_errors_total", errCategorization, errIntegrated))},
	}
}
