package checks

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/harness"
)

// stagingImitation is a small Genesis for the staging checks, written from
// CONTRACT.md: it categorises and counts errors, routes and validates, and
// keeps /resilience and /metrics in step. Tests set the hostile fields.
type stagingImitation struct {
	mu       sync.Mutex
	errors   map[string]int
	requests map[string]int
	// hostile settings
	category     string        // force every error's category
	freezeErrors bool          // genesis_errors_total never grows
	routeDelay   time.Duration // each routing takes this long
	retriesExtra int           // /resilience reports this many more retries than the metrics
	breakerState string        // /resilience reports the llm breaker in this state
	noTraceID    bool
	noValidate   bool
	// latency feeds the latency histograms: measured handler times
	// (seconds) per path, or random numbers when randomLatency is set (the
	// seed repository's defect), or nothing new when frozenLatencySum is.
	latency          map[string][]float64
	randomLatency    bool
	frozenLatencySum bool
}

// latencyBounds are the imitation's histogram buckets (seconds).
var latencyBounds = []float64{.0005, .001, .0025, .005, .01, .025, .05, .075, .1, .15, .2, .3, .5, 1, 2.5, 5, 10}

// histogram writes one histogram series of the observations.
func histogram(exp *strings.Builder, name, labels string, obs []float64) {
	sep := ""
	if labels != "" {
		sep = ","
	}
	sum := 0.0
	for _, o := range obs {
		sum += o
	}
	for _, le := range latencyBounds {
		n := 0
		for _, o := range obs {
			if o <= le {
				n++
			}
		}
		fmt.Fprintf(exp, "%s_bucket{%s%sle=\"%g\"} %d\n", name, labels, sep, le, n)
	}
	fmt.Fprintf(exp, "%s_bucket{%s%sle=\"+Inf\"} %d\n", name, labels, sep, len(obs))
	fmt.Fprintf(exp, "%s_sum{%s} %g\n%s_count{%s} %d\n", name, labels, sum, name, labels, len(obs))
}

func newStagingImitation() *stagingImitation {
	return &stagingImitation{errors: map[string]int{}, requests: map[string]int{}, latency: map[string][]float64{}, breakerState: "CLOSED"}
}

func (g *stagingImitation) fail(w http.ResponseWriter, status int, code, category string, details map[string]any) {
	g.mu.Lock()
	if g.category != "" {
		category = g.category
	}
	g.errors[category]++
	g.mu.Unlock()
	writeJSON(w, status, apiErr(code, "refused", category, details))
}

func (g *stagingImitation) ok(w http.ResponseWriter, r *http.Request, data any) {
	id := fmt.Sprintf("req-%d", time.Now().UnixNano())
	trace := strings.ReplaceAll(fmt.Sprintf("%032x", time.Now().UnixNano()), " ", "0")
	w.Header().Set("X-Request-Id", id)
	md := map[string]any{"request_id": id, "timestamp": "2026-11-27T01:00:00Z", "execution_time_ms": 0.4}
	if !g.noTraceID {
		md["trace_id"] = trace
	}
	writeJSON(w, 200, map[string]any{"data": data, "metadata": md})
}

