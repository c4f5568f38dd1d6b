package proofs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/smokestack-dev/smokestack/checks"
	"github.com/smokestack-dev/smokestack/harness"
)

// Check IDs of TestErrorHandling, TestPerformanceBaseline and
// TestComponentIntegration (staging).
const (
	errCategorization = "TestErrorHandling/error_categorization"
	breakerDrill      = "TestErrorHandling/circuit_breaker"
	degradationDrill  = "TestErrorHandling/graceful_degradation"
	retryDrill        = "TestErrorHandling/retry"

	htdagP95        = "TestPerformanceBaseline/htdag_p95"
	haloP95         = "TestPerformanceBaseline/halo_p95"
	aopP95          = "TestPerformanceBaseline/aop_p95"
	systemResources = "TestPerformanceBaseline/system_resources"

	fullPipeline   = "TestComponentIntegration/full_pipeline"
	errIntegrated  = "TestComponentIntegration/error_handling_integrated"
	obsIntegrated  = "TestComponentIntegration/observability_integrated"
	tripsFamily    = "genesis_circuit_breaker_trips_total"
	errorsFamily   = "genesis_errors_total"
	requestsFamily = "genesis_http_requests_total"
)

func init() {
	faultSets = append(faultSets, stagingErrorsPerfFaults)
	// Rows of other files whose faults these checks catch too.
	for row, ids := range map[string][]string{
		"genesis_metrics_broken":  {errCategorization, breakerDrill, degradationDrill, retryDrill, fullPipeline, errIntegrated, obsIntegrated, htdagP95, haloP95, aopP95},
		"tracing_off":             {obsIntegrated},
		"route_drops_task":        {fullPipeline},
		"validate_says_invalid":   {fullPipeline},
		"run_partial":             {fullPipeline},
		"resilience_garbled":      {breakerDrill, degradationDrill, retryDrill, errIntegrated},
		"injection_guard_off":     {errCategorization},
		"cycle_check_off":         {errCategorization},
		"categories_off":          {errCategorization, errIntegrated},
		"metrics_family_missing":  {errCategorization, errIntegrated},
		"decompose_cycle":         {htdagP95, haloP95, aopP95},
		"decompose_bad_task_type": {htdagP95, haloP95, aopP95},
		"node_exporter_stopped":   {systemResources},
		"prometheus_stopped":      {systemResources},
	} {
		alsoFails[row] = append(alsoFails[row], ids...)
	}
	// Every check here posts to /orchestrate/*, so error_rate=1 fails it
	// with "status 500"; full_pipeline judges its own decomposition, so the
	// tampered decompositions fail it for their reasons.
	orchestrating = append(slices.Clip(orchestrating), errCategorization, breakerDrill, degradationDrill, retryDrill,
		htdagP95, haloP95, aopP95, fullPipeline, errIntegrated, obsIntegrated)
	decomposing = append(slices.Clip(decomposing), fullPipeline)
}

