package checks

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/smokestack-dev/smokestack/harness"
)

// Checklist lines of "End-to-End Integration Test", quoted in failures.
const (
	lineFullPipeline   = "End-to-End Integration Test: TestComponentIntegration — full orchestration pipeline works"
	lineErrIntegrated  = "End-to-End Integration Test: TestComponentIntegration — error handling integrated"
	lineObsIntegrated  = "End-to-End Integration Test: TestComponentIntegration — observability integrated"
	metricHTTPRequests = "genesis_http_requests_total"
	metricHTTPDuration = "genesis_http_request_duration_seconds"
	metricTasks        = "genesis_orchestration_tasks_total"
)

// ComponentIntegration is TestComponentIntegration (staging): the stages
// work together — a plan decomposed, routed, validated and run holds
// together end to end; an error in the pipeline reaches the error envelope,
// the metrics and /resilience alike; a request is traceable and counted.
var ComponentIntegration = []Check{
	{Group: "TestComponentIntegration", Name: "full_pipeline", Component: harness.Genesis, Part: harness.PartC, Line: lineFullPipeline, Mutates: true, Run: fullPipeline},
	{Group: "TestComponentIntegration", Name: "error_handling_integrated", Component: harness.Genesis, Part: harness.PartC, Line: lineErrIntegrated, Run: probed(errorHandlingIntegrated)},
	{Group: "TestComponentIntegration", Name: "observability_integrated", Component: harness.Genesis, Part: harness.PartC, Line: lineObsIntegrated, Run: probed(observabilityIntegrated)},
}

// ---- full_pipeline ------------------------------------------------------------------

// fullPipeline drives the pipeline stage by stage as a client would —
// decompose, route the tasks, validate the plan — and then runs the same
// request, judging the run on what ties the stages together: every task has
// a result from the agent it was assigned, statuses agree with each other
// and with the dependencies, the plan was valid, and the executed tasks are
// counted.
func fullPipeline(ctx context.Context, s *harness.Stack) error {
	p, d, r, err := newPlan(ctx, s, richRequest)
	if err != nil {
		return err
	}
	if plan := r.Data.RoutingPlan; len(plan.UnassignedTasks) > 0 {
		return p.failBody(pathRoute, "every task of a plain request assigned", fmt.Sprintf("unassigned %v", plan.UnassignedTasks), r.Resp)
	}
	if err := p.validateJudged(ctx, d, r); err != nil {
		return err
	}
	before, err := p.scrape(ctx, "the task counters before the run")
	if err != nil {
		return err
	}
	want := `status 200 with status "completed": a well-formed DAG, every task assigned, a valid plan, and a completed result per task from its assigned agent`
	rep, err := p.g.Run(ctx, harness.DecomposeRequest{UserRequest: richRequest})
	if err := answered(p, http.MethodPost, pathRun, want, rep, err); err != nil {
		return err
	}
	problems, completed := judgeRun(rep.Data, p.s.Config().Expect.AgentNames)
	if err := p.failProblems(pathRun, want, append(problems, envelopeProblems(rep.Resp, rep.Metadata)...), rep.Resp); err != nil {
		return err
	}
	after, err := p.scrape(ctx, "the task counters after the run")
	if err != nil {
		return err
	}
	return p.grew(before, after, metricTasks, map[string]string{"status": "completed"}, float64(completed),
		fmt.Sprintf("after a run that completed %d tasks", completed))
}

