package checks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/smokestack-dev/smokestack/harness"
)

// Checklist lines of "Success Metrics (48-Hour Monitoring)".
const (
	lineSuccessReliability   = "Success Metrics (48-Hour Monitoring), Reliability: error rate <0.1%, circuit breaker trips <5 per day, successful retries >95%"
	lineSuccessObservability = "Success Metrics (48-Hour Monitoring), Observability: metrics collected >1000/hour, traces generated >100/hour, logs structured 100%"
	lineSuccessPerformance   = "Success Metrics (48-Hour Monitoring), Performance: P95 latency HTDAG <200ms, HALO <100ms, AOP <50ms"
	lineSuccessRollout       = "Success Metrics (48-Hour Monitoring), Feature Rollout: Phase 4 deployment progressive (0% -> 100% over 7 days), current rollout % tracked daily"
)

// The checklist's 48-hour targets, and the least evidence each is judged on.
const (
	// MaxErrorRate: server errors (5xx) must stay under 0.1 % of requests.
	MaxErrorRate = 0.001
	// MinRequestsForErrorRate: with fewer requests a window without errors
	// shows nothing about a 0.1 % rate (one error in fewer than 1000 is
	// already over it), so it is NOT JUDGED; errors over the rate fail at
	// any count.
	MinRequestsForErrorRate = 1000
	// MaxBreakerTripsPerDay: fewer than 5 circuit breaker trips a day.
	MaxBreakerTripsPerDay = 5.0
	// MinRetrySuccess: more than 95 % of retries succeed.
	MinRetrySuccess = 0.95
	// MinRetriesJudged: with fewer retries none failing shows nothing about
	// a 95 % share (one failed retry in fewer than 20 is already under it).
	MinRetriesJudged = 20
	// MinSamplesPerHour: more than 1000 samples of the service collected
	// an hour.
	MinSamplesPerHour = 1000.0
	// MinTracesPerHour: more than 100 traces generated an hour.
	MinTracesPerHour = 100.0
	// MinWindowObservations: a stage P95 over fewer observations in the
	// window is not met (as harness budgets: no samples is not met).
	MinWindowObservations = 20
	// Phase4RampDays is the checklist's Phase 4 ramp: 0 % to 100 % in 7 days.
	Phase4RampDays = 7
)

// SuccessMetrics is TestSuccessMetrics (staging, slow): the checklist's
// 48-hour targets, read from Prometheus over SMOKE_SUCCESS_WINDOW (cut to
// the stack's window start, harness.Stack.SuccessWindow), from the
// service's log over the same window, and from the Phase 4 rollout. A
// rate over nothing is NOT JUDGED (too few requests or retries to show
// it); a floor (samples, traces an hour) or a budget over no data FAILS;
// a family the contract requires that is absent from Prometheus FAILS.
// None of them ever passes on no data.
var SuccessMetrics = []Check{
	{Group: successGroup, Name: "error_rate", Component: harness.Prometheus, Part: harness.PartC, Line: lineSuccessReliability, Run: successErrorRate},
	{Group: successGroup, Name: "breaker_trips", Component: harness.Prometheus, Part: harness.PartC, Line: lineSuccessReliability, Run: successBreakerTrips},
	{Group: successGroup, Name: "retry_success", Component: harness.Prometheus, Part: harness.PartC, Line: lineSuccessReliability, Run: successRetries},
	{Group: successGroup, Name: "metrics_ingestion", Component: harness.Prometheus, Part: harness.PartC, Line: lineSuccessObservability, Run: successIngestion},
	{Group: successGroup, Name: "traces_generated", Component: harness.Prometheus, Part: harness.PartC, Line: lineSuccessObservability, Run: successTraces},
	{Group: successGroup, Name: "structured_logs", Component: harness.Genesis, Part: harness.PartC, Line: lineSuccessObservability, Run: successStructuredLogs},
	windowBudget("htdag_p95", "genesis_htdag_decomposition_duration_seconds", "HTDAG", harness.BudgetHTDAG),
	windowBudget("halo_p95", "genesis_halo_routing_duration_seconds", "HALO", harness.BudgetHALO),
	windowBudget("aop_p95", "genesis_aop_validation_duration_seconds", "AOP", harness.BudgetAOP),
	{Group: successGroup, Name: "phase4_rollout_today", Component: harness.Genesis, Part: harness.PartC, Line: lineSuccessRollout, Run: probed(successPhase4)},
}

