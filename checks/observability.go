package checks

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"

	"github.com/smokestack-dev/smokestack/harness"
)

// lineObservabilityStaging is the checklist's OTEL line of the staging
// validation, quoted in failures.
const lineObservabilityStaging = "Observability Validation: OTEL stack collecting — metrics scraped, logs structured (100 % structured logs), traces received, correlation ids"

// observabilityGroup is the test function of the telemetry checks; the
// trace checks are a registry entry of their own with the same group.
const observabilityGroup = "TestObservability"

// Observability is TestObservability's metrics and log checks (staging):
// the service's own telemetry reaches where operators read it.
var Observability = []Check{
	{Group: observabilityGroup, Name: "metrics_scraped", Component: harness.Prometheus, Part: harness.PartC, Line: lineObservabilityStaging, Run: metricsScraped},
	{Group: observabilityGroup, Name: "structured_logs", Component: harness.Genesis, Part: harness.PartA, Line: lineObservabilityStaging, ReadsLog: true, Run: probed(structuredLogs)},
}

// ---- metrics_scraped ------------------------------------------------------------------

// EventMetrics are the contract's labelled event counters: a service may
// create their series at the first event (a breaker trip, a fallback), so
// metrics_scraped wants them in Prometheus once the service exposes them.
var EventMetrics = []string{"genesis_circuit_breaker_trips_total", "genesis_degradations_total"}

// ContractMetrics are every genesis_* metric family CONTRACT.md names.
var ContractMetrics = append(slices.Clip(GenesisMetrics), EventMetrics...)

// familySelector selects the series of a family under one name: the family
// itself, or a histogram's _count series. One name, so that timestamp(),
// which drops it, leaves series with distinct labels.
func familySelector(family string) string {
	return fmt.Sprintf(`{__name__=~"%s(_count)?"}`, regexp.QuoteMeta(family))
}

// MetricsAgeQuery is metrics_scraped's one query: for each contract family
// and scrape job, how old its newest sample is, by Prometheus' clock. A
// family without a current series (none scraped within the lookback, or
// marked stale because its target went down) has no sample in the answer.
func MetricsAgeQuery() string {
	parts := make([]string, len(ContractMetrics))
	for i, f := range ContractMetrics {
		parts[i] = fmt.Sprintf(`label_replace(time() - max by (job) (timestamp(%s)), "family", %q, "", "")`, familySelector(f), f)
	}
	return strings.Join(parts, " or ")
}

// freshnessSlack is added to a few scrape intervals before a sample counts
// as stale: the scrape itself takes time, and so does the query.
const (
	freshnessIntervals = 3
	freshnessSlack     = 5 * time.Second
)

// metricsScraped wants every genesis_* family the contract names present in
// Prometheus and fresh: its newest sample younger than a few scrape
// intervals of its job (read from Prometheus' own configuration). An event
// counter with no series is judged by the service's /metrics: exposed there
// but not in Prometheus is a failure; exposed nowhere, no event yet.
// promVector asks Prometheus the instant query and wants a vector: a failed
// request or another result type fails the check name (quoting line) at url.
func promVector(ctx context.Context, s *harness.Stack, query, name, url, want, line string) (model.Vector, error) {
	v, err := s.Prometheus().Query(ctx, query)
	if err != nil {
		return nil, requestFailed(name, harness.Prometheus, url, want, line, err)
	}
	vec, ok := v.(model.Vector)
	if !ok {
		return nil, fail(name, harness.Prometheus, url, want, "a "+v.Type().String()+" result", line, nil)
	}
	return vec, nil
}

