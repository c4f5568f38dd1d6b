package checks

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/smokestack-dev/smokestack/harness"
)

// Checklist lines of the trace half of "Observability Validation".
const (
	lineTraces = "Observability Validation: OTEL stack collecting — traces received in the trace backend: " +
		"one trace per orchestration request, htdag, halo, aop and each agent execution under the request's span (CONTRACT.md: Traces)"
	lineCorrelation = "Observability Validation: correlation ids — one X-Correlation-Id followed through the answer, " +
		"the service's log line and its trace"
)

// Traces are the trace checks of TestObservability (staging): the
// service's traces reach the trace backend whole, and a correlation id a
// client sends can be followed from the answer to the log and the trace.
// They read Jaeger's query API (ephemeral: the stack's Jaeger; live:
// SMOKE_JAEGER_URL): without a trace backend they are NOT APPLICABLE, naming
// why, never passed.
var Traces = []Check{
	// A run executes agents (like orchestration_run): a mutation.
	{Group: observabilityGroup, Name: "traces_received", Component: harness.Jaeger, Part: harness.PartC, Line: lineTraces,
		Mutates: true, Run: probed(tracesReceived)},
	{Group: observabilityGroup, Name: "correlation_followed", Component: harness.Jaeger, Part: harness.PartB, Line: lineCorrelation,
		Run: probed(correlationFollowed)},
}

// The trace checks' bounds: a span reaches Jaeger after the service's batch
// (1 s in the reference service, 5 s by the OpenTelemetry default) and the
// collector's (200 ms); the checks poll for it until the configured trace
// wait (harness.Timeouts.Trace, SMOKE_TRACE_WAIT) has passed or the check's
// deadline is near.
const (
	tracePoll     = 300 * time.Millisecond
	traceReserve  = 1500 * time.Millisecond // kept from the check's deadline to report
	logWait       = 3 * time.Second
	spanFitMargin = int64(1000) // µs: a child may start or end this much outside its parent (rounding)
)

// traceRequest is the run traces_received sends: a few tasks, each executed.
const traceRequest = "Design, build and test a small page for team notes"

// stages are the pipeline stages every run's trace must show under the
// request's span, found by the words their span names carry (the contract
// names the stages, not the spans: the reference service calls them
// htdag.decompose, halo.route, aop.validate and agent.execute).
var stages = []struct{ key, what string }{
	{"htdag", "HTDAG decomposition"},
	{"halo", "HALO routing"},
	{"aop", "AOP validation"},
}

// agentStage is the word of the agent executions' spans.
const agentStage = "agent"

// traceparent is a W3C traceparent the suite sends with the sampled flag,
// so that a service sampling by its parent keeps the trace; the span id is
// the suite's (never exported), the parent of the service's root span.
func traceparent() (header, traceID, spanID string) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	b[0] |= 1 // never all zero
	traceID, spanID = hex.EncodeToString(b[:16]), hex.EncodeToString(b[16:])
	return "00-" + traceID + "-" + spanID + "-01", traceID, spanID
}

// traceDeadline is how long a check may wait for a trace: the configured
// wait, or less when the check's deadline is nearer.
func traceDeadline(ctx context.Context, wait time.Duration) time.Time {
	end := time.Now().Add(wait)
	if d, ok := ctx.Deadline(); ok && d.Add(-traceReserve).Before(end) {
		end = d.Add(-traceReserve)
	}
	return end
}

// sleepUntilNext waits one poll, and reports false when the next poll
// would pass end (or ctx is done).
func sleepUntilNext(ctx context.Context, end time.Time) bool {
	if time.Now().Add(tracePoll).After(end) {
		return false
	}
	select {
	case <-ctx.Done():
		return false
	case <-time.After(tracePoll):
		return true
	}
}

// traceURL is the query API address of a trace, for failures.
func traceURL(s *harness.Stack, id string) string { return s.URL(harness.Jaeger) + "/api/traces/" + id }

