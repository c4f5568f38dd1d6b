package checks

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/smokestack-dev/smokestack/harness"
)

// Load is a bounded synthetic load for the success metrics on an
// ephemeral stack, which has no traffic of its own: orchestration flows
// (decompose, route, validate: three requests each, what simple_orchestration_flow
// sends, read-only), and decompositions after one transient failure of
// the LLM planner upstream (its fail_first=1 fault: the service retries
// once, and the retry succeeds), so that the retry metric has retries to
// count. Bounded in count (Flows, Retries) and in time (MaxDuration).
type Load struct {
	Flows   int
	Workers int
	Retries int
	// Rate paces the flows' requests (per second): a deployment's traffic,
	// not a burst. At several hundred requests a second the reference
	// service's span batcher drops spans (its queue overflows), which is
	// true of it and not what the load is for.
	Rate        int
	MaxDuration time.Duration
}

// SuccessLoad is the load TestSuccessMetrics sends first: 1200 requests
// and more, enough to judge an error rate under 0.1 % (MinRequestsForErrorRate),
// and more retries than MinRetriesJudged. About fifteen seconds here.
var SuccessLoad = Load{Flows: 400, Workers: 4, Retries: MinRetriesJudged + 5, Rate: 100, MaxDuration: 2 * time.Minute}

// minLoadWindow is the shortest window a load leaves for the metrics:
// three scrapes of the ephemeral stack (2 s), so that every rate has
// samples to start and end from.
const minLoadWindow = 6 * time.Second

// defaultLoadBound bounds a load that names no MaxDuration.
const defaultLoadBound = time.Minute

// settleWait bounds the wait for Prometheus to scrape after the load.
const settleWait = 20 * time.Second

// spanFlush is how long the service's span exporter may hold spans before
// sending them (its batch timeout is 1 s).
const spanFlush = 1500 * time.Millisecond

// LoadReport is what a load sent and how the service answered.
type LoadReport struct {
	Start, End time.Time
	Requests   int         // requests answered
	ByStatus   map[int]int // answers by status code
	NoAnswer   int         // requests that got no answer
	Retried    int         // decompositions sent after a planner failure
	Notes      []string    // what could not be done, and why
}

func (r LoadReport) String() string {
	codes := make([]int, 0, len(r.ByStatus))
	for c := range r.ByStatus {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	var parts []string
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d: %d", c, r.ByStatus[c]))
	}
	s := fmt.Sprintf("%d requests answered (%s), %d without an answer, %d of them decompositions after a transient planner failure, in %s",
		r.Requests, strings.Join(parts, ", "), r.NoAnswer, r.Retried, r.End.Sub(r.Start).Round(time.Millisecond))
	for _, n := range r.Notes {
		s += "; " + n
	}
	return s
}

