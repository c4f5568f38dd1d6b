package proofs

// faultSet is a part of the matrix: rows about one check group, declared
// with the group's snake name (TestErrorHandling: error_handling), or rows
// of a cross-cutting concept (containers, surface). Its rows live in
// proofs/faults_<Group>.go; TestEveryCheckHasAFaultInItsFile holds both.
type faultSet struct {
	Group string
	Rows  func() []Fault
}

// faultSets is every set of the matrix, in the order the rows run. Order
// matters for speed only: knobs and reloads first (cheap, run time),
// container stops last. A group may come back later in the list when its
// rows run best beside another group's.
func faultSets() []faultSet {
	return []faultSet{
		{"infrastructure", unhealthyFaults},
		{"agent_catalogue", agentCountFaults},
		{"infrastructure", infrastructureFaults},
		{"component_initialization", componentFaults},
		{"basic_orchestration", orchestrationFaults},
		{"component_initialization", componentAnswerFaults},
		{"agent_catalogue", catalogueFaults},
		{"agent_invoke", invokeFaults},
		{"security_smoke", securitySmokeFaults},
		{"error_handling_smoke", errorHandlingSmokeFaults},
		{"observability_smoke", observabilitySmokeFaults},
		{"agent_catalogue", catalogueDefectFaults},
		{"agent_invoke", invokeDefectFaults},
		{"agent_catalogue", agentLoadFaults},
		{"performance_baseline", healthLatencyFaults},
		{"alerting", alertingFaults},
		{"component_integration", logErrorFaults},
		{"observability", logFormatFaults},
		{"dashboards", panelFaults},
		{"observability", metricsAgeFaults},
		{"dashboards", grafanaFaults},
		{"observability", tracesFaults},
		{"error_handling", resilienceFaults},
		{"performance_baseline", stageLatencyFaults},
		{"error_handling", errorCountFaults},
		{"component_integration", integrationFaults},
		{"performance_baseline", hostResourceFaults},
		{"feature_flags", flagFaults},
		{"security_controls", securityControlFaults},
		{"surface", surfaceFaults},
		{"containers", containerFaults},
	}
}

// Matrix is the fault matrix, as data: every set's rows, in order.
func Matrix() []Fault {
	var out []Fault
	for _, set := range faultSets() {
		out = append(out, set.Rows()...)
	}
	return out
}