// pollTrace reads the trace until judge finds nothing wrong with it or
// the wait is over, and returns the last trace read (nil: never found) and
// what judge said of it. A query API that answers with an error ends the
// wait at once.
func pollTrace(ctx context.Context, s *harness.Stack, id string, judge func(*harness.JaegerTrace) []string) (*harness.JaegerTrace, []string, time.Duration, error) {
	j := s.Jaeger()
	start := time.Now()
	end := traceDeadline(ctx, s.Config().Timeouts.Trace)
	for {
		trRep, err := harness.Done(j.Trace(ctx, id))
		if err != nil {
			return nil, nil, time.Since(start), err
		}
		tr := trRep.Data
		var problems []string
		if tr != nil {
			problems = judge(tr)
		}
		if tr != nil && len(problems) == 0 {
			return tr, nil, time.Since(start), nil
		}
		if !sleepUntilNext(ctx, end) {
			return tr, problems, time.Since(start), nil
		}
	}
}

// ---- traces_received ----------------------------------------------------------------

// tracesReceived sends one run (the whole pipeline, agents executing) with
// a sampled traceparent and wants its trace, by the answer's
// metadata.trace_id, in the trace backend within the wait: one root, the
// request's span; under it a span of each stage (HTDAG, HALO, AOP) and one
// per agent execution (at least as many as tasks completed); every span
// within its parent's time.
func tracesReceived(ctx context.Context, p probe) error {
	s := p.s
	tp, sentTrace, sentSpan := traceparent()
	h := harness.OrchestrationHeaders()
	h.Set("traceparent", tp)
	// No X-Correlation-Id of its own: as a mutating check its requests
	// carry the drill's (harness.WithDrill), so the errors a refused run
	// logs are known as the suite's own to the log checks.
	want := "status 200 with a W3C metadata.trace_id (the run's trace)"
	rep, err := harness.PostEnvelope[harness.Run](ctx, p.g, pathRun, harness.DecomposeRequest{UserRequest: traceRequest}, h)
	if err := traced(p, pathRun, want, rep, err); err != nil {
		return err
	}
	id := rep.Metadata.TraceID
	completed := 0
	if results, err := rep.Data.TaskResults(); err == nil {
		for _, r := range results {
			if r.Status == "completed" {
				completed++
			}
		}
	}
	tr, problems, waited, err := pollTrace(ctx, s, id, func(tr *harness.JaegerTrace) []string {
		return judgeRunTrace(tr, sentSpan, completed)
	})
	wantTrace := fmt.Sprintf("trace %s of POST %s in the trace backend within %s: one root span (the request's), under it a span of each of %s and one per agent execution (%d tasks completed), each span within its parent's time",
		id, pathRun, s.Config().Timeouts.Trace, stageList(), completed)
	if err != nil {
		return fail("", harness.Jaeger, traceURL(s, id), wantTrace, "the query API failed", "", err)
	}
	if tr == nil {
		return fail("", harness.Jaeger, traceURL(s, id), wantTrace, fmt.Sprintf("trace %s not found after %s", id, waited.Round(100*time.Millisecond)),
			"", traceNotFoundEvidence(ctx, s, id, sentTrace))
	}
	if len(problems) > 0 {
		return fail("", harness.Jaeger, traceURL(s, id), wantTrace, problemsText(problems),
			"", fmt.Errorf("after %s, the trace's spans: %s", waited.Round(100*time.Millisecond), spanList(tr, sentSpan)))
	}
	return nil
}

// stageList names the stages a run's trace must show.
func stageList() string {
	var names []string
	for _, st := range stages {
		names = append(names, st.what)
	}
	return strings.Join(names, ", ")
}

