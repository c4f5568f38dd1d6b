package proofs

import "slices"

// componentChecks read /health components: a hanging /health fails them all.
var componentChecks = []string{ciHTDAG, ciHALO, ciAOP, ciErrorHandler, ciSecurity, ciFlags, ciOTEL}

// componentFaults prove TestComponentInitialization with the reference
// service's knobs: a component reported down, tracing off, and every
// orchestration request failing.
func componentFaults() []Fault {
	faults := []Fault{}
	for _, c := range []string{"htdag", "halo", "aop", "error_handler", "security", "feature_flags", "otel"} {
		faults = append(faults, Fault{Name: "component_down_" + c, Does: "knob component_down=" + c + ": /health reports it down",
			Action: Knob("component_down=" + c), Fails: []string{"TestComponentInitialization/" + c},
			Says: says(`components.`+c+`.status "down"`, "TestComponentInitialization/"+c)})
	}
	return append(faults, []Fault{
		// No spans. The answer still carries the trace id of the traceparent
		// the trace checks send (a no-op tracer keeps the incoming context),
		// but no trace of it reaches the backend.
		{Name: "tracing_off", Does: "knob tracing_off: no spans, no metadata.trace_id",
			Action: Knob("tracing_off"), Fails: []string{ciOTEL, tracesReceived, correlationFollowed, obsIntegrated},
			Says: merge(says(`trace_id ""`, ciOTEL, obsIntegrated), says("not found after", tracesReceived, correlationFollowed))},
		// Orchestration answering 500 also logs ERROR lines for the suite's
		// ordinary (not drill) requests.
		{Name: "orchestration_errors", Does: "knob error_rate=1: every orchestration request answers 500",
			Action: Knob("error_rate=1"), Fails: slices.Concat(orchestrating, []string{logErrors}),
			Says: merge(says("status 500", orchestrating...), says("status=500", logErrors))},
	}...)
}

// componentAnswerFaults prove the component checks that read /flags and
// /resilience, through a tampering proxy: what no knob breaks.
func componentAnswerFaults() []Fault {
	return []Fault{
		{Name: "flags_missing", Does: "proxy: /flags lists no flags",
			Action: Tampered(tamper{match: route("GET", "/flags"), response: jsonAnswer(200, `{}`)}), Fails: []string{ciFlags, ffCritical, ffSafety}, Says: says("no flags", ciFlags, ffCritical, ffSafety)},
		{Name: "resilience_garbled", Does: `proxy: /resilience reports a breaker in state "BROKEN"`,
			Action: Tampered(tamper{match: route("GET", "/resilience"), response: jsonAnswer(200, `{"circuit_breakers":{"llm":{"state":"BROKEN","failures":0,"trips":0}}}`)}),
			Fails:  []string{ciErrorHandler, breakerDrill, degradationDrill, retryDrill, errIntegrated},
			Says:   says(`"BROKEN"`, ciErrorHandler, breakerDrill, degradationDrill, retryDrill, errIntegrated)},
	}
}