const successGroup = "TestSuccessMetrics"

// windowProbe reads the success metrics from Prometheus over the window.
type windowProbe struct {
	s    *harness.Stack
	prom harness.PrometheusClient
	at   time.Time // the window's end: every query is evaluated there
	w    time.Duration
	rng  string // the window as a PromQL range: "172800000ms"
	how  string // how the window was set, for messages
}

func newWindowProbe(s *harness.Stack) (windowProbe, error) {
	if err := absent(s, harness.Prometheus); err != nil {
		return windowProbe{}, err
	}
	at := time.Now()
	w, how := s.SuccessWindow(at)
	return windowProbe{s: s, prom: s.Prometheus(), at: at, w: w, rng: promRange(w), how: how}, nil
}

// promRange is d as a PromQL range, in milliseconds ("7470ms").
func promRange(d time.Duration) string { return fmt.Sprintf("%dms", d.Milliseconds()) }

// query evaluates q at the window's end.
func (p windowProbe) query(ctx context.Context, q string) (model.Value, error) {
	return p.prom.QueryAt(ctx, q, p.at)
}

// over is the window in words: "over the last 41s (SMOKE_SUCCESS_WINDOW=5m ...)".
func (p windowProbe) over() string { return fmt.Sprintf("over the last %s (%s)", p.w, p.how) }

// perHour scales a count over the window to one hour.
func (p windowProbe) perHour(n float64) float64 { return n * float64(time.Hour) / float64(p.w) }

// url is the query endpoint; the query itself goes below the headline
// (evidence): the PromQL of a window count is longer than a headline.
func (p windowProbe) url() string { return p.s.URL(harness.Prometheus) + "/api/v1/query" }

func (p windowProbe) fail(q, want, got string, evidence error) error {
	ev := fmt.Errorf("query: %s", q)
	if evidence != nil {
		ev = fmt.Errorf("%w; query: %s", evidence, q)
	}
	return fail("", harness.Prometheus, p.url(), want, got, "", ev)
}

func (p windowProbe) failed(q, want string, err error) error {
	return requestFailed("", harness.Prometheus, p.url(), want, "", fmt.Errorf("query %s: %w", q, err))
}

// value runs a query that answers one number. found is false for an empty
// answer or NaN: no series, or no observation, in the window.
func (p windowProbe) value(ctx context.Context, q string) (v float64, found bool, err error) {
	res, err := p.query(ctx, q)
	if err != nil {
		return 0, false, err
	}
	switch x := res.(type) {
	case model.Vector:
		switch len(x) {
		case 0:
			return 0, false, nil
		case 1:
			v = float64(x[0].Value)
		default:
			return 0, false, fmt.Errorf("query %q answered %d series, want one", q, len(x))
		}
	case *model.Scalar:
		v = float64(x.Value)
	default:
		return 0, false, fmt.Errorf("query %q answered a %s, want a number", q, res.Type())
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false, nil
	}
	return v, true, nil
}

// windowCount is PromQL for how much the counters sel selects grew in the
// window, summed, without increase()'s extrapolation to the window's edges
// (over a short window it adds a third; over 48 hours nothing): a series
// that existed before the window counts from its first sample in it to its
// last (max - min: a counter without a reset only grows), a series born
// inside it counts its whole value (a labelled counter is born by its
// first event, a route's first 5xx, and counts from zero: what a start at
// its first sample would drop), and a series that reset (the service
// restarted) counts by increase(), which follows resets. "Existed before"
// is any sample in the hour (or the window's length, if longer) before the
// window: a target that was down at the window's start does not make its
// series new. Empty when sel selects no series in the window.
func windowCount(sel, rng, before string) string {
	return "sum(" + windowSeries(sel, rng, before) + ")"
}