// SendLoad sends the load to an ephemeral stack, between two scrapes of
// every target by Prometheus: one after the window's start (the report's
// Start) and before the first request, one after the last request and the
// service's span flush, so that the window from Start to now holds all of
// it. A live target never gets it: its metrics are its own
// traffic's, which synthetic requests would dilute, and breaking its LLM
// upstream is a mutation. The error is for a load that could not run at
// all; answers with errors (under a fault) are counted, not errors.
func SendLoad(ctx context.Context, s *harness.Stack, l Load) (LoadReport, error) {
	r := LoadReport{Start: time.Now(), ByStatus: map[int]int{}}
	if s.Mode() != harness.Ephemeral {
		return r, fmt.Errorf("the synthetic load goes to ephemeral stacks only: a %s target is judged on its own traffic", s.Mode())
	}
	if !s.Has(harness.Genesis) {
		return r, fmt.Errorf("%s", s.Absent(harness.Genesis))
	}
	// The window starts before the load, and with a scrape of every target
	// inside it before the first request: increase() counts from the
	// window's first sample, so one taken during the load would lose what
	// came before it.
	if note := scrapedAfter(ctx, s, r.Start); note != "" {
		r.Notes = append(r.Notes, note)
	}
	bound := l.MaxDuration
	if bound <= 0 {
		bound = defaultLoadBound
	}
	lctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	g := s.Genesis()
	pace := func() bool { return lctx.Err() == nil }
	if l.Rate > 0 {
		tick := time.NewTicker(time.Second / time.Duration(l.Rate))
		defer tick.Stop()
		pace = func() bool {
			select {
			case <-tick.C:
				return true
			case <-lctx.Done():
				return false
			}
		}
	}
	var mu sync.Mutex
	answered := func(resp *harness.Response, err error) bool {
		mu.Lock()
		defer mu.Unlock()
		if resp == nil {
			r.NoAnswer++
			return false
		}
		r.Requests++
		r.ByStatus[resp.Status]++
		return err == nil && resp.Status/100 == 2
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < max(1, l.Workers); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				flow(lctx, g, i, pace, answered)
			}
		}()
	}
	for i := 0; i < l.Flows && lctx.Err() == nil; i++ {
		select {
		case jobs <- i:
		case <-lctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	if l.Retries > 0 {
		n, note := retriedDecompositions(lctx, s, l.Retries, answered)
		r.Retried = n
		if note != "" {
			r.Notes = append(r.Notes, note)
		}
	}
	if lctx.Err() != nil && ctx.Err() == nil {
		r.Notes = append(r.Notes, fmt.Sprintf("stopped at its time bound %s", bound))
	}
	r.End = time.Now()
	after := r.End.Add(spanFlush)
	if min := r.Start.Add(minLoadWindow); min.After(after) {
		after = min
	}
	if note := scrapedAfter(ctx, s, after); note != "" {
		r.Notes = append(r.Notes, note)
	}
	if r.Requests == 0 && (l.Flows > 0 || l.Retries > 0) {
		return r, fmt.Errorf("no request of the load was answered (%d without an answer)", r.NoAnswer)
	}
	return r, nil
}

// flow is decompose, route and validate of one request; a step that fails
// ends the flow (there is nothing to route).
func flow(ctx context.Context, g harness.GenesisClient, i int, pace func() bool, answered func(*harness.Response, error) bool) {
	text := simpleRequest
	if i%2 == 1 {
		text = richRequest
	}
	if !pace() {
		return
	}
	d, err := g.Decompose(ctx, harness.DecomposeRequest{UserRequest: text})
	if !answered(replyResp(d), err) || d.Data == nil || !pace() {
		return
	}
	rt, err := g.Route(ctx, harness.RouteRequestFor(d.Data))
	if !answered(replyResp(rt), err) || rt.Data == nil || rt.Data.RoutingPlan == nil || !pace() {
		return
	}
	v, err := g.ValidatePlan(ctx, harness.ValidateRequest{DAG: d.Data, RoutingPlan: rt.Data.RoutingPlan})
	answered(replyResp(v), err)
}

func replyResp[T any](r *harness.Reply[T]) *harness.Response {
	if r == nil {
		return nil
	}
	return r.Resp
}

// retriedDecompositions sends n decompositions, one at a time, each after
// arming the planner to fail its next plan once: the service retries that
// plan and the retry succeeds. One at a time, so that no two failures
// follow each other (five in a row would trip the LLM breaker). The
// planner's faults are put back as found.
func retriedDecompositions(ctx context.Context, s *harness.Stack, n int, answered func(*harness.Response, error) bool) (int, string) {
	if !s.Has(harness.LLMPlanner) {
		return 0, "no transient upstream failures: " + s.Absent(harness.LLMPlanner)
	}
	planner := s.LLMPlanner()
	prevRep, err := harness.Done(planner.Faults(ctx))
	if err != nil {
		return 0, "no transient upstream failures: the planner's faults cannot be read: " + shortErr(err)
	}
	prev := prevRep.Data.Faults
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restoreTimeout)
		defer cancel()
		_, _ = planner.SetFaults(rctx, prev)
	}()
	done := 0
	for i := 0; i < n && ctx.Err() == nil; i++ {
		if _, err := harness.Done(planner.SetFaults(ctx, "fail_first=1")); err != nil {
			return done, "transient upstream failures stopped: " + shortErr(err)
		}
		d, err := s.Genesis().Decompose(ctx, harness.DecomposeRequest{UserRequest: simpleRequest})
		answered(replyResp(d), err)
		done++
	}
	return done, ""
}

// scrapedAfter waits until Prometheus has scraped every target after t
// (a target that is down still gets its up sample). A Prometheus that does
// not get there within settleWait is said, not waited for: the metrics
// then judge what it has.
func scrapedAfter(ctx context.Context, s *harness.Stack, t time.Time) string {
	if !s.Has(harness.Prometheus) {
		return ""
	}
	prom := s.Prometheus()
	var last string
	err := harness.Eventually(ctx, "every target scraped after "+t.UTC().Format(time.RFC3339Nano), settleWait, 250*time.Millisecond, func(ctx context.Context) error {
		vec, err := queryVector(ctx, prom, "min(timestamp(up))")
		if err != nil {
			last = shortErr(err)
			return err
		}
		if len(vec) == 0 {
			last = "no up series"
			return fmt.Errorf("%s", last)
		}
		at := time.UnixMilli(int64(float64(vec[0].Value) * 1000))
		if !at.After(t) {
			last = fmt.Sprintf("the oldest last scrape at %s", at.UTC().Format(time.RFC3339Nano))
			return fmt.Errorf("%s, want after %s", last, t.UTC().Format(time.RFC3339Nano))
		}
		return nil
	})
	if err != nil {
		return fmt.Sprintf("Prometheus had not scraped every target after %s within %s (%s)", t.UTC().Format(time.RFC3339), settleWait, last)
	}
	return ""
}

// SuccessWindowFor prepares the stack TestSuccessMetrics judges. An
// ephemeral stack has no traffic of its own, and its age holds the other
// suites' drills, which fail on purpose: it gets SuccessLoad, and the
// window starts where the load starts. A live target is judged on its own
// traffic over SMOKE_SUCCESS_WINDOW, untouched.
func SuccessWindowFor(t harness.TestingT, s *harness.Stack) *harness.Stack {
	t.Helper()
	if s == nil || s.Mode() != harness.Ephemeral {
		return s
	}
	ctx, cancel := context.WithTimeout(context.Background(), SuccessLoad.MaxDuration+settleWait+restoreTimeout)
	defer cancel()
	r, err := SendLoad(ctx, s, SuccessLoad)
	if err != nil {
		t.Logf("synthetic load: %v; %s", err, r)
	} else {
		t.Logf("synthetic load: %s; the success metrics are judged from its start, %s", r, r.Start.UTC().Format(time.RFC3339))
	}
	return s.WithWindowStart(r.Start)
}