func (g *stagingImitation) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	b, _ := io.ReadAll(r.Body)
	g.mu.Lock()
	g.requests[r.URL.Path]++
	g.mu.Unlock()
	if r.URL.Path != "/metrics" {
		defer func() {
			took := time.Since(start).Seconds()
			g.mu.Lock()
			defer g.mu.Unlock()
			switch {
			case g.randomLatency:
				took = 0.05 + rand.Float64()*2.45
			case g.frozenLatencySum:
				took = 0
			}
			g.latency[r.URL.Path] = append(g.latency[r.URL.Path], took)
		}()
	}
	switch r.Method + " " + r.URL.Path {
	case "POST /orchestrate/decompose":
		var req struct {
			UserRequest string `json:"user_request"`
		}
		_ = json.Unmarshal(b, &req)
		if e := requestErrors(req.UserRequest); e != nil {
			code := "VALIDATION_ERROR"
			if e.status == 400 && strings.Contains(fmt.Sprint(e.body), "SECURITY") {
				code = "SECURITY_ERROR"
			}
			g.fail(w, 400, code, strings.ToLower(strings.TrimSuffix(code, "_ERROR")), nil)
			return
		}
		g.ok(w, r, imitationDAG())
	case "POST /orchestrate/route":
		var req harness.RouteRequest
		_ = json.Unmarshal(b, &req)
		if len(req.Tasks) > 1000 {
			g.fail(w, 422, "RESOURCE_ERROR", "resource", map[string]any{"tasks": len(req.Tasks)})
			return
		}
		time.Sleep(g.routeDelay)
		as, ex := map[string]string{}, map[string]string{}
		for _, t := range req.Tasks {
			as[t.TaskID], ex[t.TaskID] = "builder", "builds"
		}
		g.ok(w, r, map[string]any{"routing_plan": map[string]any{"is_complete": true, "assignments": as, "explanations": ex,
			"unassigned_tasks": []string{}, "workload": map[string]int{"builder": len(req.Tasks)}}})
	case "POST /orchestrate/validate":
		if g.noValidate {
			writeJSON(w, 404, map[string]any{"detail": "Not Found"})
			return
		}
		if strings.Contains(string(b), `"smoke-cycle"`) {
			g.fail(w, 422, "DECOMPOSITION_ERROR", "decomposition", map[string]any{"cycle": []string{"smoke-a", "smoke-c", "smoke-b", "smoke-a"}})
			return
		}
		g.ok(w, r, validPlan())
	case "GET /resilience":
		g.mu.Lock()
		defer g.mu.Unlock()
		writeJSON(w, 200, map[string]any{"circuit_breakers": map[string]any{"llm": map[string]any{"state": g.breakerState, "failures": 0, "trips": 1}},
			"retries": map[string]int{"success": 3 + g.retriesExtra, "failure": 1, "exhausted": 0}, "degradations": map[string]int{"htdag": 2}})
	case "GET /metrics":
		g.mu.Lock()
		defer g.mu.Unlock()
		var exp strings.Builder
		exp.WriteString("# TYPE genesis_errors_total counter\n")
		for _, c := range ErrorCategories {
			n := g.errors[c]
			if g.freezeErrors {
				n = 0
			}
			fmt.Fprintf(&exp, "genesis_errors_total{category=%q} %d\n", c, n)
		}
		exp.WriteString("# TYPE genesis_http_requests_total counter\n")
		for p, n := range g.requests {
			fmt.Fprintf(&exp, "genesis_http_requests_total{route=%q,code=\"200\"} %d\n", p, n)
		}
		exp.WriteString("# TYPE genesis_http_request_duration_seconds histogram\n")
		for p, obs := range g.latency {
			histogram(&exp, "genesis_http_request_duration_seconds", fmt.Sprintf("route=%q", p), obs)
		}
		for fam, p := range map[string]string{"genesis_htdag_decomposition_duration_seconds": "/orchestrate/decompose",
			"genesis_halo_routing_duration_seconds": "/orchestrate/route", "genesis_aop_validation_duration_seconds": "/orchestrate/validate"} {
			fmt.Fprintf(&exp, "# TYPE %s histogram\n", fam)
			histogram(&exp, fam, "", g.latency[p]) // the stage took the request's time, at most
		}
		exp.WriteString("# TYPE genesis_circuit_breaker_state gauge\ngenesis_circuit_breaker_state{breaker=\"llm\"} 0\n")
		exp.WriteString("# TYPE genesis_circuit_breaker_trips_total counter\ngenesis_circuit_breaker_trips_total{breaker=\"llm\"} 1\n")
		exp.WriteString("# TYPE genesis_retries_total counter\ngenesis_retries_total{outcome=\"success\"} 3\ngenesis_retries_total{outcome=\"failure\"} 1\ngenesis_retries_total{outcome=\"exhausted\"} 0\n")
		exp.WriteString("# TYPE genesis_degradations_total counter\ngenesis_degradations_total{component=\"htdag\"} 2\n")
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = w.Write([]byte(exp.String()))
	default:
		writeJSON(w, 404, map[string]any{"detail": "Not Found"})
	}
}