// judgeRun lists what breaks the invariants of a run answer, and how many
// tasks completed.
func judgeRun(run *harness.Run, agents []string) (problems []string, completed int) {
	if run.DAG == nil {
		return []string{"no dag"}, 0
	}
	problems = prefixed("dag: ", judgeDecomposition(run.DAG))
	ids := taskIDs(run.DAG)
	stages, plan := judgeRunStages(run, ids, agents)
	problems = append(problems, stages...)
	results, err := run.TaskResults()
	if err != nil {
		return append(problems, err.Error()), 0
	}
	failed := 0
	for _, id := range ids {
		res, ok := results[id]
		if !ok {
			problems = append(problems, fmt.Sprintf("no result for task %s", id))
			continue
		}
		switch res.Status {
		case "completed":
			completed++
			for _, dep := range run.DAG.Dependencies[id] {
				if results[dep].Status != "completed" {
					problems = append(problems, fmt.Sprintf("task %s completed although its dependency %s is %q", id, dep, results[dep].Status))
				}
			}
		case "failed", "skipped":
			failed++
			problems = append(problems, fmt.Sprintf("task %s result status %q", id, res.Status))
		default:
			problems = append(problems, fmt.Sprintf("task %s result status %q, not completed|failed|skipped", id, res.Status))
		}
		if want := plan.Assignments[id]; res.Agent != "" && want != "" && res.Agent != want {
			problems = append(problems, fmt.Sprintf("task %s ran on agent %q but was assigned to %q", id, res.Agent, want))
		} else if res.Status == "completed" && res.Agent == "" {
			problems = append(problems, fmt.Sprintf("task %s completed without naming its agent", id))
		}
	}
	var unknown []string
	for id := range results {
		if !slices.Contains(ids, id) {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		problems = append(problems, fmt.Sprintf("results for unknown tasks %v", unknown))
	}
	// The run's status must agree with its results.
	wantStatus := "completed"
	switch {
	case len(ids) == 0 || completed == 0:
		wantStatus = "failed"
	case completed < len(ids):
		wantStatus = "partial"
	}
	if run.Status != wantStatus {
		problems = append(problems, fmt.Sprintf("status %q but %d of %d tasks completed (that is %q)", run.Status, completed, len(ids), wantStatus))
	} else if run.Status != "completed" {
		problems = append(problems, fmt.Sprintf("status %q", run.Status))
	}
	return problems, completed
}

// judgeRunStages judges the routing and the validation a run answer
// reports for the tasks ids, each problem prefixed with its stage; a routing
// that does not decode is an empty plan.
func judgeRunStages(run *harness.Run, ids, agents []string) (problems []string, plan *harness.RoutingPlan) {
	plan, err := run.RoutingPlan()
	if err != nil {
		problems = append(problems, err.Error())
		plan = &harness.RoutingPlan{}
	} else {
		problems = append(problems, prefixed("routing: ", judgeRouting(plan, ids, agents))...)
		if len(plan.UnassignedTasks) > 0 {
			problems = append(problems, fmt.Sprintf("routing: unassigned tasks %v", plan.UnassignedTasks))
		}
	}
	if run.Validation == nil {
		problems = append(problems, "no validation")
	} else {
		problems = append(problems, prefixed("validation: ", judgeValidation(run.Validation))...)
	}
	return problems, plan
}

// prefixed is problems each under the name of what they were found in.
func prefixed(prefix string, problems []string) []string {
	var out []string
	for _, pr := range problems {
		out = append(out, prefix+pr)
	}
	return out
}

// ---- error_handling_integrated --------------------------------------------------

// errorHandlingIntegrated sends an error through the pipeline (HALO refuses
// more than 1000 tasks) and wants it categorised in the envelope and counted
// in genesis_errors_total; then it wants /resilience — the error handler's
// own view — to agree with the metrics: every breaker's state with
// genesis_circuit_breaker_state, its trips with the trips counter, and the
// retry and degradation counters with theirs.
func errorHandlingIntegrated(ctx context.Context, p probe) error {
	before, err := p.scrape(ctx, "the error counters before the pipeline error")
	if err != nil {
		return err
	}
	probe := errorProbe{what: "1001 tasks to route", path: pathRoute, status: 422, code: "RESOURCE_ERROR", category: "resource", send: post(pathRoute, tooManyTasks())}
	if err := p.sendErrorProbe(ctx, probe); err != nil {
		return err
	}
	after, err := p.scrape(ctx, "the error counters after the pipeline error")
	if err != nil {
		return err
	}
	if err := p.grew(before, after, metricErrors, map[string]string{"category": "resource"}, 1, "after a RESOURCE_ERROR"); err != nil {
		return err
	}
	// /resilience and the metrics are read one after the other; a drill
	// elsewhere may move a counter in between, so a disagreement is read
	// again before it counts.
	var problems []string
	for range 3 {
		r, _, err := p.resilience(ctx)
		if err != nil {
			return err
		}
		fams, err := p.scrape(ctx, "the resilience metrics")
		if err != nil {
			return err
		}
		if problems = resilienceDisagreements(r, fams); len(problems) == 0 {
			return nil
		}
	}
	return p.fail(pathResilience, "/resilience to agree with the metrics (breaker states, trips, retries, degradations)", problemsText(problems), nil)
}

// resilienceDisagreements lists where /resilience and the metrics differ.
func resilienceDisagreements(r *harness.Resilience, fams map[string]*dto.MetricFamily) []string {
	var out []string
	names := make([]string, 0, len(r.CircuitBreakers))
	for n := range r.CircuitBreakers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b := r.CircuitBreakers[n]
		m := map[string]string{"breaker": n}
		g, ok := harness.MetricValue(fams, metricBreakerState, m)
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("breaker %s in /resilience has no %s series", n, harness.Series(metricBreakerState, m)))
		case g != breakerGauge[b.State]:
			out = append(out, fmt.Sprintf("breaker %s is %s in /resilience but %s is %g", n, b.State, harness.Series(metricBreakerState, m), g))
		}
		if b.Trips != nil {
			t, _ := harness.MetricValue(fams, metricBreakerTrips, m)
			if t != float64(*b.Trips) {
				out = append(out, fmt.Sprintf("breaker %s has %d trips in /resilience but %s is %g", n, *b.Trips, harness.Series(metricBreakerTrips, m), t))
			}
		}
	}
	for _, outcome := range []string{"success", "failure", "exhausted"} {
		num, ok := r.Retries[outcome]
		if !ok {
			continue
		}
		want, err := num.Float64()
		m := map[string]string{"outcome": outcome}
		got, _ := harness.MetricValue(fams, metricRetries, m)
		if err != nil || got != want {
			out = append(out, fmt.Sprintf("retries.%s is %s in /resilience but %s is %g", outcome, num, harness.Series(metricRetries, m), got))
		}
	}
	for comp, num := range r.Degradations {
		want, err := num.Float64()
		m := map[string]string{"component": comp}
		got, _ := harness.MetricValue(fams, metricDegradations, m)
		if err != nil || got != want {
			out = append(out, fmt.Sprintf("degradations.%s is %s in /resilience but %s is %g", comp, num, harness.Series(metricDegradations, m), got))
		}
	}
	return out
}

