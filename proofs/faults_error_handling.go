package proofs

// resilienceFaults prove the error-handling drills with the reference
// service's resilience knobs at run time.
func resilienceFaults() []Fault {
	return []Fault{
		{Name: "breaker_off", Does: "knob breaker_off: circuit breakers never open",
			Action: Knob("breaker_off"), Fails: []string{breakerDrill}, Says: says("still CLOSED", breakerDrill)},
		{Name: "retry_off", Does: "knob retry_off: a failed LLM plan is not retried",
			Action: Knob("retry_off"), Fails: []string{retryDrill}, Says: says(`method "heuristic"`, retryDrill)},
		{Name: "degradation_off", Does: "knob degradation_off: an LLM outage fails decomposition (503) instead of falling back",
			Action: Knob("degradation_off"), Fails: []string{degradationDrill}, Says: says("status 503", degradationDrill)},
	}
}

// errorCountFaults prove that the drills read the counters: a tampering
// proxy for counters that do not count or are not exported.
func errorCountFaults() []Fault {
	return []Fault{
		{Name: "errors_not_counted", Does: "proxy: /metrics reports genesis_errors_total frozen at 0",
			Action: Tampered(tamper{match: route("GET", "/metrics"), response: freezeFamily(errorsFamily)}),
			Fails:  []string{errCategorization, errIntegrated}, Says: says(errorsFamily, errCategorization, errIntegrated)},
		{Name: "breaker_trips_not_exported", Does: "proxy: /metrics without genesis_circuit_breaker_trips_total",
			Action: Tampered(tamper{match: route("GET", "/metrics"), response: dropFamily(tripsFamily)}),
			Fails:  []string{breakerDrill, errIntegrated}, Says: says(tripsFamily, breakerDrill, errIntegrated)},
	}
}