func evalStaging(t *testing.T, g http.Handler, id string, env map[string]string) Verdict {
	t.Helper()
	return Evaluate(context.Background(), imitateGenesis(t, g, env), check(t, id))
}

func TestStagingGroupsRegistered(t *testing.T) {
	for _, id := range []string{"TestErrorHandling/error_categorization", "TestErrorHandling/circuit_breaker", "TestErrorHandling/graceful_degradation",
		"TestErrorHandling/retry", "TestPerformanceBaseline/htdag_p95", "TestPerformanceBaseline/halo_p95", "TestPerformanceBaseline/aop_p95",
		"TestPerformanceBaseline/system_resources", "TestComponentIntegration/full_pipeline",
		"TestComponentIntegration/error_handling_integrated", "TestComponentIntegration/observability_integrated"} {
		c := check(t, id)
		assert.Equal(t, (strings.HasPrefix(id, "TestErrorHandling/") && id != "TestErrorHandling/error_categorization") || id == "TestComponentIntegration/full_pipeline", c.Mutates, id)
	}
}

func TestErrorCategorization(t *testing.T) {
	const id = "TestErrorHandling/error_categorization"
	v := evalStaging(t, newStagingImitation(), id, nil)
	require.Equal(t, Pass, v.Outcome, "%v", v.Err)

	g := newStagingImitation()
	g.category = "unknown"
	v = evalStaging(t, g, id, nil)
	require.Equal(t, Fail, v.Outcome)
	assert.Contains(t, v.Err.Error(), `category "unknown"`)

	g = newStagingImitation()
	g.freezeErrors = true
	v = evalStaging(t, g, id, nil)
	require.Equal(t, Fail, v.Outcome)
	assert.Contains(t, v.Err.Error(), `0 before, 0 after`)

	// A service whose /metrics is not an exposition.
	broken := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			writeJSON(w, 200, map[string]any{"errors": 1})
			return
		}
		newStagingImitation().ServeHTTP(w, r)
	})
	v = evalStaging(t, broken, id, nil)
	assert.Equal(t, Fail, v.Outcome, "%v", v.Err)
}

// TestDrillsSkipWithoutPlannerOrPermission: the drills read the LLM
// planner (they set faults on it). A target without one is NOT APPLICABLE,
// naming how to include it, even where mutation is allowed; a target with a
// planner but without permission to mutate is NOT JUDGED, naming the
// variable that allows it. Neither is a pass, and the order matters: an
// out-of-scope drill is not reported as merely forbidden.
func TestDrillsSkipWithoutPlannerOrPermission(t *testing.T) {
	var called []string
	var mu sync.Mutex
	planner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		called = append(called, r.Method+" "+r.URL.Path)
		mu.Unlock()
		writeJSON(w, 200, map[string]any{"faults": ""})
	}))
	t.Cleanup(planner.Close)
	for _, id := range []string{"TestErrorHandling/circuit_breaker", "TestErrorHandling/graceful_degradation", "TestErrorHandling/retry"} {
		for _, env := range []map[string]string{nil, mutable} {
			v := evalStaging(t, newStagingImitation(), id, env)
			require.Equal(t, NotApplicable, v.Outcome, "%s (mutation %v): %v", id, env != nil, v.Err)
			assert.Contains(t, v.Err.Error(), "LLM planner", id)
			assert.Contains(t, v.Err.Error(), harness.Env.LLMURL, id)
			assert.Contains(t, v.Err.Error(), harness.Env.Require, id)
		}

		v := evalStaging(t, newStagingImitation(), id, map[string]string{harness.Env.LLMURL: planner.URL})
		require.Equal(t, NotJudged, v.Outcome, "%s: %v", id, v.Err)
		assert.Contains(t, v.Err.Error(), harness.Env.AllowMutation+"=1", id)
		assert.Contains(t, v.Err.Error(), "read-only", id)
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Empty(t, called, "a drill that may not run touched the planner")
}