// judgeRunTrace lists what is wrong with a run's trace: more or fewer than
// one root (a span whose parent is not in the trace, other than the
// suite's own span from the traceparent), a stage without a span under the
// root, fewer agent execution spans than tasks completed, a span outside
// its parent's time.
func judgeRunTrace(tr *harness.JaegerTrace, suiteSpan string, completed int) []string {
	var problems []string
	byID := map[string]harness.JaegerSpan{}
	for _, sp := range tr.Spans {
		byID[sp.SpanID] = sp
	}
	var roots, orphans []harness.JaegerSpan
	for _, sp := range tr.Spans {
		parent := sp.ParentID()
		if _, ok := byID[parent]; ok {
			continue
		}
		if parent == "" || strings.EqualFold(parent, suiteSpan) {
			roots = append(roots, sp)
		} else {
			orphans = append(orphans, sp)
		}
	}
	switch {
	case len(roots) == 0:
		problems = append(problems, "no root span (none without a parent, none a child of the traceparent sent)")
	case len(roots) > 1:
		var names []string
		for _, r := range roots {
			names = append(names, fmt.Sprintf("%q", r.OperationName))
		}
		problems = append(problems, fmt.Sprintf("%d root spans (%s), want one: the request's", len(roots), strings.Join(names, ", ")))
	}
	for _, o := range orphans {
		problems = append(problems, fmt.Sprintf("span %q has parent %s, which is not in the trace (a second root)", o.OperationName, o.ParentID()))
	}
	under := func(sp harness.JaegerSpan) bool {
		if len(roots) != 1 {
			return false
		}
		for seen := 0; seen <= len(tr.Spans); seen++ {
			parent, ok := byID[sp.ParentID()]
			if !ok {
				return false
			}
			if parent.SpanID == roots[0].SpanID {
				return true
			}
			sp = parent
		}
		return false
	}
	named := func(key string) (all, rooted int) {
		for _, sp := range tr.Spans {
			if strings.Contains(strings.ToLower(sp.OperationName), key) {
				all++
				if under(sp) {
					rooted++
				}
			}
		}
		return
	}
	for _, st := range stages {
		if all, rooted := named(st.key); rooted == 0 {
			if all == 0 {
				problems = append(problems, fmt.Sprintf("no %s span (no span named with %q)", st.key, st.key))
			} else {
				problems = append(problems, fmt.Sprintf("the %s span is not under the root span", st.key))
			}
		}
	}
	if _, rooted := named(agentStage); rooted < completed {
		problems = append(problems, fmt.Sprintf("%d agent execution spans under the root span, want one per completed task (%d)", rooted, completed))
	}
	for _, sp := range tr.Spans {
		parent, ok := byID[sp.ParentID()]
		if !ok {
			continue
		}
		switch {
		case sp.StartTime < parent.StartTime-spanFitMargin:
			problems = append(problems, fmt.Sprintf("span %q starts %s before its parent %q", sp.OperationName,
				micros(parent.StartTime-sp.StartTime), parent.OperationName))
		case sp.End() > parent.End()+spanFitMargin:
			problems = append(problems, fmt.Sprintf("span %q ends %s after its parent %q", sp.OperationName,
				micros(sp.End()-parent.End()), parent.OperationName))
		}
	}
	return problems
}

func micros(us int64) time.Duration {
	return (time.Duration(us) * time.Microsecond).Round(time.Microsecond)
}

// spanList describes a trace's spans for a failure: name, parent, time;
// suiteSpan is the span id of the traceparent the suite sent.
func spanList(tr *harness.JaegerTrace, suiteSpan string) string {
	names := map[string]string{}
	for _, sp := range tr.Spans {
		names[sp.SpanID] = sp.OperationName
	}
	spans := append([]harness.JaegerSpan(nil), tr.Spans...)
	sort.SliceStable(spans, func(i, j int) bool { return spans[i].StartTime < spans[j].StartTime })
	var out []string
	for i, sp := range spans {
		if i == 12 {
			out = append(out, fmt.Sprintf("and %d more", len(spans)-i))
			break
		}
		parent := "root"
		if n, ok := names[sp.ParentID()]; ok {
			parent = "under " + n
		} else if strings.EqualFold(sp.ParentID(), suiteSpan) {
			parent = "root, under the traceparent sent"
		} else if sp.ParentID() != "" {
			parent = "parent " + sp.ParentID() + " not in the trace"
		}
		out = append(out, fmt.Sprintf("%s (%s, %s)", sp.OperationName, parent, micros(sp.Duration)))
	}
	service := ""
	for _, p := range tr.Processes {
		service = p.ServiceName
	}
	return fmt.Sprintf("%d spans of service %q: %s", len(tr.Spans), service, strings.Join(out, "; "))
}

