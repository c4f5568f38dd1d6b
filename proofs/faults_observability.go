package proofs

import (
	"fmt"
	"strings"
	"time"

	"github.com/smokestack-dev/smokestack/checks"
	"github.com/smokestack-dev/smokestack/harness"
)

// logFormatFaults prove structured_logs with the reference service's log
// knobs.
func logFormatFaults() []Fault {
	return []Fault{
		{Name: "log_stray_line", Does: "knob log_stray_line: a Python traceback (three text lines) printed on stdout beside the JSON log",
			Action: Knob("log_stray_line"), Fails: []string{obsLogs}, Says: says("Traceback (most recent call last)", obsLogs)},
		// Plain lines carry no correlation id: credential_redaction cannot
		// find its own requests in the log either, and correlation_followed
		// finds no JSON correlation_id and trace_id to follow.
		{Name: "logs_plain", Does: "knob logs_plain: every line a plain text line instead of a JSON object",
			Action: Knob("logs_plain"), Fails: []string{obsLogs, scRedaction, correlationFollowed},
			Says: merge(says("not a JSON object", obsLogs), says("the log never showed this check's requests", scRedaction), says("log: ", correlationFollowed))},
	}
}

// metricsAgeFaults prove metrics_scraped with a tampering Prometheus: a
// family stale, a family gone.
func metricsAgeFaults() []Fault {
	const retries = "genesis_retries_total"
	return []Fault{
		{Name: "metrics_family_stale", Does: "tampering Prometheus: the newest genesis_retries_total sample is 10 minutes old (scrapes stopped reaching it)",
			Action: PrometheusAnswers(map[string]func() string{checks.MetricsAgeQuery(): metricAges(map[string]float64{retries: 600})}),
			Fails:  []string{obsMetrics}, Says: says("stale: "+retries+" (newest sample 10m0s old", obsMetrics)},
		{Name: "metrics_family_gone", Does: "tampering Prometheus: no current genesis_errors_total series",
			Action: PrometheusAnswers(map[string]func() string{checks.MetricsAgeQuery(): metricAges(map[string]float64{errorsFamily: -1})}),
			Fails:  []string{obsMetrics}, Says: says("no current series of "+errorsFamily, obsMetrics)},
	}
}

// metricAges answers metrics_scraped's query: every contract family 1 s
// old in job genesis, but the ages given (a negative age: no series).
func metricAges(ages map[string]float64) func() string {
	return func() string {
		var result []string
		now := float64(time.Now().UnixMilli()) / 1000
		for _, f := range checks.ContractMetrics {
			age, ok := ages[f]
			if !ok {
				age = 1
			}
			if age < 0 {
				continue
			}
			result = append(result, fmt.Sprintf(`{"metric":{"family":%q,"job":"genesis"},"value":[%.3f,"%g"]}`, f, now, age))
		}
		return `{"status":"success","data":{"resultType":"vector","result":[` + strings.Join(result, ",") + `]}}`
	}
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
		// once its batch export gives up (its retries end after 5 s).
		{Name: "jaeger_stopped", Does: "Jaeger (the trace backend) container stopped",
			Action: Stopped(harness.Jaeger), Settle: 60 * time.Second,
			Fails: []string{tracesReceived, correlationFollowed, ciOTEL},
			Says:  merge(says("connection refused", tracesReceived, correlationFollowed), says(`components.otel.status "degraded"`, ciOTEL))},
	}
}
