package checks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/smokestack-dev/smokestack/harness"
)

// Checklist lines of "Error Handling Validation", quoted in failures.
const (
	lineErrCategorization = "Error Handling Validation: TestErrorHandling — error categorization working"
	lineBreaker           = "Error Handling Validation: TestErrorHandling — circuit breaker functional"
	lineDegradation       = "Error Handling Validation: TestErrorHandling — graceful degradation active"
	lineRetry             = "Error Handling Validation: TestErrorHandling — retry mechanism available"
)

// ErrorHandling is TestErrorHandling (staging): errors are categorised and
// counted; the LLM upstream's breaker opens and recovers; an LLM outage
// degrades to the heuristic planner; transient upstream errors are retried.
// The three drills break the LLM planner upstream, so they mutate and run
// alone, and they put the planner back as they found it on every path.
var ErrorHandling = []Check{
	{Group: "TestErrorHandling", Name: "error_categorization", Component: harness.Genesis, Part: harness.PartC, Line: lineErrCategorization, Run: probed(errorCategorization)},
	{Group: "TestErrorHandling", Name: "circuit_breaker", Component: harness.Genesis, Part: harness.PartC, Reads: []harness.Component{harness.LLMPlanner}, Line: lineBreaker, Mutates: true, Run: circuitBreaker},
	{Group: "TestErrorHandling", Name: "graceful_degradation", Component: harness.Genesis, Part: harness.PartC, Reads: []harness.Component{harness.LLMPlanner}, Line: lineDegradation, Mutates: true, Run: gracefulDegradation},
	{Group: "TestErrorHandling", Name: "retry", Component: harness.Genesis, Part: harness.PartC, Reads: []harness.Component{harness.LLMPlanner}, Line: lineRetry, Mutates: true, Run: retryMechanism},
}

// Metric names the error-handling checks read (CONTRACT.md).
const (
	metricErrors       = "genesis_errors_total"
	metricBreakerState = "genesis_circuit_breaker_state"
	metricBreakerTrips = "genesis_circuit_breaker_trips_total"
	metricRetries      = "genesis_retries_total"
	metricDegradations = "genesis_degradations_total"
	pathResilience     = "/resilience"
	pathMetrics        = "/metrics"
	// llmBreaker is the LLM upstream's breaker in /resilience and metrics.
	llmBreaker = "llm"
)

// breakerGauge is the genesis_circuit_breaker_state value of each state.
var breakerGauge = map[string]float64{"CLOSED": 0, "HALF_OPEN": 1, "OPEN": 2}

// ---- error_categorization ------------------------------------------------------

// errorProbe provokes one error whose code and category are known in advance.
type errorProbe struct {
	what, path, code, category string
	status                     int
	send                       func(ctx context.Context, g harness.GenesisClient) (*harness.Reply[map[string]any], error)
	// judge looks at details beyond the category ("" when fine).
	judge func(e *harness.APIError) string
}

// tooManyTasks is a routing request over the contract's 1000-task limit.
func tooManyTasks() harness.RouteRequest {
	r := harness.RouteRequest{DagID: "smokestack-too-many"}
	for i := range 1001 {
		r.Tasks = append(r.Tasks, harness.RouteTask{TaskID: fmt.Sprintf("t%d", i), Description: "Write page " + fmt.Sprint(i), TaskType: "implement"})
	}
	return r
}

// cyclicRequest is the smoke suite's cyclic plan.
func cyclicRequest() harness.ValidateRequest { r, _ := cyclicPlan(); return r }

func post(path string, body any) func(context.Context, harness.GenesisClient) (*harness.Reply[map[string]any], error) {
	return func(ctx context.Context, g harness.GenesisClient) (*harness.Reply[map[string]any], error) {
		return harness.PostEnvelope[map[string]any](ctx, g, path, body, nil)
	}
}