func metricsScraped(ctx context.Context, s *harness.Stack) error {
	prom := s.Prometheus()
	query := MetricsAgeQuery()
	url := s.URL(harness.Prometheus) + "/api/v1/query"
	want := fmt.Sprintf("the %d genesis_* families of the contract in Prometheus, each with a sample younger than %d scrape intervals + %s",
		len(ContractMetrics), freshnessIntervals, freshnessSlack)
	vec, err := promVector(ctx, s, query, "", url, want, "")
	if err != nil {
		return err
	}
	type newest struct {
		age float64
		job string
	}
	found := map[string]newest{}
	for _, smp := range vec {
		f := string(smp.Metric["family"])
		if n, ok := found[f]; !ok || float64(smp.Value) < n.age {
			found[f] = newest{float64(smp.Value), string(smp.Metric["job"])}
		}
	}
	intervals, how := scrapeIntervals(ctx, prom)
	var absentFams, stale []string
	for _, f := range ContractMetrics {
		n, ok := found[f]
		if !ok {
			absentFams = append(absentFams, f)
			continue
		}
		interval := intervals.of(n.job)
		limit := time.Duration(freshnessIntervals)*interval + freshnessSlack
		if age := time.Duration(n.age * float64(time.Second)); age > limit {
			stale = append(stale, fmt.Sprintf("%s (newest sample %s old, job %q scraped every %s: limit %s)", f, age.Round(100*time.Millisecond), n.job, interval, limit))
		}
	}
	// An event counter without a series is missing only if the service
	// exposes it: then Prometheus lost it.
	var exposedNote string
	if events := intersect(absentFams, EventMetrics); len(events) > 0 && s.Has(harness.Genesis) {
		famsRep, err := harness.Done(s.GenesisMetrics().Scrape(ctx, "/metrics"))
		if err == nil {
			for _, e := range events {
				if f, ok := (*famsRep.Data)[e]; !ok || len(f.GetMetric()) == 0 {
					absentFams = slices.DeleteFunc(absentFams, func(x string) bool { return x == e })
				} else {
					exposedNote = " (the service's /metrics exposes " + e + ")"
				}
			}
		}
	}
	var problems []string
	if len(absentFams) > 0 {
		problems = append(problems, fmt.Sprintf("no current series of %s%s", strings.Join(absentFams, ", "), exposedNote))
	}
	if len(stale) > 0 {
		problems = append(problems, "stale: "+strings.Join(stale, "; "))
	}
	if len(problems) == 0 {
		return nil
	}
	evidence := []string{"scrape intervals: " + how, "query: " + shortQuery(query)}
	if te := targetErrors(ctx, s); te != nil {
		evidence = append([]string{te.Error()}, evidence...)
	}
	return fail("", harness.Prometheus, url, want, strings.Join(problems, "; "), "", errors.New(strings.Join(evidence, "; ")))
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// shortQuery is the start of a long query, for evidence.
func shortQuery(q string) string {
	if len(q) > 160 {
		return q[:160] + "…"
	}
	return q
}

// jobIntervals are the scrape intervals of Prometheus' jobs.
type jobIntervals struct {
	global time.Duration
	jobs   map[string]time.Duration
}

func (j jobIntervals) of(job string) time.Duration {
	if d, ok := j.jobs[job]; ok && d > 0 {
		return d
	}
	return j.global
}

// promDefaultInterval is Prometheus' scrape interval when its
// configuration names none.
const promDefaultInterval = time.Minute

// scrapeIntervals reads the scrape interval of every job from the
// configuration Prometheus runs (/api/v1/status/config), and says where
// they came from; unreadable, Prometheus' default (1m) stands for all.
func scrapeIntervals(ctx context.Context, prom harness.PrometheusClient) (jobIntervals, string) {
	out := jobIntervals{global: promDefaultInterval, jobs: map[string]time.Duration{}}
	ctx, cancel := context.WithTimeout(ctx, prom.Timeout+time.Second)
	defer cancel()
	cfg, err := prom.API.Config(ctx)
	if err != nil {
		return out, fmt.Sprintf("Prometheus' configuration could not be read (%s), its default %s assumed", shortErr(err), promDefaultInterval)
	}
	var c struct {
		Global struct {
			ScrapeInterval string `yaml:"scrape_interval"`
		} `yaml:"global"`
		ScrapeConfigs []struct {
			JobName        string `yaml:"job_name"`
			ScrapeInterval string `yaml:"scrape_interval"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal([]byte(cfg.YAML), &c); err != nil {
		return out, fmt.Sprintf("Prometheus' configuration could not be parsed (%v), its default %s assumed", err, promDefaultInterval)
	}
	if d, err := model.ParseDuration(c.Global.ScrapeInterval); err == nil && d > 0 {
		out.global = time.Duration(d)
	}
	var named []string
	for _, sc := range c.ScrapeConfigs {
		if d, err := model.ParseDuration(sc.ScrapeInterval); err == nil && d > 0 {
			out.jobs[sc.JobName] = time.Duration(d)
			named = append(named, fmt.Sprintf("%s %s", sc.JobName, time.Duration(d)))
		}
	}
	sort.Strings(named)
	return out, fmt.Sprintf("from Prometheus' configuration: global %s; %s", out.global, strings.Join(named, ", "))
}

// ---- structured_logs ------------------------------------------------------------------

// logLineWait bounds how long structured_logs waits for its own request's
// line to reach an empty log window.
const logLineWait = 3 * time.Second

// structuredLogs reads every line the service logged since the deploy
// started (harness.DeployStarted) and wants each a structured line of the
// contract (structureProblem). It sends one GET /health first, so the
// window holds at least one line about a request; a window without any
// line fails (a service that logs nothing is not logging).
func structuredLogs(ctx context.Context, p probe) error {
	s := p.s
	_, _ = p.g.Health(ctx) // any answer: only the line it logs matters
	var lines, bad int
	var sample []byte
	var problem string
	var start harness.DeployStart
	var err error
	// The request's line reaches the engine's log a moment after the
	// answer (on a loaded machine, later than the first read): an empty
	// window is read again, within logLineWait, before it is judged.
	deadline := time.Now().Add(logLineWait)
	for {
		lines, bad, sample = 0, 0, nil
		start, err = scanDeployLog(ctx, s, "its lines could not be judged", func(l logLine) bool {
			lines++
			if pr := structureProblem(l); pr != "" {
				bad++
				if sample == nil {
					sample, problem = append([]byte(nil), l.raw...), pr
				}
			}
			return true
		})
		if err != nil {
			return err
		}
		if lines > 0 || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
	want := "every line of the service's log a JSON object with timestamp, level, logger, message and request_id (not empty on a line about a request), as the contract's logging says"
	switch {
	case lines == 0:
		return p.fail("", want, fmt.Sprintf("no log line since the deploy started at %s, although this check sent GET /health", start), nil)
	case bad > 0:
		return p.fail("", want, fmt.Sprintf("%d of %d lines since the deploy started at %s are not structured; the first: %s", bad, lines, start, problem),
			fmt.Errorf("log line: %s", quoteLine(sample)))
	}
	return nil
}