// TestDrillsJudgeResilienceShapes: with a planner and permission, a drill
// refuses a /resilience whose breaker state is outside the contract before
// it breaks anything.
func TestDrillsJudgeResilienceShapes(t *testing.T) {
	var planned []string
	var mu sync.Mutex
	planner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		planned = append(planned, r.Method+" "+r.URL.Path)
		mu.Unlock()
		writeJSON(w, 200, map[string]any{"faults": ""})
	}))
	t.Cleanup(planner.Close)
	g := newStagingImitation()
	g.breakerState = "BROKEN"
	env := map[string]string{harness.Env.AllowMutation: "1", harness.Env.LLMURL: planner.URL}
	for _, id := range []string{"TestErrorHandling/circuit_breaker", "TestErrorHandling/graceful_degradation", "TestErrorHandling/retry"} {
		v := evalStaging(t, g, id, env)
		require.Equal(t, Fail, v.Outcome, "%s: %v", id, v.Err)
		assert.Contains(t, v.Err.Error(), `breaker llm in state "BROKEN"`)
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Empty(t, planned, "no fault was set on the planner")
}

func TestBudgetChecks(t *testing.T) {
	v := evalStaging(t, newStagingImitation(), "TestPerformanceBaseline/halo_p95", nil)
	require.Equal(t, Pass, v.Outcome, "%v", v.Err)

	g := newStagingImitation()
	g.routeDelay = 120 * time.Millisecond
	s := imitateGenesis(t, g, map[string]string{harness.Env.CheckTimeout: "3s"})
	v = Evaluate(context.Background(), s, check(t, "TestPerformanceBaseline/halo_p95"))
	require.Equal(t, Fail, v.Outcome, "%v", v.Err)
	assert.Contains(t, v.Err.Error(), "p(95)<100ms")
	assert.Contains(t, v.Err.Error(), "over the budget")

	g = newStagingImitation()
	g.noValidate = true
	v = evalStaging(t, g, "TestPerformanceBaseline/aop_p95", nil)
	require.Contains(t, []Outcome{NotApplicable, NotJudged}, v.Outcome, "%v", v.Err)

	failing := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 500, apiErr("INTERNAL_ERROR", "boom", "unknown", nil))
	})
	v = evalStaging(t, failing, "TestPerformanceBaseline/htdag_p95", nil)
	require.Equal(t, Fail, v.Outcome)
	assert.Contains(t, v.Err.Error(), "status 500")
}

// TestBudgetFailsOnFailedRequests: a service that answers most requests
// fast but fails some never meets a budget.
func TestBudgetFailsOnFailedRequests(t *testing.T) {
	g := newStagingImitation()
	var n int
	var mu sync.Mutex
	flaky := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		k := n
		mu.Unlock()
		if r.URL.Path == "/orchestrate/decompose" && k > 10 && k%7 == 0 {
			writeJSON(w, 503, apiErr("SERVICE_UNAVAILABLE", "busy", "resource", nil))
			return
		}
		g.ServeHTTP(w, r)
	})
	v := evalStaging(t, flaky, "TestPerformanceBaseline/htdag_p95", nil)
	require.Equal(t, Fail, v.Outcome)
	assert.Contains(t, v.Err.Error(), "requests failed")
}

func TestErrorHandlingIntegrated(t *testing.T) {
	const id = "TestComponentIntegration/error_handling_integrated"
	v := evalStaging(t, newStagingImitation(), id, nil)
	require.Equal(t, Pass, v.Outcome, "%v", v.Err)

	g := newStagingImitation()
	g.retriesExtra = 7
	v = evalStaging(t, g, id, nil)
	require.Equal(t, Fail, v.Outcome)
	assert.Contains(t, v.Err.Error(), "retries.success is 10 in /resilience")

	g = newStagingImitation()
	g.breakerState = "OPEN"
	v = evalStaging(t, g, id, nil)
	require.Equal(t, Fail, v.Outcome)
	assert.Contains(t, v.Err.Error(), "breaker llm is OPEN in /resilience")

	g = newStagingImitation()
	g.category = "validation"
	v = evalStaging(t, g, id, nil)
	require.Equal(t, Fail, v.Outcome)
	assert.Contains(t, v.Err.Error(), `category "validation"`)
}