// ---- observability_integrated -----------------------------------------------------

// observabilityIntegrated sends a routing and a validation of a fixed
// two-task plan (and a decomposition, for the HTDAG histogram) and wants
// each answer traceable — X-Request-Id equal to metadata.request_id, a W3C
// metadata.trace_id, both different per request — and counted: the routes
// in genesis_http_requests_total{code="200"} and their latency histograms,
// the stages in theirs.
func observabilityIntegrated(ctx context.Context, p probe) error {
	before, err := p.scrape(ctx, "the request and stage metrics before the requests")
	if err != nil {
		return err
	}
	plan, route := tinyPlan()
	if _, err := p.decompose(ctx, simpleRequest, "status 200 with a decomposition"); err != nil {
		return err
	}
	rr, err := p.g.Route(ctx, route)
	if err != nil {
		return p.requestFailed(pathRoute, "status 200 with a routing", err)
	}
	if err := succeeded(p, pathRoute, "status 200 with a routing", rr); err != nil {
		return err
	}
	validation := harness.ValidateRequest{DAG: plan, RoutingPlan: harness.Field(rr.RawData(), "routing_plan")}
	vr, err := p.g.ValidatePlan(ctx, validation)
	if err != nil {
		return p.requestFailed(pathValidate, "status 200 with a validation", err)
	}
	validated := true
	if skip := p.notFound(vr.Resp, http.MethodPost, pathValidate); skip != nil {
		validated = false
	} else if !vr.OK() {
		return p.failBody(pathValidate, "status 200 with a validation", fmt.Sprintf("status %d%s", vr.Resp.Status, errorCode(vr.Error)), vr.Resp)
	}
	type answer struct {
		path string
		resp *harness.Response
		md   *harness.Metadata
	}
	answers := []answer{{pathRoute, rr.Resp, rr.Metadata}}
	if validated {
		answers = append(answers, answer{pathValidate, vr.Resp, vr.Metadata})
	}
	want := "X-Request-Id equal to metadata.request_id and a W3C metadata.trace_id, each different per request"
	seenReq, seenTrace := map[string]string{}, map[string]string{}
	for _, a := range answers {
		rid := a.resp.Header.Get("X-Request-Id")
		var problems []string
		switch {
		case rid == "":
			problems = append(problems, "no X-Request-Id response header")
		case a.md == nil || a.md.RequestID != rid:
			got := "no metadata"
			if a.md != nil {
				got = fmt.Sprintf("%q", a.md.RequestID)
			}
			problems = append(problems, fmt.Sprintf("metadata.request_id %s differs from X-Request-Id %q", got, rid))
		case seenReq[rid] != "":
			problems = append(problems, fmt.Sprintf("request id %q reused from %s", rid, seenReq[rid]))
		}
		seenReq[rid] = a.path
		switch {
		case a.md == nil || !validTraceID(a.md.TraceID):
			tid := ""
			if a.md != nil {
				tid = a.md.TraceID
			}
			problems = append(problems, fmt.Sprintf("metadata.trace_id %q is not a W3C trace id", tid))
		case seenTrace[a.md.TraceID] != "":
			problems = append(problems, fmt.Sprintf("trace id %q reused from %s", a.md.TraceID, seenTrace[a.md.TraceID]))
		default:
			seenTrace[a.md.TraceID] = a.path
		}
		if len(problems) > 0 {
			return p.failBody(a.path, want, problemsText(problems), a.resp)
		}
	}
	after, err := p.scrape(ctx, "the request and stage metrics after the requests")
	if err != nil {
		return err
	}
	type series struct {
		name  string
		match map[string]string
	}
	grown := []series{
		{metricHTTPRequests, map[string]string{"route": pathDecompose, "code": "200"}},
		{metricHTTPRequests, map[string]string{"route": pathRoute, "code": "200"}},
		{metricHTTPDuration, map[string]string{"route": pathRoute}},
		{"genesis_htdag_decomposition_duration_seconds", nil},
		{"genesis_halo_routing_duration_seconds", nil},
	}
	if validated {
		grown = append(grown, series{metricHTTPRequests, map[string]string{"route": pathValidate, "code": "200"}},
			series{"genesis_aop_validation_duration_seconds", nil})
	}
	for _, m := range grown {
		if err := p.grew(before, after, m.name, m.match, 1, "after the requests"); err != nil {
			return err
		}
	}
	return p.latencyTracksRequests(ctx, route, validation, validated)
}