// categorizationProbes cover four categories through three stages: input
// validation, the security guard, AOP's cycle detection, HALO's task limit.
var categorizationProbes = []errorProbe{
	{what: "a too-short request", path: pathDecompose, status: 400, code: "VALIDATION_ERROR", category: "validation",
		send: post(pathDecompose, harness.DecomposeRequest{UserRequest: tooShortRequest})},
	{what: "a prompt injection", path: pathDecompose, status: 400, code: "SECURITY_ERROR", category: "security",
		send: post(pathDecompose, harness.DecomposeRequest{UserRequest: injectionRequest})},
	{what: "a cyclic plan", path: pathValidate, status: 422, code: "DECOMPOSITION_ERROR", category: "decomposition",
		send: post(pathValidate, cyclicRequest()),
		judge: func(e *harness.APIError) string {
			if c, ok := e.Details["cycle"].([]any); !ok || len(c) < 2 {
				return fmt.Sprintf("details.cycle %v, not the cycle path", e.Details["cycle"])
			}
			return ""
		}},
	{what: "1001 tasks to route", path: pathRoute, status: 422, code: "RESOURCE_ERROR", category: "resource",
		send: post(pathRoute, tooManyTasks())},
}

// sendErrorProbe sends one probe and judges its error envelope.
func (p probe) sendErrorProbe(ctx context.Context, c errorProbe) error {
	want := fmt.Sprintf("for %s: status %d, error {code %s, details.category %q, request_id, timestamp}", c.what, c.status, c.code, c.category)
	rep, err := c.send(ctx, p.g)
	if err := reached(p, http.MethodPost, c.path, want, rep, err); err != nil {
		return err
	}
	e := rep.Error
	got := fmt.Sprintf("status %d, error %s", rep.Resp.Status, showAPIError(e))
	if rep.Resp.Status != c.status || e == nil || e.Code != c.code || e.RequestID == "" || e.Timestamp == "" {
		return p.failBody(c.path, want, got, rep.Resp)
	}
	if e.Category() != c.category {
		if !slices.Contains(ErrorCategories, e.Category()) {
			got += fmt.Sprintf(" (not one of the contract's categories %v)", ErrorCategories)
		}
		return p.failBody(c.path, want, got, rep.Resp)
	}
	if c.judge != nil {
		if problem := c.judge(e); problem != "" {
			return p.failBody(c.path, want, problem, rep.Resp)
		}
	}
	return nil
}

func errorCategorization(ctx context.Context, p probe) error {
	before, err := p.scrape(ctx, "the error counters before the probes")
	if err != nil {
		return err
	}
	sent := map[string]int{}
	for _, c := range categorizationProbes {
		if err := p.sendErrorProbe(ctx, c); err != nil {
			return err
		}
		sent[c.category]++
	}
	after, err := p.scrape(ctx, "the error counters after the probes")
	if err != nil {
		return err
	}
	for _, cat := range ErrorCategories {
		if sent[cat] == 0 {
			continue
		}
		if err := p.grew(before, after, metricErrors, map[string]string{"category": cat}, float64(sent[cat]),
			fmt.Sprintf("after %d %s error(s)", sent[cat], cat)); err != nil {
			return err
		}
	}
	return nil
}

// ---- metrics and /resilience helpers ---------------------------------------------

// scrape reads the service's /metrics.
func (p probe) scrape(ctx context.Context, what string) (map[string]*dto.MetricFamily, error) {
	famsRep, err := harness.Done(p.s.GenesisMetrics().Scrape(ctx, pathMetrics))
	if err != nil {
		return nil, p.requestFailed(pathMetrics, "a Prometheus exposition with "+what, err)
	}
	fams := *famsRep.Data
	return fams, nil
}