// windowSeries is windowCount per series: each series of sel is in exactly
// one of the three cases, so their union has one element per series.
func windowSeries(sel, rng, before string) string {
	old := fmt.Sprintf(`last_over_time(%s[%s] offset %s)`, sel, before, rng)
	grown := fmt.Sprintf(`((max_over_time(%[1]s[%[2]s]) - min_over_time(%[1]s[%[2]s])) and %[3]s and (resets(%[1]s[%[2]s]) == 0))`, sel, rng, old)
	reset := fmt.Sprintf(`(increase(%[1]s[%[2]s]) and %[3]s and (resets(%[1]s[%[2]s]) > 0))`, sel, rng, old)
	born := fmt.Sprintf(`(last_over_time(%s[%s]) unless %s)`, sel, rng, old)
	return grown + " or " + reset + " or " + born
}

// before is how far before the window a series must have a sample to
// count as older than it: an hour, or the window's length if longer.
func (p windowProbe) before() string {
	return promRange(max(p.w, time.Hour))
}

// count reads a windowCount; found is false when no series exists in the window.
func (p windowProbe) count(ctx context.Context, sel string) (q string, n float64, found bool, err error) {
	q = windowCount(sel, p.rng, p.before())
	n, found, err = p.value(ctx, q)
	return q, math.Max(0, n), found, err
}

// ---- reliability ----------------------------------------------------------------

// requestsSel are the service's requests, without Prometheus's own scrapes
// of /metrics: a monitoring poll every few seconds is not traffic, and on a
// quiet deployment it would dilute the error rate it is there to watch.
const requestsSel = `genesis_http_requests_total{route!="/metrics"}`

func successErrorRate(ctx context.Context, s *harness.Stack) error {
	p, err := newWindowProbe(s)
	if err != nil {
		return err
	}
	want := fmt.Sprintf("server errors (5xx) under %g%% of requests %s", 100*MaxErrorRate, p.over())
	qAll, total, found, err := p.count(ctx, requestsSel)
	if err != nil {
		return p.failed(qAll, want, err)
	}
	if !found {
		return p.fail(qAll, want, "no genesis_http_requests_total series in the window: Prometheus did not collect the service's request counter", targetErrors(ctx, s))
	}
	q5, errs, _, err := p.count(ctx, `genesis_http_requests_total{route!="/metrics",code=~"5.."}`)
	if err != nil {
		return p.failed(q5, want, err)
	}
	// No 5xx series at all: the service never answered one, 0 errors.
	share := 0.0
	if total > 0 {
		share = errs / total
	}
	Notef(ctx, "error rate %.3f%%: %.0f server errors in %.0f requests %s (target < %g%%)", 100*share, errs, total, p.over(), 100*MaxErrorRate)
	if total > 0 && share >= MaxErrorRate {
		return p.fail(q5, want, fmt.Sprintf("error rate %.3f%% (%.0f server errors in %.0f requests) >= %g%%", 100*share, errs, total, 100*MaxErrorRate),
			fmt.Errorf("5xx by route: %s", p.byLabel(ctx, `genesis_http_requests_total{route!="/metrics",code=~"5.."}`, "route")))
	}
	if math.Round(total) < MinRequestsForErrorRate {
		return CannotJudge("only %.0f requests %s and none answered 5xx: fewer than %d cannot show an error rate under %g%% (one error would already be over it); judge a longer window (%s)",
			total, p.over(), MinRequestsForErrorRate, 100*MaxErrorRate, harness.Env.SuccessWindow)
	}
	return nil
}

