package checks

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/prometheus/common/model"

	"github.com/smokestack-dev/smokestack/harness"
)

// ObservabilitySmoke is TestObservabilitySmoke: the service exposes the
// contract's metrics and Prometheus collects them.
var ObservabilitySmoke = []Check{
	{Group: "TestObservabilitySmoke", Name: "genesis_metrics_exposed", Component: harness.Genesis, Part: harness.PartC, Line: lineObservability, Run: probed(genesisMetricsExposed)},
	{Group: "TestObservabilitySmoke", Name: "prometheus_scrapes_genesis", Component: harness.Prometheus, Part: harness.PartC, Reads: []harness.Component{harness.Genesis}, Line: lineObservability, Run: prometheusScrapesGenesis},
}

// GenesisMetrics are the metric families CONTRACT.md requires of /metrics
// (histograms by their family name) that exist from start-up.
// genesis_circuit_breaker_trips_total{breaker} and
// genesis_degradations_total{component} are left out: a labelled event
// counter has no series before its first event (a breaker trip, a fallback),
// so a healthy fresh deployment need not expose them; the staging suite
// drills those events and judges the counters.
var GenesisMetrics = []string{
	"genesis_http_requests_total", "genesis_http_request_duration_seconds",
	"genesis_htdag_decomposition_duration_seconds", "genesis_halo_routing_duration_seconds",
	"genesis_aop_validation_duration_seconds", "genesis_operation_duration_seconds",
	"genesis_orchestration_tasks_total", "genesis_errors_total",
	"genesis_circuit_breaker_state", "genesis_retries_total",
	"genesis_feature_flag_enabled", "genesis_agents_registered", "genesis_agents_loaded",
	"genesis_spans_exported_total", "genesis_build_info",
}

func genesisMetricsExposed(ctx context.Context, p probe) error {
	s := p.s
	const path = "/metrics"
	want := "a Prometheus exposition with the contract's families (" + GenesisMetrics[0] + ", … " + GenesisMetrics[len(GenesisMetrics)-1] + ")"
	famsRep, err := harness.Done(s.GenesisMetrics().Scrape(ctx, path))
	if err != nil {
		return p.requestFailed(path, want, err)
	}
	fams, resp := *famsRep.Data, famsRep.Resp
	var missing []string
	for _, n := range GenesisMetrics {
		if f, ok := fams[n]; !ok || len(f.GetMetric()) == 0 {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return p.failBody(path, want, fmt.Sprintf("%d families, missing %s", len(fams), strings.Join(missing, ", ")), resp)
	}
	bi := fams["genesis_build_info"].GetMetric()[0]
	version := ""
	for _, l := range bi.GetLabel() {
		if l.GetName() == "version" {
			version = l.GetValue()
		}
	}
	if version == "" || bi.GetGauge().GetValue() != 1 {
		return p.failBody(path, want+"; genesis_build_info{version} = 1", fmt.Sprintf("genesis_build_info version %q value %v", version, bi.GetGauge().GetValue()), resp)
	}
	return nil
}

// prometheusScrapesGenesis: Prometheus holds current genesis series, and the
// target they come from is up.
func prometheusScrapesGenesis(ctx context.Context, s *harness.Stack) error {
	const name = "TestObservabilitySmoke/prometheus_scrapes_genesis"
	const query = "genesis_build_info"
	url, err := componentURL(s, harness.Prometheus, "/api/v1/query?query="+query)
	if err != nil {
		return err
	}
	want := "current genesis_* series in Prometheus (genesis_build_info and genesis_http_requests_total) from a target that is up"
	prom := s.Prometheus()
	vec, err := promVector(ctx, s, query, name, url, want, lineObservability)
	if err != nil {
		return err
	}
	if len(vec) == 0 {
		return fail(name, harness.Prometheus, url, want, "no genesis_build_info series (Genesis is not scraped, or its scrapes fail)", lineObservability, targetErrors(ctx, s))
	}
	// The target behind the series must be up now.
	var down []string
	for _, smp := range vec {
		q := fmt.Sprintf(`up{job=%q,instance=%q}`, smp.Metric["job"], smp.Metric["instance"])
		uv, err := prom.Query(ctx, q)
		if err != nil {
			return requestFailed(name, harness.Prometheus, s.URL(harness.Prometheus)+"/api/v1/query?query="+q, want, lineObservability, err)
		}
		uvec, _ := uv.(model.Vector)
		if len(uvec) == 0 || uvec[0].Value != 1 {
			down = append(down, fmt.Sprintf("%s/%s", smp.Metric["job"], smp.Metric["instance"]))
		}
	}
	if len(down) > 0 {
		sort.Strings(down)
		return fail(name, harness.Prometheus, url, want, "genesis target down: "+strings.Join(down, ", "), lineObservability, targetErrors(ctx, s))
	}
	const q2 = "sum(genesis_http_requests_total)"
	v2, err := prom.Query(ctx, q2)
	if err != nil {
		return requestFailed(name, harness.Prometheus, s.URL(harness.Prometheus)+"/api/v1/query?query="+q2, want, lineObservability, err)
	}
	if vec2, _ := v2.(model.Vector); len(vec2) == 0 {
		// The series can vanish between the two queries (a target just
		// changed goes stale): the targets are what to look at, as above.
		return fail(name, harness.Prometheus, s.URL(harness.Prometheus)+"/api/v1/query?query="+q2, want, "no genesis_http_requests_total series", lineObservability, targetErrors(ctx, s))
	}
	return nil
}