// grew fails unless the series grew by at least n between two scrapes.
func (p probe) grew(before, after map[string]*dto.MetricFamily, name string, match map[string]string, n float64, why string) error {
	series := harness.Series(name, match)
	want := fmt.Sprintf("%s to grow by at least %g %s", series, n, why)
	a, ok := harness.MetricValue(after, name, match)
	if !ok {
		return p.fail(pathMetrics, want, "no "+series+" series", nil)
	}
	b, _ := harness.MetricValue(before, name, match)
	if a-b < n {
		return p.fail(pathMetrics, want, fmt.Sprintf("%s %g before, %g after", series, b, a), nil)
	}
	return nil
}

// metric reads one series' value and fails when it is absent.
func (p probe) metric(fams map[string]*dto.MetricFamily, name string, match map[string]string, want string) (float64, error) {
	v, ok := harness.MetricValue(fams, name, match)
	if !ok {
		return 0, p.fail(pathMetrics, want, "no "+harness.Series(name, match)+" series", nil)
	}
	return v, nil
}

// resilience reads GET /resilience and judges every breaker's state; the
// error is a skip when the deployment does not serve it (part C).
func (p probe) resilience(ctx context.Context) (*harness.Resilience, *harness.Response, error) {
	want := "status 200 with circuit_breakers {name: {state CLOSED|OPEN|HALF_OPEN, failures, trips}}"
	rRep, err := harness.Done(p.g.Resilience(ctx))
	resp := rRep.Response()
	if skip := p.notFound(resp, http.MethodGet, pathResilience); skip != nil {
		return nil, nil, skip
	}
	if err != nil {
		return nil, nil, p.requestFailed(pathResilience, want, err)
	}
	r := rRep.Data
	if r.CircuitBreakers == nil {
		return nil, nil, p.failBody(pathResilience, want, "no circuit_breakers object", resp)
	}
	for name, b := range r.CircuitBreakers {
		if !slices.Contains(harness.BreakerStates, b.State) {
			return nil, nil, p.failBody(pathResilience, want, fmt.Sprintf("breaker %s in state %q", name, b.State), resp)
		}
	}
	return r, resp, nil
}

// llmState is the LLM breaker's entry ("CLOSED" with no failures when the
// service has not made it yet).
func llmState(r *harness.Resilience) (state string, failures, trips int) {
	b, ok := r.CircuitBreakers[llmBreaker]
	if !ok {
		return "CLOSED", 0, 0
	}
	deref := func(p *int) int {
		if p == nil {
			return 0
		}
		return *p
	}
	return b.State, deref(b.Failures), deref(b.Trips)
}

// ---- the LLM planner drills -------------------------------------------------------

// drill is a check that breaks the LLM planner upstream.
type drill struct {
	probe
	planner     harness.PlannerClient
	openTimeout time.Duration
}

// maxBreakerOpenTimeout is the longest breaker open timeout a drill waits
// out: recovery must fit a check's deadline. Staging stacks set it short
// (GENESIS_BREAKER_OPEN_TIMEOUT); the contract's default is 60 s.
const maxBreakerOpenTimeout = 10 * time.Second

