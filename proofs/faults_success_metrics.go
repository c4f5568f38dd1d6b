package proofs

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/smokestack-dev/smokestack/checks"
	"github.com/smokestack-dev/smokestack/harness"
)

// The success metrics are proven here, on stacks of their own
// (TestSuccessMetricFaults), not in the shared fault matrix. They are
// judged over a window of time, and a fault leaves its mark on every
// window that holds it: after error_rate=1 the error rate over the next
// 48 hours (or 5 minutes) stays over 0.1 % whatever the restore did, so
// the matrix's rule — every check back to its healthy verdict after each
// row, and the baseline's verdicts kept under every other row — cannot
// hold for them on the shared stack. Each row here gets its own window
// instead: it starts once the row's fault is in effect
// (harness.Stack.WithWindowStart), before a bounded synthetic load sent
// under the fault (checks.SendLoad), so no row judges another's traffic,
// nor the matrix's. The matrix leaves these checks out (matrixChecks).

// SuccessFault is a fault for the success metrics: applied, then Load is
// sent under it, then the row's checks are judged over the window from the
// fault's start.
type SuccessFault struct {
	Name, Does string
	Action     Action // Apply nil: no fault (the healthy row, the quiet one)
	Load       checks.Load
	// Fails must FAIL, each for the reason Says names in what it saw;
	// NotJudged must be NOT JUDGED, with Says in its reason (a rate over
	// too little evidence); Passes must PASS: the row's controls.
	Fails, NotJudged, Passes []string
	Says                     map[string]string
}

// successChecks are the IDs of TestSuccessMetrics, in registry order.
func successChecks() []string {
	var out []string
	for _, c := range checks.SuccessMetrics {
		out = append(out, c.ID())
	}
	return out
}

// matrixChecks are the checks the shared fault matrix judges: all but the
// windowed success metrics, which TestSuccessMetricFaults proves.
func matrixChecks() []checks.Check {
	windowed := successChecks()
	return slices.DeleteFunc(checks.All(), func(c checks.Check) bool { return slices.Contains(windowed, c.ID()) })
}

// smallLoad is a load for a fault row: enough of each stage for a P95
// (checks.MinWindowObservations), far too little to judge an error rate.
var smallLoad = checks.Load{Flows: 30, Workers: 8, Rate: 100, MaxDuration: time.Minute}