func TestObservabilityIntegrated(t *testing.T) {
	const id = "TestComponentIntegration/observability_integrated"
	v := evalStaging(t, newStagingImitation(), id, nil)
	require.Equal(t, Pass, v.Outcome, "%v", v.Err)

	g := newStagingImitation()
	g.noTraceID = true
	v = evalStaging(t, g, id, nil)
	require.Equal(t, Fail, v.Outcome)
	assert.Contains(t, v.Err.Error(), `trace_id ""`)

	// Requests that are never counted.
	g = newStagingImitation()
	frozen := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			newStagingImitation().ServeHTTP(w, r)
			return
		}
		g.ServeHTTP(w, r)
	})
	v = evalStaging(t, frozen, id, nil)
	require.Equal(t, Fail, v.Outcome)
	assert.Contains(t, v.Err.Error(), "genesis_http_requests_total")

	// Latency histograms fed random numbers (the seed repository's
	// monitoring): the count grows with every request, the values are not
	// what the requests took on the suite's clock.
	g = newStagingImitation()
	g.randomLatency = true
	v = evalStaging(t, g, id, nil)
	require.Equal(t, Fail, v.Outcome, "%v", v.Err)
	assert.Contains(t, v.Err.Error(), "genesis_http_request_duration_seconds")
	assert.Contains(t, v.Err.Error(), "moving with the latency of")
	assert.Contains(t, v.Err.Error(), "client's clock")

	// A histogram counted but never summed.
	g = newStagingImitation()
	g.frozenLatencySum = true
	v = evalStaging(t, g, id, nil)
	require.Equal(t, Fail, v.Outcome, "%v", v.Err)
	assert.Contains(t, v.Err.Error(), "sum did not grow")
}

func TestJudgeRun(t *testing.T) {
	one := 0.5
	d := &harness.Decomposition{DagID: "d", Tasks: []harness.Task{
		{TaskID: "a", Description: "Design", TaskType: "design", Priority: &one},
		{TaskID: "b", Description: "Build", TaskType: "implement", Priority: &one}},
		Dependencies: map[string][]string{"a": {}, "b": {"a"}}, RootTasks: []string{"a"}, LeafTasks: []string{"b"}}
	depth, total := 1, 2
	d.Metadata = &harness.DecompositionMetadata{Method: "llm", RecursionDepth: &depth, TotalTasks: &total}
	yes := true
	q := 0.9
	val := &harness.PlanValidation{IsValid: &yes, SolvabilityPassed: &yes, CompletenessPassed: &yes, RedundancyPassed: &yes, QualityScore: &q}
	routing := json.RawMessage(`{"routing_plan":{"is_complete":true,"assignments":{"a":"spec","b":"builder"},"explanations":{"a":"x","b":"y"},"unassigned_tasks":[],"workload":{"spec":1,"builder":1}}}`)
	run := func(status, results string) *harness.Run {
		return &harness.Run{DAG: d, Routing: routing, Validation: val, Status: status, Results: json.RawMessage(results)}
	}
	agents := harness.DefaultAgents

	problems, completed := judgeRun(run("completed", `{"a":{"agent":"spec","status":"completed"},"b":{"agent":"builder","status":"completed"}}`), agents)
	assert.Empty(t, problems)
	assert.Equal(t, 2, completed)

	problems, _ = judgeRun(run("completed", `{"a":{"agent":"spec","status":"completed"},"b":{"agent":"qa","status":"completed"}}`), agents)
	assert.Contains(t, strings.Join(problems, ";"), `task b ran on agent "qa" but was assigned to "builder"`)

	problems, _ = judgeRun(run("completed", `{"a":{"agent":"spec","status":"failed"},"b":{"agent":"builder","status":"completed"}}`), agents)
	joined := strings.Join(problems, ";")
	assert.Contains(t, joined, `status "completed" but 1 of 2 tasks completed`)
	assert.Contains(t, joined, "completed although its dependency a")

	problems, _ = judgeRun(run("completed", `{"a":{"agent":"spec","status":"completed"}}`), agents)
	assert.Contains(t, strings.Join(problems, ";"), "no result for task b")

	problems, _ = judgeRun(run("partial", `[{"task_id":"a","agent":"spec","status":"completed"},{"task_id":"b","agent":"builder","status":"skipped"}]`), agents)
	assert.Contains(t, strings.Join(problems, ";"), `status "partial"`)
}