// newDrill prepares a drill: mutation allowed, an LLM planner the suite can
// break, the service's breaker settings, and the LLM breaker settled
// (CLOSED, no failures) so that the drill starts from a known state.
func newDrill(ctx context.Context, s *harness.Stack, name, line string) (*drill, error) {
	p, err := newProbe(s)
	if err != nil {
		return nil, err
	}
	if !s.Has(harness.LLMPlanner) {
		return nil, OutOfScope("%s breaks the LLM planner upstream, and this stack has none the suite can break (%s); it runs on an ephemeral stack, or live with %s pointing at a reference planner",
			name, s.Absent(harness.LLMPlanner), harness.Env.LLMURL)
	}
	d := &drill{probe: p, planner: s.LLMPlanner()}
	_, resp, err := p.resilience(ctx)
	if err != nil {
		return nil, err
	}
	cfg := harness.ResilienceSettingsOf(resp)
	switch {
	case cfg.OpenTimeoutSeconds == nil:
		d.openTimeout = 60 * time.Second // the contract's default
	default:
		d.openTimeout = time.Duration(*cfg.OpenTimeoutSeconds * float64(time.Second))
	}
	if err := d.settle(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// settle waits (bounded by the open timeout) until the LLM breaker is
// CLOSED with no failures, sending a decomposition per attempt: the first
// call after the open timeout half-opens it, successes close it and reset
// the failure count.
func (d *drill) settle(ctx context.Context) error {
	r, _, err := d.resilience(ctx)
	if err != nil {
		return err
	}
	if st, failures, _ := llmState(r); st == "CLOSED" && failures == 0 {
		return nil
	}
	if d.openTimeout > maxBreakerOpenTimeout {
		return d.longOpenTimeout()
	}
	want := fmt.Sprintf("the LLM breaker CLOSED with no failures within its open timeout %s (+5s) before the drill", d.openTimeout)
	var got string
	err = harness.Eventually(ctx, want, d.openTimeout+5*time.Second, 300*time.Millisecond, func(ctx context.Context) error {
		_, _ = d.g.Decompose(ctx, harness.DecomposeRequest{UserRequest: simpleRequest})
		r, _, err := d.resilience(ctx)
		if err != nil {
			return harness.Permanent(err)
		}
		st, failures, _ := llmState(r)
		if st == "CLOSED" && failures == 0 {
			return nil
		}
		got = fmt.Sprintf("state %s with %d failures", st, failures)
		return errors.New(got)
	})
	if err != nil {
		if isOutcome(err) || isFailure(err) {
			return err
		}
		return d.fail(pathResilience, want, "breaker llm "+got, err)
	}
	return nil
}

func (d *drill) longOpenTimeout() error {
	return CannotJudge("the service's breakers stay open %s (config.open_timeout_seconds in /resilience; the contract's default is 60 s): longer than %s, so %s cannot wait for recovery within its deadline; set GENESIS_BREAKER_OPEN_TIMEOUT to a few seconds on staging",
		d.openTimeout, maxBreakerOpenTimeout, d.name)
}

// isOutcome reports whether err already is a NOT APPLICABLE or NOT JUDGED.
func isOutcome(err error) bool {
	o := outcomeOf(err)
	return o == NotApplicable || o == NotJudged
}

func isFailure(err error) bool {
	var f *Failure
	return errors.As(err, &f)
}

// start reads /resilience, then the metrics (what), and only then breaks
// the planner with spec: the state a drill's effects are measured from,
// read alike by every drill before its fault. The caller defers the
// restore it returns.
func (d *drill) start(ctx context.Context, what, spec string) (*harness.Resilience, map[string]*dto.MetricFamily, func() error, error) {
	r, _, err := d.resilience(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	m, err := d.scrape(ctx, what)
	if err != nil {
		return nil, nil, nil, err
	}
	restore, err := d.breakPlanner(ctx, spec)
	if err != nil {
		return nil, nil, nil, err
	}
	return r, m, restore, nil
}

// restoreAfter is a drill's deferred restore: a planner that cannot be put
// back fails the drill, unless the drill has failed already (that failure
// says more about the service).
func restoreAfter(restore func() error, err *error) {
	if rerr := restore(); *err == nil {
		*err = rerr
	}
}

// breakPlanner sets the planner's faults and returns the function that puts
// back the faults it found. The restore runs even when ctx has ended.
func (d *drill) breakPlanner(ctx context.Context, spec string) (restore func() error, err error) {
	url := d.s.URL(harness.LLMPlanner) + "/admin/faults"
	prevRep, err := harness.Done(d.planner.Faults(ctx))
	if err != nil {
		return nil, requestFailed(d.name, harness.LLMPlanner, url, "the planner's fault admin (GET /admin/faults)", d.line, err)
	}
	prev := prevRep.Data.Faults
	if _, err := harness.Done(d.planner.SetFaults(ctx, spec)); err != nil {
		return nil, requestFailed(d.name, harness.LLMPlanner, url, fmt.Sprintf("the planner to accept faults %q", spec), d.line, err)
	}
	restored := false
	return func() error {
		if restored {
			return nil
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if _, err := harness.Done(d.planner.SetFaults(rctx, prev)); err != nil {
			return requestFailed(d.name, harness.LLMPlanner, url, fmt.Sprintf("the planner's faults restored to %q", prev), d.line, err)
		}
		restored = true
		return nil
	}, nil
}

// decomposeMethod sends a decomposition and returns the answer and its
// decomposition_metadata.method.
func (d *drill) decomposeMethod(ctx context.Context, want string) (*harness.Reply[harness.Decomposition], string, error) {
	rep, err := d.decompose(ctx, simpleRequest, want)
	if err != nil {
		return nil, "", err
	}
	if rep.Data.Metadata == nil {
		return nil, "", d.failBody(pathDecompose, want, "no decomposition_metadata", rep.Resp)
	}
	return rep, rep.Data.Metadata.Method, nil
}

// upstreamAnswer sends a decomposition while the LLM upstream fails (or its
// breaker is open) and accepts what the contract allows then: 200 (the
// heuristic fallback) or an error of category llm or network (degradation
// off). Anything else — a refusal, a 500 — is not the upstream's doing.
func (d *drill) upstreamAnswer(ctx context.Context, when string) error {
	want := `status 200 (fallback), or an error of category "llm" or "network", for a decomposition ` + when
	rep, err := d.g.Decompose(ctx, harness.DecomposeRequest{UserRequest: simpleRequest})
	if err != nil {
		return d.requestFailed(pathDecompose, want, err)
	}
	if rep.OK() || rep.Error.Category() == "llm" || rep.Error.Category() == "network" {
		return nil
	}
	return d.failBody(pathDecompose, want, fmt.Sprintf("status %d%s", rep.Resp.Status, errorCode(rep.Error)), rep.Resp)
}

// ---- circuit_breaker ------------------------------------------------------------

// breakerTripLimit bounds how many failing decompositions a trip may take:
// the contract opens after 5 consecutive failures, and a service that
// retries reaches them sooner.
const breakerTripLimit = 8

func circuitBreaker(ctx context.Context, s *harness.Stack) (err error) {
	d, err := newDrill(ctx, s, "TestErrorHandling/circuit_breaker", lineBreaker)
	if err != nil {
		return err
	}
	if d.openTimeout > maxBreakerOpenTimeout {
		return d.longOpenTimeout()
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d.openTimeout+3*time.Second {
		return CannotJudge("%s needs the breaker's open timeout %s plus a few seconds, and its deadline leaves %s: raise %s",
			d.name, d.openTimeout, time.Until(dl).Round(time.Millisecond), harness.Env.CheckTimeout)
	}
	res0, m0, restore, err := d.start(ctx, "the breaker metrics before the drill", "down")
	if err != nil {
		return err
	}
	_, _, trips0 := llmState(res0)
	tripped := false
	defer func() {
		rerr := restore()
		if tripped {
			// Whatever the verdict, leave the breaker closed for the next check.
			if serr := d.settle(ctx); err == nil && serr != nil {
				err = serr
			}
		}
		if err == nil {
			err = rerr
		}
	}()

	// 1. The planner fails every plan: the breaker must open.
	want := fmt.Sprintf("the LLM breaker OPEN in /resilience after at most %d decompositions with the LLM planner down", breakerTripLimit)
	var state string
	var failures, trips int
	var openedAt time.Time
	for i := 1; i <= breakerTripLimit; i++ {
		if err := d.upstreamAnswer(ctx, "while the LLM planner is down"); err != nil {
			return err
		}
		r, _, err := d.resilience(ctx)
		if err != nil {
			return err
		}
		if state, failures, trips = llmState(r); state != "CLOSED" {
			tripped = true
		}
		if state == "OPEN" {
			openedAt = time.Now()
			break
		}
	}
	if state != "OPEN" {
		return d.fail(pathResilience, want, fmt.Sprintf("breaker llm still %s with %d consecutive failures, %d trips", state, failures, trips), nil)
	}
	if trips <= trips0 {
		return d.fail(pathResilience, "the LLM breaker's trips to grow when it opens", fmt.Sprintf("trips %d before, %d after", trips0, trips), nil)
	}
	m1, err := d.scrape(ctx, "the breaker metrics while it is open")
	if err != nil {
		return err
	}
	gaugeSeries := map[string]string{"breaker": llmBreaker}
	g, err := d.metric(m1, metricBreakerState, gaugeSeries, "genesis_circuit_breaker_state{breaker=\"llm\"} 2 (open)")
	if err != nil {
		return err
	}
	if g != breakerGauge["OPEN"] {
		return d.fail(pathMetrics, "genesis_circuit_breaker_state{breaker=\"llm\"} 2 (open) while /resilience says OPEN", fmt.Sprintf("%g", g), nil)
	}
	if err := d.grew(m0, m1, metricBreakerTrips, gaugeSeries, 1, "when the breaker opens"); err != nil {
		return err
	}

	// 2. Open means open: with the planner healthy again, a decomposition
	// must not reach it until the open timeout has passed.
	if err := restore(); err != nil {
		return err
	}
	st0, err := harness.Done(d.planner.Stats(ctx))
	if err != nil {
		return requestFailed(d.name, harness.LLMPlanner, d.s.URL(harness.LLMPlanner)+"/health", "the planner's counters", d.line, err)
	}
	if err := d.upstreamAnswer(ctx, "while the LLM breaker is open"); err != nil {
		return err
	}
	sentWithin := time.Since(openedAt)
	st1, err := harness.Done(d.planner.Stats(ctx))
	if err != nil {
		return requestFailed(d.name, harness.LLMPlanner, d.s.URL(harness.LLMPlanner)+"/health", "the planner's counters", d.line, err)
	}
	// Judged only when the call surely fell inside the open window; on a
	// machine so slow that it did not, the recovery below still judges.
	if sentWithin < d.openTimeout/2 && st1.Data.Calls() != st0.Data.Calls() {
		return d.fail(pathDecompose, "no call to the LLM planner while its breaker is OPEN",
			fmt.Sprintf("the planner answered %d plan request(s) %s after the breaker opened", st1.Data.Calls()-st0.Data.Calls(), sentWithin.Round(time.Millisecond)), nil)
	}

	// 3. Recovery: after the open timeout, calls probe the planner again
	// and successes close the breaker.
	if err := d.settle(ctx); err != nil {
		return err
	}
	tripped = false
	m2, err := d.scrape(ctx, "the breaker metrics after recovery")
	if err != nil {
		return err
	}
	g, err = d.metric(m2, metricBreakerState, gaugeSeries, "genesis_circuit_breaker_state{breaker=\"llm\"} 0 (closed)")
	if err != nil {
		return err
	}
	if g != breakerGauge["CLOSED"] {
		return d.fail(pathMetrics, "genesis_circuit_breaker_state{breaker=\"llm\"} 0 (closed) after recovery", fmt.Sprintf("%g", g), nil)
	}
	_, method, err := d.decomposeMethod(ctx, "status 200 with a decomposition after the breaker recovered")
	if err != nil {
		return err
	}
	if method != "llm" {
		return d.fail(pathDecompose, `decomposition_metadata.method "llm" once the breaker is CLOSED again`, fmt.Sprintf("method %q", method), nil)
	}
	return nil
}

// ---- graceful_degradation -----------------------------------------------------

func gracefulDegradation(ctx context.Context, s *harness.Stack) (err error) {
	d, err := newDrill(ctx, s, "TestErrorHandling/graceful_degradation", lineDegradation)
	if err != nil {
		return err
	}
	res0, m0, restore, err := d.start(ctx, "the degradation counter before the drill", "down")
	if err != nil {
		return err
	}
	defer restoreAfter(restore, &err)
	want := `status 200 with decomposition_metadata.method "heuristic" while the LLM planner is down`
	rep, method, err := d.decomposeMethod(ctx, want)
	if err != nil {
		return err
	}
	if method != "heuristic" {
		return d.failBody(pathDecompose, want, fmt.Sprintf("method %q", method), rep.Resp)
	}
	if len(rep.Data.Tasks) == 0 {
		return d.failBody(pathDecompose, want, "no tasks in the fallback plan", rep.Resp)
	}
	m1, err := d.scrape(ctx, "the degradation counter after the drill")
	if err != nil {
		return err
	}
	if err := d.grew(m0, m1, metricDegradations, nil, 1, "after a decomposition fell back to the heuristic planner"); err != nil {
		return err
	}
	res1, _, err := d.resilience(ctx)
	if err != nil {
		return err
	}
	if sumCounts(res1.Degradations) <= sumCounts(res0.Degradations) {
		return d.fail(pathResilience, "degradations in /resilience to grow after a fallback",
			fmt.Sprintf("%v before, %v after", res0.Degradations, res1.Degradations), nil)
	}
	// Back to normal: with the planner restored the LLM plans again.
	if err := restore(); err != nil {
		return err
	}
	_, method, err = d.decomposeMethod(ctx, "status 200 with a decomposition after the LLM planner is back")
	if err != nil {
		return err
	}
	if method != "llm" {
		return d.fail(pathDecompose, `decomposition_metadata.method "llm" once the LLM planner is back`, fmt.Sprintf("method %q", method), nil)
	}
	return nil
}

func sumCounts(m map[string]json.Number) float64 {
	var n float64
	for _, v := range m {
		if f, err := v.Float64(); err == nil && !math.IsNaN(f) {
			n += f
		}
	}
	return n
}

// ---- retry ------------------------------------------------------------------

// retryFailures is how many plans the planner fails before it answers: within
// the contract's 3 retries, so the request must succeed through the LLM.
const retryFailures = 2

func retryMechanism(ctx context.Context, s *harness.Stack) (err error) {
	d, err := newDrill(ctx, s, "TestErrorHandling/retry", lineRetry)
	if err != nil {
		return err
	}
	res0, m0, restore, err := d.start(ctx, "the retry counters before the drill", fmt.Sprintf("fail_first=%d", retryFailures))
	if err != nil {
		return err
	}
	defer restoreAfter(restore, &err)
	want := fmt.Sprintf(`status 200 with decomposition_metadata.method "llm" when the LLM planner fails its first %d plans (the contract retries up to 3 times)`, retryFailures)
	rep, method, err := d.decomposeMethod(ctx, want)
	if err != nil {
		return err
	}
	if method != "llm" {
		return d.failBody(pathDecompose, want, fmt.Sprintf("method %q (the LLM was not retried to success)", method), rep.Resp)
	}
	m1, err := d.scrape(ctx, "the retry counters after the drill")
	if err != nil {
		return err
	}
	if err := d.grew(m0, m1, metricRetries, map[string]string{"outcome": "success"}, 1, "after a plan succeeded on a retry"); err != nil {
		return err
	}
	res1, _, err := d.resilience(ctx)
	if err != nil {
		return err
	}
	b, _ := res0.Retries["success"].Float64()
	a, aerr := res1.Retries["success"].Float64()
	if aerr != nil || a <= b {
		return d.fail(pathResilience, "retries.success in /resilience to grow after a plan succeeded on a retry",
			fmt.Sprintf("%v before, %v after", res0.Retries, res1.Retries), nil)
	}
	return nil
}