// latencyRequests is how many requests of each kind latencyTracksRequests
// times; latencyAttempts how many windows it tries for one in which the
// histograms observed its requests alone.
const (
	latencyRequests = 3
	latencyAttempts = 3
)

// latencyHistogram is a latency histogram a timed request feeds.
type latencyHistogram struct {
	name  string
	match map[string]string
}

// latencyTracksRequests judges that the latency histograms measure latency:
// a histogram's count grows when it is fed random numbers too. It times
// latencyRequests decompositions, routings and (part C served) validations
// on the suite's clock between two scrapes, and judges the request and stage
// histograms each feeds with harness.JudgeLatencyHistogram: counts grow by
// the requests, sums grow, and no histogram holds more time than the client
// waited (by bucket always; by sum when the window held the timed requests
// alone). Other traffic in the window only weakens the sum rule, so the
// check tries up to latencyAttempts windows for an isolated one, and
// otherwise rests on the bucket rule, which other traffic cannot break.
func (p probe) latencyTracksRequests(ctx context.Context, route harness.RouteRequest, validation harness.ValidateRequest, validated bool) error {
	type kind struct {
		path  string
		send  func(ctx context.Context) (*harness.Response, error)
		hists []latencyHistogram
	}
	ok := func(path string, resp *harness.Response, apiErr *harness.APIError, reqErr error) (*harness.Response, error) {
		want := "status 200 for a timed request"
		if reqErr != nil {
			return nil, p.requestFailed(path, want, reqErr)
		}
		if resp.Status != http.StatusOK {
			return nil, p.failBody(path, want, fmt.Sprintf("status %d%s", resp.Status, errorCode(apiErr)), resp)
		}
		return resp, nil
	}
	kinds := []kind{
		{pathDecompose, func(ctx context.Context) (*harness.Response, error) {
			rep, err := p.g.Decompose(ctx, harness.DecomposeRequest{UserRequest: simpleRequest})
			if err != nil {
				return ok(pathDecompose, nil, nil, err)
			}
			return ok(pathDecompose, rep.Resp, rep.Error, nil)
		}, []latencyHistogram{{metricHTTPDuration, map[string]string{"route": pathDecompose}}, {"genesis_htdag_decomposition_duration_seconds", nil}}},
		{pathRoute, func(ctx context.Context) (*harness.Response, error) {
			rep, err := p.g.Route(ctx, route)
			if err != nil {
				return ok(pathRoute, nil, nil, err)
			}
			return ok(pathRoute, rep.Resp, rep.Error, nil)
		}, []latencyHistogram{{metricHTTPDuration, map[string]string{"route": pathRoute}}, {"genesis_halo_routing_duration_seconds", nil}}},
	}
	if validated {
		kinds = append(kinds, kind{pathValidate, func(ctx context.Context) (*harness.Response, error) {
			rep, err := p.g.ValidatePlan(ctx, validation)
			if err != nil {
				return ok(pathValidate, nil, nil, err)
			}
			return ok(pathValidate, rep.Resp, rep.Error, nil)
		}, []latencyHistogram{{metricHTTPDuration, map[string]string{"route": pathValidate}}, {"genesis_aop_validation_duration_seconds", nil}}})
	}
	for attempt := 1; ; attempt++ {
		before, err := p.scrape(ctx, "the latency histograms before the timed requests")
		if err != nil {
			return err
		}
		timed := map[string][]time.Duration{}
		for _, k := range kinds {
			for range latencyRequests {
				resp, err := k.send(ctx)
				if err != nil {
					return err
				}
				timed[k.path] = append(timed[k.path], resp.Elapsed)
			}
		}
		after, err := p.scrape(ctx, "the latency histograms after the timed requests")
		if err != nil {
			return err
		}
		isolated := true
		for _, k := range kinds {
			for _, h := range k.hists {
				series := harness.Series(h.name, h.match)
				want := fmt.Sprintf("%s moving with the latency of %d %s requests timed on the suite's clock (%s)",
					series, latencyRequests, k.path, durationsText(timed[k.path]))
				a, found, err := harness.HistogramValue(after, h.name, h.match)
				switch {
				case err != nil:
					return p.fail(pathMetrics, want, err.Error(), nil)
				case !found:
					return p.fail(pathMetrics, want, "no "+series+" series", nil)
				}
				b, found, err := harness.HistogramValue(before, h.name, h.match)
				if err != nil {
					return p.fail(pathMetrics, want, err.Error(), nil)
				}
				if !found {
					// The series starts at its first observation: zero before.
					b = harness.Histogram{Buckets: map[float64]float64{}}
					for le := range a.Buckets {
						b.Buckets[le] = 0
					}
				}
				problems, alone := harness.JudgeLatencyHistogram(b, a, timed[k.path])
				if len(problems) > 0 {
					return p.fail(pathMetrics, want, series+": "+problemsText(problems), nil)
				}
				isolated = isolated && alone
			}
		}
		if isolated || attempt == latencyAttempts {
			return nil
		}
	}
}

// durationsText lists durations in milliseconds: "3.1, 2.4, 2.9 ms".
func durationsText(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprintf("%.1f", float64(d.Microseconds())/1000)
	}
	return strings.Join(parts, ", ") + " ms"
}

// tinyPlan is a fixed two-task plan (design, then implement) as a DAG for
// validation and as a routing request: the observability probe's requests
// do not depend on what the planner answers.
func tinyPlan() (map[string]any, harness.RouteRequest) {
	tasks := []map[string]any{
		{"task_id": "obs-design", "description": "Design the signup page", "task_type": "design"},
		{"task_id": "obs-build", "description": "Implement the signup page", "task_type": "implement"},
	}
	dag := map[string]any{"dag_id": "smokestack-observability", "tasks": tasks,
		"dependencies": map[string][]string{"obs-design": {}, "obs-build": {"obs-design"}}}
	route := harness.RouteRequest{DagID: "smokestack-observability"}
	for _, t := range tasks {
		route.Tasks = append(route.Tasks, harness.RouteTask{TaskID: t["task_id"].(string), Description: t["description"].(string), TaskType: t["task_type"].(string)})
	}
	return dag, route
}