// stagingErrorsPerfFaults prove the three staging groups: the reference
// service's resilience and latency knobs at run time, a tampering proxy for
// what no knob breaks (counters that do not count, /resilience disagreeing
// with the metrics, a run on the wrong agent), and a tampering Prometheus
// for the host's resources.
func stagingErrorsPerfFaults() []Fault {
	return []Fault{
		{Name: "breaker_off", Does: "knob breaker_off: circuit breakers never open",
			Action: Knob("breaker_off"), Fails: []string{breakerDrill}, Says: says("still CLOSED", breakerDrill)},
		{Name: "retry_off", Does: "knob retry_off: a failed LLM plan is not retried",
			Action: Knob("retry_off"), Fails: []string{retryDrill}, Says: says(`method "heuristic"`, retryDrill)},
		{Name: "degradation_off", Does: "knob degradation_off: an LLM outage fails decomposition (503) instead of falling back",
			Action: Knob("degradation_off"), Fails: []string{degradationDrill}, Says: says("status 503", degradationDrill)},
		{Name: "latency_htdag", Does: "knob latency_htdag=300ms: every decomposition 300 ms slower",
			Action: Knob("latency_htdag=300ms"), Fails: []string{htdagP95}, Says: says("p(95)<200ms", htdagP95)},
		{Name: "tail_latency_htdag", Does: "knob tail_latency_htdag=20:300ms: a fifth of decompositions 300 ms slower (the mean stays under budget)",
			Action: Knob("tail_latency_htdag=20:300ms"), Fails: []string{htdagP95}, Says: says("over the budget", htdagP95)},
		{Name: "latency_halo", Does: "knob latency_halo=150ms: every routing 150 ms slower",
			Action: Knob("latency_halo=150ms"), Fails: []string{haloP95}, Says: says("p(95)<100ms", haloP95)},
		{Name: "latency_aop", Does: "knob latency_aop=80ms: every validation 80 ms slower",
			Action: Knob("latency_aop=80ms"), Fails: []string{aopP95}, Says: says("p(95)<50ms", aopP95)},
		{Name: "latency_histograms_random", Does: "knob latency_histograms_random: the stage histograms observe random 0-5 s durations, not the stages' time",
			Action: Knob("latency_histograms_random"), Fails: []string{htdagP95, haloP95, aopP95, obsIntegrated},
			Says: merge(says("does not move with these requests' latency", htdagP95, haloP95, aopP95), says("a server cannot record more time than its client waited", obsIntegrated))},
		{Name: "errors_not_counted", Does: "proxy: /metrics reports genesis_errors_total frozen at 0",
			Action: Tampered(tamper{match: route("GET", "/metrics"), response: freezeFamily(errorsFamily)}),
			Fails:  []string{errCategorization, errIntegrated}, Says: says(errorsFamily, errCategorization, errIntegrated)},
		{Name: "breaker_trips_not_exported", Does: "proxy: /metrics without genesis_circuit_breaker_trips_total",
			Action: Tampered(tamper{match: route("GET", "/metrics"), response: dropFamily(tripsFamily)}),
			Fails:  []string{breakerDrill, errIntegrated}, Says: says(tripsFamily, breakerDrill, errIntegrated)},
		{Name: "resilience_disagrees", Does: "proxy: /resilience reports 7 more successful retries than genesis_retries_total",
			Action: Tampered(tamper{match: route("GET", "/resilience"), response: addRetries(7)}),
			Fails:  []string{errIntegrated}, Says: says("retries.success", errIntegrated)},
		{Name: "run_on_wrong_agent", Does: "proxy: a run reports one task executed by an agent other than its assignment",
			Action: Tampered(onData("POST", "/orchestrate/run", swapAgent)), Fails: []string{fullPipeline}, Says: says("ran on agent", fullPipeline)},
		{Name: "requests_not_counted", Does: "proxy: /metrics reports genesis_http_requests_total frozen at 0",
			Action: Tampered(tamper{match: route("GET", "/metrics"), response: freezeFamily(requestsFamily)}),
			Fails:  []string{obsIntegrated}, Says: says(requestsFamily, obsIntegrated)},
		{Name: "host_memory_95", Does: "tampering Prometheus: host memory 95 % used",
			Action: PrometheusAnswers(map[string]func() string{resourceQuery("memory"): percentVector(95, nil)}), Fails: []string{systemResources}, Says: says("memory 95.0% >= 80%", systemResources)},
		{Name: "host_cpu_95", Does: "tampering Prometheus: host CPU 95 % busy",
			Action: PrometheusAnswers(map[string]func() string{resourceQuery("CPU"): percentVector(95, nil), sustainedQuery("CPU"): percentVector(90, nil)}), Fails: []string{systemResources}, Says: says("CPU 95.0% >= 70%", systemResources)},
		{Name: "host_disk_95", Does: "tampering Prometheus: the host's ext4 filesystem 95 % used",
			Action: PrometheusAnswers(map[string]func() string{resourceQuery("disk"): percentVector(95, map[string]string{"device": "/dev/vda", "fstype": "ext4"})}),
			Fails:  []string{systemResources}, Says: says("disk 95.0% >= 85%", systemResources)},
		{Name: "host_no_real_filesystem", Does: "tampering Prometheus: node-exporter reports no real filesystem (only tmpfs/overlay)",
			Action: PrometheusAnswers(map[string]func() string{resourceQuery("disk"): emptyVector}), Fails: []string{systemResources}, Says: says("no real writable filesystem", systemResources)},
		{Name: "host_memory_unknown", Does: "tampering Prometheus: no node memory series",
			Action: PrometheusAnswers(map[string]func() string{resourceQuery("memory"): emptyVector}), Fails: []string{systemResources}, Says: says("no data", systemResources)},
	}
}

