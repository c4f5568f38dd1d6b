package proofs

import (
	"slices"
	"time"

	"github.com/smokestack-dev/smokestack/harness"
)

// Check IDs of the trace checks (checks/observability_traces.go).
const (
	tracesReceived      = "TestObservability/traces_received"
	correlationFollowed = "TestObservability/correlation_followed"
)

func init() {
	faultSets = append(faultSets, tracesFaults)
	// Both post to /orchestrate/*: error_rate=1 fails them with "status
	// 500", the flags that refuse orchestration with "status 503".
	orchestrating = append(slices.Clip(orchestrating), tracesReceived, correlationFollowed)
	for row, ids := range map[string][]string{
		// No spans. The answer still carries the trace id of the
		// traceparent the checks send (a no-op tracer keeps the incoming
		// context), but no trace of it reaches the backend.
		"tracing_off": {tracesReceived, correlationFollowed},
		// read_only_mode refuses /orchestrate/run, the request traces_received traces.
		"flag_read_only_on": {tracesReceived},
		// Plain lines carry no JSON correlation_id and trace_id to follow.
		"logs_plain": {correlationFollowed},
	} {
		alsoFails[row] = append(alsoFails[row], ids...)
	}
	alsoSays["tracing_off"] = merge(alsoSays["tracing_off"], says("not found after", tracesReceived, correlationFollowed))
	alsoSays["flag_read_only_on"] = merge(alsoSays["flag_read_only_on"], says("status 503", tracesReceived))
	alsoSays["logs_plain"] = merge(alsoSays["logs_plain"], says("log: ", correlationFollowed))
}

// tracesFaults prove the trace checks with the reference service's trace
// knobs at run time (spans not delivered, a stage's span missing, orphaned
// or outliving its parent, the correlation id lost in one place) and by
// stopping the trace backend. Each knob row sets one stage; the knob tests
// (fixtures/genesis/internal/server) prove every stage value.
func tracesFaults() []Fault {
	notFound := says("not found after", tracesReceived, correlationFollowed)
	return []Fault{
		{Name: "traces_dropped", Does: "knob traces_dropped: spans made, reported delivered (components.otel ok), none sent: as behind a collector that drops them",
			Action: Knob("traces_dropped"), Fails: []string{tracesReceived, correlationFollowed}, Says: notFound},
		{Name: "traces_nowhere", Does: "knob traces_nowhere: spans exported to http://127.0.0.1:1, where nothing listens (a wrong OTLP endpoint)",
			Action: Knob("traces_nowhere"), Fails: []string{tracesReceived, correlationFollowed, ciOTEL},
			Says: merge(notFound, says(`components.otel.status "degraded"`, ciOTEL))},
		{Name: "span_missing_halo", Does: "knob span_missing=halo: HALO routes without a span",
			Action: Knob("span_missing=halo"), Fails: []string{tracesReceived}, Says: says("no halo span", tracesReceived)},
		{Name: "span_missing_agent", Does: "knob span_missing=agent: agents execute without spans",
			Action: Knob("span_missing=agent"), Fails: []string{tracesReceived}, Says: says("0 agent execution spans", tracesReceived)},
		{Name: "span_orphaned_aop", Does: "knob span_orphaned=aop: the AOP span's parent is a span id not in the trace (context lost, rebuilt from the trace id)",
			Action: Knob("span_orphaned=aop"), Fails: []string{tracesReceived}, Says: says("which is not in the trace", tracesReceived)},
		{Name: "span_late_htdag", Does: "knob span_late=htdag: the HTDAG span ends 2 s after the stage, after the request's span",
			Action: Knob("span_late=htdag"), Fails: []string{tracesReceived}, Says: says("after its parent", tracesReceived)},
		{Name: "correlation_lost_answer", Does: "knob correlation_lost=answer: the answer's X-Correlation-Id is the request id, not the one sent",
			Action: Knob("correlation_lost=answer"), Fails: []string{correlationFollowed}, Says: says("answer: X-Correlation-Id header", correlationFollowed)},
		// credential_redaction finds its own requests' log lines by their
		// correlation ids: a log that drops them hides them from it too.
		{Name: "correlation_lost_log", Does: "knob correlation_lost=log: log lines carry the request id as correlation_id",
			Action: Knob("correlation_lost=log"), Fails: []string{correlationFollowed, scRedaction},
			Says: merge(says("no line of the service's log", correlationFollowed), says("the log never showed this check's requests", scRedaction))},
		{Name: "correlation_lost_span", Does: "knob correlation_lost=span: the request's span has no correlation_id attribute",
			Action: Knob("correlation_lost=span"), Fails: []string{correlationFollowed}, Says: says("no span of trace", correlationFollowed)},
		// Exports to a stopped backend fail: the service says otel degraded
		// once its batch export gives up (30 s, the SDK's export timeout).
		{Name: "jaeger_stopped", Does: "Jaeger (the trace backend) container stopped",
			Action: Stopped(harness.Jaeger), Settle: 60 * time.Second,
			Fails: []string{tracesReceived, correlationFollowed, ciOTEL},
			Says:  merge(says("connection refused", tracesReceived, correlationFollowed), says(`components.otel.status "degraded"`, ciOTEL))},
	}
}