// prometheusImitation answers each resource query with a value (or an
// empty vector when the value is negative), and every other query empty.
func prometheusImitation(values map[string]float64, extra map[string]string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		q := r.Form.Get("query")
		for _, l := range ResourceLimits {
			if l.Sustained != "" && q == l.Sustained {
				v, ok := values[l.Name+" sustained"]
				if !ok {
					v = values[l.Name]
				}
				writeJSON(w, 200, map[string]any{"status": "success", "data": map[string]any{"resultType": "vector",
					"result": []any{map[string]any{"metric": map[string]string{"instance": "node:9100"}, "value": []any{time.Now().Unix(), fmt.Sprint(v)}}}}})
				return
			}
			if q != l.Query {
				continue
			}
			if body, ok := extra[l.Name]; ok {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(body))
				return
			}
			v, ok := values[l.Name]
			if !ok || v < 0 {
				break
			}
			writeJSON(w, 200, map[string]any{"status": "success", "data": map[string]any{"resultType": "vector",
				"result": []any{map[string]any{"metric": map[string]string{"instance": "node:9100", "device": "/dev/sda1", "fstype": "ext4"},
					"value": []any{time.Now().Unix(), fmt.Sprint(v)}}}}})
			return
		}
		writeJSON(w, 200, map[string]any{"status": "success", "data": map[string]any{"resultType": "vector", "result": []any{}}})
	}
}

func TestSystemResources(t *testing.T) {
	const id = "TestPerformanceBaseline/system_resources"
	run := func(values map[string]float64, extra map[string]string) Verdict {
		s := imitate(t, map[harness.Component]http.HandlerFunc{harness.Prometheus: prometheusImitation(values, extra)})
		return Evaluate(context.Background(), s, check(t, id))
	}
	healthy := map[string]float64{"memory": 42, "CPU": 12.5, "disk": 70}
	v := run(healthy, nil)
	require.Equal(t, Pass, v.Outcome, "%v", v.Err)

	for name, want := range map[string]string{"memory": "memory 80.0% >= 80%", "CPU": "CPU 95.0% >= 70%", "disk": "disk 85.0% >= 85%"} {
		bad := map[string]float64{}
		for k, x := range healthy {
			bad[k] = x
		}
		bad[name] = map[string]float64{"memory": 80, "CPU": 95, "disk": 85}[name]
		v = run(bad, nil)
		require.Equal(t, Fail, v.Outcome, name)
		assert.Contains(t, v.Err.Error(), want)
		assert.Contains(t, v.Err.Error(), `device="/dev/sda1"`)
	}

	// The rule is CPU < 70 % now (the last minute, what top shows): a host
	// busy over the last minute fails however idle it was since boot. The
	// since-boot share is evidence in the message, never an excuse.
	for _, boot := range []float64{20, 75} {
		v = run(map[string]float64{"memory": 10, "CPU": 95, "CPU sustained": boot, "disk": 10}, nil)
		require.Equal(t, Fail, v.Outcome, "95%% over the last minute, %g%% since boot: %v", boot, v.Err)
		assert.Contains(t, v.Err.Error(), "CPU 95.0% >= 70% over the last minute")
		assert.Contains(t, v.Err.Error(), fmt.Sprintf("(%.1f%% since boot)", boot))
	}
	// Just under the limit over the last minute passes, even on a host
	// A stack the suite started with smokestack up (SMOKE_STACK_RUN) runs
	// on the suite's own host: like an ephemeral stack, a busy last minute
	// with an idle since-boot share is the suite's own work.
	own := imitateWith(t, map[harness.Component]http.HandlerFunc{harness.Prometheus: prometheusImitation(
		map[string]float64{"memory": 10, "CPU": 95, "CPU sustained": 20, "disk": 10}, nil)}, map[string]string{"SMOKE_STACK_RUN": "1201-010412-c6d77c"})
	v = Evaluate(context.Background(), own, check(t, id))
	require.Equal(t, Pass, v.Outcome, "%v", v.Err)
	own = imitateWith(t, map[harness.Component]http.HandlerFunc{harness.Prometheus: prometheusImitation(
		map[string]float64{"memory": 10, "CPU": 95, "CPU sustained": 75, "disk": 10}, nil)}, map[string]string{"SMOKE_STACK_RUN": "1201-010412-c6d77c"})
	v = Evaluate(context.Background(), own, check(t, id))
	require.Equal(t, Fail, v.Outcome, "busy since boot too: %v", v.Err)

	// that was busy since boot: the judged value is the last minute's.
	v = run(map[string]float64{"memory": 10, "CPU": 69.9, "CPU sustained": 90, "disk": 10}, nil)
	require.Equal(t, Pass, v.Outcome, "%v", v.Err)
	v = run(map[string]float64{"memory": 10, "CPU": 70, "CPU sustained": 10, "disk": 10}, nil)
	require.Equal(t, Fail, v.Outcome, "70 %% is not under 70 %%: %v", v.Err)
	assert.Contains(t, v.Err.Error(), "CPU 70.0% >= 70%")

	// No data is never a pass: memory absent, no real filesystem.
	v = run(map[string]float64{"memory": -1, "CPU": 10, "disk": 10}, nil)
	require.Equal(t, Fail, v.Outcome)
	assert.Contains(t, v.Err.Error(), "no data")
	v = run(map[string]float64{"memory": 10, "CPU": 10, "disk": -1}, nil)
	require.Equal(t, Fail, v.Outcome)
	assert.Contains(t, v.Err.Error(), "no real writable filesystem")

	// A value that is not a percentage, and an error envelope.
	v = run(map[string]float64{"memory": 10, "CPU": 10, "disk": 10}, map[string]string{"memory": `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"NaN"]}]}}`})
	require.Equal(t, Fail, v.Outcome)
	assert.Contains(t, v.Err.Error(), "not a percentage")
	v = run(healthy, map[string]string{"disk": `{"status":"error","errorType":"bad_data","error":"parse error"}`})
	require.Equal(t, Fail, v.Outcome)

	// A fresh stack without two CPU scrapes: the wait is bounded by the
	// check's deadline, and the verdict is "no data".
	start := time.Now()
	v = run(map[string]float64{"memory": 10, "CPU": -1, "disk": 10}, nil)
	require.Equal(t, Fail, v.Outcome)
	assert.Contains(t, v.Err.Error(), "node_cpu_seconds_total")
	assert.Less(t, time.Since(start), 5*time.Second)

	// Without Prometheus it is not applicable, saying how to include it.
	s := imitate(t, map[harness.Component]http.HandlerFunc{harness.Genesis: newStagingImitation().ServeHTTP})
	v = Evaluate(context.Background(), s, check(t, id))
	require.Equal(t, NotApplicable, v.Outcome, "%v", v.Err)
	assert.Contains(t, v.Err.Error(), harness.Env.PrometheusURL)
}