// resourceQuery is the PromQL of one of the checks' resource limits.
func resourceQuery(name string) string { return resourceLimit(name).Query }

// sustainedQuery is the long-run confirmation of a resource limit.
func sustainedQuery(name string) string { return resourceLimit(name).Sustained }

func resourceLimit(name string) checks.ResourceLimit {
	for _, l := range checks.ResourceLimits {
		if l.Name == name {
			return l
		}
	}
	panic("no resource limit " + name)
}

// freezeFamily rewrites every sample of a family to 0: the family is there,
// but nothing it counts grows.
func freezeFamily(name string) func(*http.Request, int, http.Header, []byte) (int, []byte) {
	sample := regexp.MustCompile(`^(` + regexp.QuoteMeta(name) + `(?:\{[^}]*\})?) \S+(.*)$`)
	return func(_ *http.Request, status int, _ http.Header, body []byte) (int, []byte) {
		lines := strings.Split(string(body), "\n")
		for i, l := range lines {
			lines[i] = sample.ReplaceAllString(l, "${1} 0${2}")
		}
		return status, []byte(strings.Join(lines, "\n"))
	}
}

// addRetries adds n to retries.success in a /resilience answer.
func addRetries(n int) func(*http.Request, int, http.Header, []byte) (int, []byte) {
	return func(_ *http.Request, status int, h http.Header, body []byte) (int, []byte) {
		var m map[string]any
		if status != http.StatusOK || json.Unmarshal(body, &m) != nil {
			return status, body
		}
		r, _ := m["retries"].(map[string]any)
		if r == nil {
			return status, body
		}
		v, _ := r["success"].(float64)
		r["success"] = v + float64(n)
		out, err := json.Marshal(m)
		if err != nil {
			return status, body
		}
		return status, out
	}
}

// swapAgent reports the first completed task of a run as executed by an
// agent other than the one it was assigned to.
func swapAgent(data map[string]any) {
	results, _ := data["results"].(map[string]any)
	for _, r := range results {
		m, ok := r.(map[string]any)
		if !ok {
			continue
		}
		if a, _ := m["agent"].(string); a != "" {
			m["agent"] = map[bool]string{true: "qa", false: "legal"}[a != "qa"]
			return
		}
	}
}

// ---- the tampering Prometheus ---------------------------------------------------------

// PrometheusAnswers swaps Prometheus for a proxy to it that answers the
// instant queries of answers with their bodies and forwards everything
// else: only a check that sends one of them can notice.
func PrometheusAnswers(answers map[string]func() string) Action {
	return PrometheusQueries(func(q string) (string, bool) {
		body, ok := answers[q]
		if !ok {
			return "", false
		}
		return body(), true
	})
}

// PrometheusQueries swaps Prometheus for a proxy to it that answers an
// instant query with the body answer gives, when it gives one, and
// forwards everything else.
func PrometheusQueries(answer func(query string) (body string, ok bool)) Action {
	return Proxied(harness.Prometheus, func(_ *harness.Stack, rp *httputil.ReverseProxy) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/api/v1/query" {
				raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
				r.Body.Close()
				r.Body = io.NopCloser(bytes.NewReader(raw))
				form, _ := url.ParseQuery(string(raw))
				q := form.Get("query")
				if q == "" {
					q = r.URL.Query().Get("query")
				}
				if body, ok := answer(q); ok {
					w.Header().Set("Content-Type", "application/json")
					fmt.Fprint(w, body)
					return
				}
			}
			rp.ServeHTTP(w, r)
		})
	})
}

// percentVector is a one-series instant vector of value v for node-exporter.
func percentVector(v float64, labels map[string]string) func() string {
	return func() string {
		m := map[string]string{"instance": "node-exporter:9100"}
		for k, x := range labels {
			m[k] = x
		}
		metric, _ := json.Marshal(m)
		return fmt.Sprintf(`{"status":"success","data":{"resultType":"vector","result":[{"metric":%s,"value":[%d,"%g"]}]}}`,
			metric, time.Now().Unix(), v)
	}
}

func emptyVector() string {
	return `{"status":"success","data":{"resultType":"vector","result":[]}}`
}