// traceNotFoundEvidence says what the trace backend does have, so a
// failure tells "nothing arrives" from "arrives under another id".
func traceNotFoundEvidence(ctx context.Context, s *harness.Stack, id, sent string) error {
	var notes []string
	if !harness.SameTraceID(id, sent) {
		notes = append(notes, fmt.Sprintf("the service answered trace id %s, not the %s of the traceparent sent", id, sent))
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	if services, err := harness.Done(s.Jaeger().Services(ctx)); err == nil {
		notes = append(notes, fmt.Sprintf("services with spans in the trace backend: %v", *services.Data))
	}
	notes = append(notes, "next: is OTEL_EXPORTER_OTLP_ENDPOINT the backend's OTLP/HTTP address, do the service's exports succeed (/health components.otel), does a collector in between drop them?")
	return errors.New(strings.Join(notes, "; "))
}

// ---- correlation_followed ----------------------------------------------------------

// correlationFollowed sends one decomposition with its own X-Correlation-Id
// (and a sampled traceparent) and follows the id: in the answer (the
// X-Correlation-Id header, or the body), in a line of the service's log that
// also carries the answer's trace id, and as an attribute of a span of that
// trace in the trace backend. CONTRACT.md lists X-Correlation-Id as a
// request header and correlation_id as a log field; it names no span
// attribute, so any attribute whose value is the id counts (the reference
// service's is correlation_id). The log needs the service's container
// (ephemeral, or live SMOKE_CONTAINERS=genesis=NAME): without it the check
// is NOT JUDGED, unless the answer or the trace already fails it.
func correlationFollowed(ctx context.Context, p probe) error {
	s := p.s
	tp, _, _ := traceparent()
	corr := "smokestack-correlation-" + harness.NewIdempotencyKey()
	h := harness.OrchestrationHeaders()
	h.Set("traceparent", tp)
	h.Set("X-Correlation-Id", corr)
	began := time.Now()
	want := "status 200 with a W3C metadata.trace_id"
	rep, err := harness.PostEnvelope[harness.Decomposition](ctx, p.g, pathDecompose, harness.DecomposeRequest{UserRequest: simpleRequest}, h)
	if err := traced(p, pathDecompose, want, rep, err); err != nil {
		return err
	}
	id := rep.Metadata.TraceID
	wantAll := fmt.Sprintf("the X-Correlation-Id sent (%s) in the answer, in a line of the service's log with trace_id %s, and on a span of trace %s in the trace backend",
		corr, id, id)

	type miss struct {
		comp harness.Component
		url  string
		what string
	}
	var misses []miss
	if got := rep.Resp.Header.Get("X-Correlation-Id"); got != corr && !bytes.Contains(rep.Resp.Body, []byte(corr)) {
		misses = append(misses, miss{harness.Genesis, p.base + pathDecompose,
			fmt.Sprintf("answer: X-Correlation-Id header %q and a body without the id sent", got)})
	}

	logWhy, logMiss := followInLog(ctx, s, began, corr, id)
	if logMiss != "" {
		misses = append(misses, miss{harness.Genesis, "log of container " + s.ContainerNames()[harness.Genesis], "log: " + logMiss})
	}

	tr, problems, waited, err := pollTrace(ctx, s, id, func(tr *harness.JaegerTrace) []string {
		if _, ok := spanWithValue(tr, corr); ok {
			return nil
		}
		return []string{"no span carries it"}
	})
	switch {
	case err != nil:
		misses = append(misses, miss{harness.Jaeger, traceURL(s, id), "trace: the query API failed: " + err.Error()})
	case tr == nil:
		misses = append(misses, miss{harness.Jaeger, traceURL(s, id), fmt.Sprintf("trace: trace %s not found after %s", id, waited.Round(100*time.Millisecond))})
	case len(problems) > 0:
		misses = append(misses, miss{harness.Jaeger, traceURL(s, id), fmt.Sprintf("trace: no span of trace %s carries the id as an attribute (root span's attributes: %s)",
			id, rootTags(tr))})
	}
	if len(misses) > 0 {
		var got []string
		for _, m := range misses {
			got = append(got, m.what)
		}
		var ev error
		if logWhy != "" {
			ev = errors.New("the log was not read: " + logWhy)
		}
		return fail("", misses[0].comp, misses[0].url, wantAll, strings.Join(got, "; "), "", ev)
	}
	if logWhy != "" {
		return CannotJudge("the answer and trace %s carry the correlation id sent, but the service's log cannot be read to follow it there: %s", id, logWhy)
	}
	return nil
}

// followInLog looks for a line of the service's log, written since began,
// that carries the correlation id and the trace id: as a JSON object's
// correlation_id and trace_id (CONTRACT.md's fields), or as text. It waits
// up to logWait for the line. why says why the log could not be read
// (NOT JUDGED); miss what was wrong with it.
func followInLog(ctx context.Context, s *harness.Stack, began time.Time, corr, traceID string) (why, miss string) {
	end := time.Now().Add(logWait)
	since := began.Add(-logClockMargin)
	for {
		var carrying, others []string
		found := false
		err := s.ScanLogs(ctx, harness.Genesis, since, func(line []byte) bool {
			if !bytes.Contains(line, []byte(corr)) {
				// A line of this request's trace under another correlation id
				// says where the id was lost.
				var fields struct {
					CorrelationID string `json:"correlation_id"`
				}
				if bytes.Contains(line, []byte(traceID)) && json.Unmarshal(line, &fields) == nil && len(others) < 3 {
					others = append(others, fmt.Sprintf("%q", fields.CorrelationID))
				}
				return true
			}
			var fields struct {
				CorrelationID string `json:"correlation_id"`
				TraceID       string `json:"trace_id"`
			}
			if json.Unmarshal(line, &fields) == nil {
				if fields.CorrelationID == corr && harness.SameTraceID(fields.TraceID, traceID) {
					found = true
					return false
				}
				carrying = append(carrying, fmt.Sprintf("correlation_id %q trace_id %q", fields.CorrelationID, fields.TraceID))
				return true
			}
			if bytes.Contains(line, []byte(traceID)) {
				found = true
				return false
			}
			carrying = append(carrying, fmt.Sprintf("a text line without the trace id: %.160s", line))
			return true
		})
		var unavailable *harness.LogsUnavailableError
		switch {
		case errors.As(err, &unavailable):
			return unavailable.Reason, ""
		case err != nil && ctx.Err() != nil:
			return fmt.Sprintf("the check's deadline ended while the log was read (%v)", err), ""
		case err != nil:
			return fmt.Sprintf("the log could not be read (%v)", err), ""
		case found:
			return "", ""
		}
		if !sleepUntilNext(ctx, end) {
			if len(carrying) == 0 {
				miss := fmt.Sprintf("no line of the service's log since %s carries the correlation id", since.UTC().Format(time.RFC3339Nano))
				if len(others) > 0 {
					miss += fmt.Sprintf(" (lines with trace_id %s carry correlation_id %s instead)", traceID, strings.Join(others, ", "))
				}
				return "", miss
			}
			if len(carrying) > 3 {
				carrying = append(carrying[:3], fmt.Sprintf("and %d more", len(carrying)-3))
			}
			return "", fmt.Sprintf("%d log lines carry the correlation id, none with trace_id %s: %s", len(carrying), traceID, strings.Join(carrying, "; "))
		}
	}
}

// spanWithValue finds a span with an attribute whose value is v.
func spanWithValue(tr *harness.JaegerTrace, v string) (string, bool) {
	for _, sp := range tr.Spans {
		for _, t := range sp.Tags {
			if fmt.Sprint(t.Value) == v {
				return sp.OperationName + " " + t.Key, true
			}
		}
	}
	return "", false
}

// rootTags lists the attributes of the trace's first root span.
func rootTags(tr *harness.JaegerTrace) string {
	ids := map[string]bool{}
	for _, sp := range tr.Spans {
		ids[sp.SpanID] = true
	}
	for _, sp := range tr.Spans {
		if ids[sp.ParentID()] {
			continue
		}
		var tags []string
		for _, t := range sp.Tags {
			tags = append(tags, fmt.Sprintf("%s=%v", t.Key, t.Value))
		}
		return fmt.Sprintf("%q: %s", sp.OperationName, strings.Join(tags, ", "))
	}
	return "none"
}

// traced is answered for a POST whose answer must carry its trace: a 2xx
// without a W3C metadata.trace_id fails too.
func traced[T any](p probe, path, want string, rep *harness.Reply[T], err error) error {
	if err := answered(p, http.MethodPost, path, want, rep, err); err != nil {
		return err
	}
	switch md := rep.Metadata; {
	case md == nil:
		return p.failBody(path, want, "no metadata", rep.Resp)
	case !validTraceID(md.TraceID):
		return p.failBody(path, want, fmt.Sprintf("trace_id %q", md.TraceID), rep.Resp)
	}
	return nil
}