// TestDiskQuerySelectsRealFilesystems: the disk expression leaves out what
// node-exporter in a container reports besides the disk (tmpfs, overlay,
// pseudo filesystems) and read-only mounts, and guards the division.
func TestDiskQuerySelectsRealFilesystems(t *testing.T) {
	var disk string
	for _, l := range ResourceLimits {
		if l.Name == "disk" {
			disk = l.Query
		}
	}
	// PromQL anchors =~ and !~ at both ends, as ^(...)$ does here.
	m := regexp.MustCompile(`fstype!~"(.*)"$`).FindStringSubmatch(RealFilesystems)
	require.NotNil(t, m)
	excluded := regexp.MustCompile(`^(?:` + strings.ReplaceAll(m[1], `\\`, `\`) + `)$`)
	for _, fs := range []string{"tmpfs", "overlay", "squashfs", "devtmpfs", "nsfs", "cgroup2", "fuse.lxcfs"} {
		assert.True(t, excluded.MatchString(fs), fs)
	}
	for _, fs := range []string{"ext4", "xfs", "btrfs", "zfs", "nfs4", "vfat"} {
		assert.False(t, excluded.MatchString(fs), fs)
	}
	assert.Contains(t, disk, "node_filesystem_readonly == 1")
	assert.Contains(t, disk, "node_filesystem_size_bytes{"+RealFilesystems+"} > 0")
	_, err := url.ParseQuery("query=" + url.QueryEscape(disk))
	assert.NoError(t, err)
}