// byLabel lists how much sel grew in the window per value of label, for
// evidence ("route=/orchestrate/run: 7"); a failed read says so.
func (p windowProbe) byLabel(ctx context.Context, sel, label string) string {
	q := fmt.Sprintf(`sum by (%s) (%s) > 0`, label, windowSeries(sel, p.rng, p.before()))
	res, err := p.query(ctx, q)
	if err != nil {
		return "unreadable: " + shortErr(err)
	}
	vec, _ := res.(model.Vector)
	var out []string
	for _, smp := range vec {
		out = append(out, fmt.Sprintf("%s=%s: %.0f", label, smp.Metric[model.LabelName(label)], float64(smp.Value)))
	}
	if len(out) == 0 {
		return "none"
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

func successBreakerTrips(ctx context.Context, s *harness.Stack) error {
	p, err := newWindowProbe(s)
	if err != nil {
		return err
	}
	const sel = "genesis_circuit_breaker_trips_total"
	want := fmt.Sprintf("fewer than %g circuit breaker trips a day %s", MaxBreakerTripsPerDay, p.over())
	q, trips, found, err := p.count(ctx, sel)
	if err != nil {
		return p.failed(q, want, err)
	}
	if !found {
		// The service shows each breaker's counter at 0 from the breaker's
		// creation: without it, a quiet window and a counter nobody
		// exports look the same, and "fewer than 5" cannot be shown.
		breakers := "unreadable"
		if n, ok, err := p.value(ctx, "count(genesis_circuit_breaker_state)"); err == nil {
			breakers = fmt.Sprintf("%.0f", n)
			if !ok {
				breakers = "no"
			}
		}
		return p.fail(q, want, fmt.Sprintf("no %s series in the window (%s breakers in genesis_circuit_breaker_state): the trips are not counted, so fewer than %g a day cannot be shown",
			sel, breakers, MaxBreakerTripsPerDay), nil)
	}
	perDay := trips * float64(24*time.Hour) / float64(p.w)
	Notef(ctx, "circuit breaker trips: %.0f %s = %.1f a day (target < %g)", trips, p.over(), perDay, MaxBreakerTripsPerDay)
	if perDay >= MaxBreakerTripsPerDay {
		return p.fail(q, want, fmt.Sprintf("%.0f trips %s = %.1f a day >= %g", trips, p.over(), perDay, MaxBreakerTripsPerDay),
			fmt.Errorf("trips by breaker: %s", p.byLabel(ctx, sel, "breaker")))
	}
	return nil
}

func successRetries(ctx context.Context, s *harness.Stack) error {
	p, err := newWindowProbe(s)
	if err != nil {
		return err
	}
	want := fmt.Sprintf("more than %g%% of retries succeeding %s", 100*MinRetrySuccess, p.over())
	qs, ok, foundS, err := p.count(ctx, `genesis_retries_total{outcome="success"}`)
	if err != nil {
		return p.failed(qs, want, err)
	}
	qf, bad, foundF, err := p.count(ctx, `genesis_retries_total{outcome="failure"}`)
	if err != nil {
		return p.failed(qf, want, err)
	}
	if !foundS && !foundF {
		return p.fail(qs, want, `no genesis_retries_total{outcome="success"|"failure"} series in the window: the retries are not counted, so their success cannot be shown`, nil)
	}
	n := ok + bad
	share := 1.0
	if n > 0 {
		share = ok / n
	}
	Notef(ctx, "retries: %.0f of %.0f succeeded (%.1f%%) %s (target > %g%%)", ok, n, 100*share, p.over(), 100*MinRetrySuccess)
	if n > 0 && share <= MinRetrySuccess {
		return p.fail(qf, want, fmt.Sprintf("%.1f%% of %.0f retries succeeded (%.0f succeeded, %.0f failed) <= %g%%", 100*share, n, ok, bad, 100*MinRetrySuccess), nil)
	}
	if math.Round(n) < MinRetriesJudged {
		return CannotJudge("only %.0f retries %s and none failed: fewer than %d cannot show more than %g%% succeeding (one failed retry would already be under it); retries happen only when an upstream fails transiently",
			n, p.over(), MinRetriesJudged, 100*MinRetrySuccess)
	}
	return nil
}

// ---- observability --------------------------------------------------------------

// genesisJobs are the scrape jobs that collected the service in the window,
// found by its genesis_build_info series, as a PromQL regular expression.
func (p windowProbe) genesisJobs(ctx context.Context) (q string, jobs []string, err error) {
	q = fmt.Sprintf(`count by (job) (last_over_time(genesis_build_info[%s]))`, p.rng)
	res, err := p.query(ctx, q)
	if err != nil {
		return q, nil, err
	}
	vec, _ := res.(model.Vector)
	for _, smp := range vec {
		jobs = append(jobs, string(smp.Metric["job"]))
	}
	sort.Strings(jobs)
	return q, jobs, nil
}

func jobsRegexp(jobs []string) string {
	quoted := make([]string, len(jobs))
	for i, j := range jobs {
		quoted[i] = regexp.QuoteMeta(j)
	}
	return strings.Join(quoted, "|")
}

func successIngestion(ctx context.Context, s *harness.Stack) error {
	p, err := newWindowProbe(s)
	if err != nil {
		return err
	}
	want := fmt.Sprintf("more than %g samples of the service collected an hour %s", MinSamplesPerHour, p.over())
	qj, jobs, err := p.genesisJobs(ctx)
	if err != nil {
		return p.failed(qj, want, err)
	}
	if len(jobs) == 0 {
		return p.fail(qj, want, "0 samples an hour: no genesis series collected in the window (genesis_build_info absent: the service's scrapes fail, or nothing scrapes it)", targetErrors(ctx, s))
	}
	q := fmt.Sprintf(`sum(sum_over_time(scrape_samples_post_metric_relabeling{job=~%q}[%s]))`, jobsRegexp(jobs), p.rng)
	n, found, err := p.value(ctx, q)
	if err != nil {
		return p.failed(q, want, err)
	}
	if !found {
		return p.fail(q, want, fmt.Sprintf("0 samples an hour: no scrape of job %s in the window", strings.Join(jobs, ", ")), targetErrors(ctx, s))
	}
	perHour := p.perHour(n)
	Notef(ctx, "metrics collected: %.0f samples of job %s %s = %.0f an hour (target > %g)", n, strings.Join(jobs, ", "), p.over(), perHour, MinSamplesPerHour)
	if perHour <= MinSamplesPerHour {
		return p.fail(q, want, fmt.Sprintf("%.0f samples of job %s collected %s = %.0f an hour <= %g", n, strings.Join(jobs, ", "), p.over(), perHour, MinSamplesPerHour), targetErrors(ctx, s))
	}
	return nil
}

// orchestrationSel are the requests that each make one trace (CONTRACT.md:
// one trace per orchestration request, with spans for htdag, halo, aop and
// each agent execution).
const orchestrationSel = `genesis_http_requests_total{route=~"/orchestrate/.+"}`

// successTraces counts the traces generated as the orchestration requests
// served (one trace each, by the contract), and confirms they left the
// service: genesis_spans_exported_total, the spans the OTLP endpoint
// accepted, must have grown at least as much, since every trace has at
// least its server span. There is no trace backend to count traces in.
func successTraces(ctx context.Context, s *harness.Stack) error {
	p, err := newWindowProbe(s)
	if err != nil {
		return err
	}
	want := fmt.Sprintf("more than %g traces generated an hour (one per orchestration request), each exported (genesis_spans_exported_total growing at least as much) %s", MinTracesPerHour, p.over())
	qr, traces, _, err := p.count(ctx, orchestrationSel)
	if err != nil {
		return p.failed(qr, want, err)
	}
	qs, spans, foundSpans, err := p.count(ctx, "genesis_spans_exported_total")
	if err != nil {
		return p.failed(qs, want, err)
	}
	perHour := p.perHour(traces)
	if foundSpans {
		Notef(ctx, "traces: %.0f orchestration requests (one trace each) %s = %.0f an hour (target > %g); %.0f spans exported", traces, p.over(), perHour, MinTracesPerHour, spans)
	}
	switch {
	case perHour <= MinTracesPerHour:
		return p.fail(qr, want, fmt.Sprintf("%.0f traces generated %s = %.1f an hour <= %g (%.0f orchestration requests)", traces, p.over(), perHour, MinTracesPerHour, traces), nil)
	case !foundSpans:
		return p.fail(qs, want, "no genesis_spans_exported_total series in the window: no span export is counted, so the traces cannot be shown to leave the service", nil)
	case spans < traces:
		return p.fail(qs, want, fmt.Sprintf("%.0f traces generated but only %.0f spans exported %s (every trace has at least one span): traces are not reaching the trace backend (OTEL_EXPORTER_OTLP_ENDPOINT, the otel_enabled flag)", traces, spans, p.over()), nil)
	}
	return nil
}

// logFields are the fields every structured log line carries (CONTRACT.md:
// one JSON object per line with timestamp, level, logger, message, ...;
// the request ids only on lines about a request).
var logFields = []string{"timestamp", "level", "message"}

// successStructuredLogs reads the service's log over the window (from its
// container: ephemeral, or live with SMOKE_CONTAINERS=genesis=NAME) and
// wants every line a JSON object with a timestamp, a level and a message.
func successStructuredLogs(ctx context.Context, s *harness.Stack) error {
	pr, err := newProbe(s)
	if err != nil {
		return err
	}
	now := time.Now()
	w, how := s.SuccessWindow(now)
	over := fmt.Sprintf("over the last %s (%s)", w, how)
	want := fmt.Sprintf("every log line a JSON object with %s %s", strings.Join(logFields, ", "), over)
	var total, plain int
	var first string
	err = s.ScanLogs(ctx, harness.Genesis, now.Add(-w), func(line []byte) bool {
		if len(strings.TrimSpace(string(line))) == 0 {
			return true
		}
		total++
		if problem := logLineProblem(line); problem != "" {
			plain++
			if first == "" {
				first = problem + ": " + excerptAround(harness.RedactText(string(line)), "")
			}
		}
		return true
	})
	var unavailable *harness.LogsUnavailableError
	switch {
	case errors.As(err, &unavailable):
		return CannotJudge("the service's log cannot be read, so its lines cannot be counted: %s", unavailable.Reason)
	case err != nil && ctx.Err() != nil:
		return CannotJudge("the check's deadline ended before the window's log (%d lines read) was read to the end: %v", total, err)
	case err != nil:
		return CannotJudge("the service's log could not be read to the end (%d lines read): %v", total, err)
	}
	if total == 0 {
		return CannotJudge("the service wrote no log line %s: no share of structured lines to judge", over)
	}
	Notef(ctx, "structured logs: %d of %d lines (%.1f%%) %s (target 100%%)", total-plain, total, 100*float64(total-plain)/float64(total), over)
	if plain > 0 {
		return pr.fail("", want, fmt.Sprintf("%d of %d log lines (%.1f%%) not structured %s", plain, total, 100*float64(plain)/float64(total), over),
			fmt.Errorf("first: %s", first))
	}
	return nil
}

// logLineProblem says why a log line is not structured ("" when it is).
func logLineProblem(line []byte) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil {
		return "not JSON"
	}
	var missing []string
	for _, f := range logFields {
		var v string
		if raw, ok := m[f]; !ok || json.Unmarshal(raw, &v) != nil || v == "" {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return "JSON without " + strings.Join(missing, ", ")
	}
	return ""
}

// ---- performance ----------------------------------------------------------------

// windowBudget judges a stage's budget on the service's own histogram over
// the window (server side: what the deployment served, not a sample the
// suite timed), with histogram_quantile over the rate of its buckets.
func windowBudget(name, family, stage string, b harness.Budget) Check {
	return Check{Group: successGroup, Name: name, Component: harness.Prometheus, Part: harness.PartC, Line: lineSuccessPerformance,
		Run: func(ctx context.Context, s *harness.Stack) error {
			p, err := newWindowProbe(s)
			if err != nil {
				return err
			}
			want := fmt.Sprintf("%s %s on %s %s", stage, b.Source, family, p.over())
			qn, n, found, err := p.count(ctx, family+"_count")
			if err != nil {
				return p.failed(qn, want, err)
			}
			if !found {
				return p.fail(qn, want, fmt.Sprintf("no %s series in the window: the budget is not met on no data", family), nil)
			}
			if math.Round(n) < MinWindowObservations {
				return p.fail(qn, want, fmt.Sprintf("only %.0f %s observations %s: a budget over fewer than %d is not met", n, stage, p.over(), MinWindowObservations), nil)
			}
			q := fmt.Sprintf(`histogram_quantile(%g, sum by (le) (rate(%s_bucket[%s])))`, b.Percentile/100, family, p.rng)
			v, found, err := p.value(ctx, q)
			if err != nil {
				return p.failed(q, want, err)
			}
			if !found {
				return p.fail(q, want, fmt.Sprintf("no %s quantile from %s_bucket although %.0f observations were counted", stage, family, n), nil)
			}
			got := time.Duration(v * float64(time.Second))
			Notef(ctx, "%s p(%g)=%s over %.0f observations %s (budget %s)", stage, b.Percentile, got.Round(100*time.Microsecond), n, p.over(), b.Source)
			if got > b.Limit || (got == b.Limit && !b.OrEqual) {
				return p.fail(q, want, fmt.Sprintf("%s p(%g)=%s over %.0f observations, over the budget %s", stage, b.Percentile, got.Round(time.Millisecond), n, b.Source), nil)
			}
			return nil
		}}
}

// ---- feature rollout ------------------------------------------------------------

// successPhase4 reads the Phase 4 rollout for the day: active and
// consistent (as TestFeatureFlags/phase4_rollout judges it), and the
// checklist's ramp, 0 % to 100 % over 7 days; the day's percentage is
// reported.
func successPhase4(ctx context.Context, p probe) error {
	want := fmt.Sprintf("Phase 4 progressive from 0%% to 100%% over %d days, active, current_percentage on that ramp today", Phase4RampDays)
	r, resp, err := p.rollout(ctx, Phase4Flag, want)
	if err != nil {
		return err
	}
	now := time.Now()
	problems := judgeRollout(r, now)
	if r.InitialPercentage != nil && *r.InitialPercentage != 0 {
		problems = append(problems, fmt.Sprintf("initial_percentage %g, not 0", *r.InitialPercentage))
	}
	if r.EndPercentage != nil && *r.EndPercentage != 100 {
		problems = append(problems, fmt.Sprintf("end_percentage %g, not 100", *r.EndPercentage))
	}
	start, serr := parseISO(r.StartDate)
	end, eerr := parseISO(r.EndDate)
	if serr == nil && eerr == nil {
		// Whole days, allowing an hour either way for a daylight-saving
		// change or a ramp set by hand.
		if d := end.Sub(start); math.Abs(float64(d-Phase4RampDays*24*time.Hour)) > float64(time.Hour) {
			problems = append(problems, fmt.Sprintf("a ramp of %.1f days (start_date %s, end_date %s), not %d days", d.Hours()/24, r.StartDate, r.EndDate, Phase4RampDays))
		}
		if r.CurrentPercentage != nil {
			day := int(now.Sub(start)/(24*time.Hour)) + 1
			Notef(ctx, "Phase 4 rollout today: %g%% (phase %s, day %d of %d, from %s to %s)", *r.CurrentPercentage, r.Phase, day, Phase4RampDays, r.StartDate, r.EndDate)
		}
	}
	return p.failProblems(rolloutPath(Phase4Flag), want, problems, resp)
}