// SuccessMetricFaults are the rows, healthy first, the planner outage last
// (its breaker stays open for a few seconds after the restore).
func SuccessMetricFaults() []SuccessFault {
	stages := []string{smHTDAG, smHALO, smAOP}
	others := func(id string) []string {
		return slices.DeleteFunc(slices.Clone(stages), func(s string) bool { return s == id })
	}
	return []SuccessFault{
		{Name: "success_healthy", Does: "positive control: no fault, the suite's whole synthetic load (checks.SuccessLoad)",
			Load: checks.SuccessLoad, Passes: successChecks()},
		{Name: "success_no_traffic", Does: "no fault and no load: a window holding Prometheus's scrapes only",
			Fails:     append([]string{smTraces}, stages...),
			NotJudged: []string{smErrorRate, smRetries},
			Passes:    []string{smIngestion, smLogs, smTrips, smPhase4Today},
			Says: merge(says("observations", stages...), says("0 traces generated", smTraces),
				says("cannot show an error rate", smErrorRate), says("cannot show more than 95%", smRetries))},
		{Name: "success_error_rate", Does: "knob error_rate=0.02: 2 % of orchestration requests answer 500",
			Action: Knob("error_rate=0.02"), Load: checks.Load{Flows: 150, Workers: 4, Rate: 150, MaxDuration: time.Minute},
			Fails: []string{smErrorRate}, Passes: []string{smIngestion, smLogs, smTraces},
			Says: says(">= 0.1%", smErrorRate)},
		{Name: "success_tracing_off", Does: "knob tracing_off: no spans are made or exported",
			Action: Knob("tracing_off"), Load: smallLoad,
			Fails: []string{smTraces}, Passes: append([]string{smIngestion, smLogs}, stages...),
			Says: says("spans exported", smTraces)},
		{Name: "success_otel_flag_off", Does: "knob flag.otel_enabled=false: tracing switched off by its flag",
			Action: Knob("flag.otel_enabled=false"), Load: smallLoad,
			Fails: []string{smTraces}, Passes: []string{smIngestion},
			Says: says("spans exported", smTraces)},
		{Name: "success_logs_plain", Does: "knob logs_plain: log lines are plain text, not JSON",
			Action: Knob("logs_plain"), Load: checks.Load{Flows: 5, Workers: 1, MaxDuration: time.Minute},
			Fails: []string{smLogs}, Passes: []string{smIngestion},
			Says: says("not structured", smLogs)},
		{Name: "success_latency_htdag", Does: "knob latency_htdag=300ms: every decomposition 300 ms slower",
			Action: Knob("latency_htdag=300ms"), Load: smallLoad,
			Fails: []string{smHTDAG}, Passes: others(smHTDAG), Says: says("over the budget p(95)<200ms", smHTDAG)},
		{Name: "success_latency_halo", Does: "knob latency_halo=150ms: every routing 150 ms slower",
			Action: Knob("latency_halo=150ms"), Load: smallLoad,
			Fails: []string{smHALO}, Passes: others(smHALO), Says: says("over the budget p(95)<100ms", smHALO)},
		{Name: "success_latency_aop", Does: "knob latency_aop=80ms: every validation 80 ms slower",
			Action: Knob("latency_aop=80ms"), Load: smallLoad,
			Fails: []string{smAOP}, Passes: others(smAOP), Says: says("over the budget p(95)<50ms", smAOP)},
		{Name: "success_phase4_disabled", Does: "knob flag.phase_4_deployment=false: the Phase 4 rollout is not active",
			Action: Knob("flag.phase_4_deployment=false"),
			Fails:  []string{smPhase4Today}, Says: says("enabled false", smPhase4Today)},
		{Name: "success_phase4_ramp_14_days", Does: "proxy: the Phase 4 rollout ramps over 14 days, consistently (TestFeatureFlags/phase4_rollout still passes)",
			Action: Tampered(onJSON("GET", "/flags/phase_4_deployment/rollout", stretchRamp(14*24*time.Hour))),
			Fails:  []string{smPhase4Today}, Passes: []string{ffPhase4}, Says: says("a ramp of 14.0 days", smPhase4Today)},
		{Name: "success_trips_not_in_prometheus", Does: "tampering Prometheus: no genesis_circuit_breaker_trips_total series",
			Action: PrometheusWithout("genesis_circuit_breaker_trips_total"),
			Fails:  []string{smTrips}, Says: says("no genesis_circuit_breaker_trips_total series", smTrips)},
		{Name: "success_retries_not_in_prometheus", Does: "tampering Prometheus: no genesis_retries_total series",
			Action: PrometheusWithout("genesis_retries_total"),
			Fails:  []string{smRetries}, Says: says("no genesis_retries_total", smRetries)},
		{Name: "success_requests_not_in_prometheus", Does: "tampering Prometheus: no genesis_http_requests_total series",
			Action: PrometheusWithout("genesis_http_requests_total"), Load: smallLoad,
			Fails: []string{smErrorRate, smTraces}, Passes: []string{smIngestion},
			Says: merge(says("no genesis_http_requests_total series", smErrorRate), says("0 traces generated", smTraces))},
		{Name: "success_metrics_broken", Does: "knob metrics_broken: /metrics answers 500, Prometheus collects nothing of the service",
			Action: Knob("metrics_broken"), Load: checks.Load{Flows: 5, Workers: 1, MaxDuration: time.Minute},
			Fails: []string{smIngestion}, Passes: []string{smLogs},
			Says: says("0 samples an hour", smIngestion)},
		{Name: "success_planner_down", Does: "the LLM planner answers 503 to every plan: the first decomposition's retries fail, the second's failure trips the LLM breaker",
			Action: PlannerFaults("down"), Load: checks.Load{Flows: 4, Workers: 1, MaxDuration: time.Minute},
			Fails: []string{smTrips, smRetries}, Passes: []string{smIngestion, smLogs},
			Says: merge(says("a day >=", smTrips), says("retries succeeded", smRetries))},
	}
}

// PlannerFaults sets faults of the reference LLM planner upstream ("down",
// "fail_rate=F", ...) and clears them after.
func PlannerFaults(spec string) Action {
	return faultKnobs(harness.LLMPlanner, spec, func(s *harness.Stack) faultSetter { return s.LLMPlanner() })
}

// PrometheusWithout swaps Prometheus for a proxy that answers every
// instant query naming family with no series, as a Prometheus that never
// collected it would, and forwards everything else.
func PrometheusWithout(family string) Action {
	return PrometheusQueries(func(q string) (string, bool) { return emptyVector(), strings.Contains(q, family) })
}

// stretchRamp rewrites a progressive rollout to end d after its start, with
// current_percentage on the new ramp: consistent, but not the checklist's.
func stretchRamp(d time.Duration) func(map[string]any) {
	return func(m map[string]any) {
		start, err := time.Parse(time.RFC3339Nano, fmt.Sprint(m["start_date"]))
		if err != nil {
			return
		}
		end := start.Add(d)
		m["end_date"] = end.UTC().Format(time.RFC3339Nano)
		ini, _ := m["initial_percentage"].(float64)
		fin, _ := m["end_percentage"].(float64)
		frac := min(1, max(0, float64(time.Since(start))/float64(d)))
		m["current_percentage"] = ini + frac*(fin-ini)
	}
}
