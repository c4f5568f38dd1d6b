package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// This file holds what the staging groups TestErrorHandling,
// TestPerformanceBaseline and TestComponentIntegration need beyond the typed
// client: the LLM planner's fault state (to put it back as found), the
// breaker settings /resilience reports, and reading one value out of a
// scraped exposition.

// FaultsE reads the planner's active faults ("" when none), so that a
// check that breaks the planner can restore what it found.
func (p PlannerClient) FaultsE(ctx context.Context) (string, error) {
	var body struct {
		Faults *string `json:"faults"`
	}
	if _, err := p.GetJSON(ctx, "/admin/faults", http.StatusOK, &body); err != nil {
		return "", err
	}
	if body.Faults == nil {
		return "", fmt.Errorf("planner GET /admin/faults: no faults field")
	}
	return *body.Faults, nil
}

// PlannerStats are the reference planner's counters (GET /health): how
// many plans it served and refused. They tell whether the service called
// the upstream at all (a breaker that is open must not).
type PlannerStats struct {
	Served *int64 `json:"plans_served"`
	Failed *int64 `json:"plans_failed"`
}

// Calls is every plan request the planner answered.
func (s PlannerStats) Calls() int64 {
	var n int64
	if s.Served != nil {
		n += *s.Served
	}
	if s.Failed != nil {
		n += *s.Failed
	}
	return n
}

// StatsE reads the planner's counters; a planner that does not report them
// is an error.
func (p PlannerClient) StatsE(ctx context.Context) (PlannerStats, error) {
	var st PlannerStats
	resp, err := p.GetJSON(ctx, "/health", http.StatusOK, &st)
	if err != nil {
		return st, err
	}
	if st.Served == nil || st.Failed == nil {
		return st, resp.Fail("plans_served and plans_failed in the planner's /health", nil)
	}
	return st, nil
}

// ResilienceSettings is the optional `config` object of GET /resilience:
// the breaker and retry parameters the service runs with. Pointer fields
// are nil when the service does not report them.
type ResilienceSettings struct {
	FailureThreshold   *int     `json:"failure_threshold"`
	OpenTimeoutSeconds *float64 `json:"open_timeout_seconds"`
	SuccessThreshold   *int     `json:"success_threshold"`
	MaxRetries         *int     `json:"max_retries"`
}

// ResilienceSettingsOf reads `config` from a GET /resilience answer (bare
// or in the data envelope); a zero ResilienceSettings when absent.
func ResilienceSettingsOf(resp *Response) ResilienceSettings {
	var out ResilienceSettings
	if resp == nil {
		return out
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(resp.Body, &probe) != nil {
		return out
	}
	if v, ok := probe["data"]; ok && len(v) > 0 && v[0] == '{' {
		if json.Unmarshal(v, &probe) != nil {
			return out
		}
	}
	if c, ok := probe["config"]; ok {
		_ = json.Unmarshal(c, &out)
	}
	return out
}

// MetricValue sums the series of family name whose labels include every
// pair of match: a counter's or gauge's value, a histogram's or summary's
// sample count. found is false when no series matches — which a check must
// treat as "not measured", never as zero. A histogram's count says it was
// fed, not what with: judge a latency histogram with HistogramValue and
// JudgeLatencyHistogram.
func MetricValue(fams map[string]*dto.MetricFamily, name string, match map[string]string) (v float64, found bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		if !labelsMatch(m.GetLabel(), match) {
			continue
		}
		found = true
		switch {
		case m.Counter != nil:
			v += m.GetCounter().GetValue()
		case m.Gauge != nil:
			v += m.GetGauge().GetValue()
		case m.Histogram != nil:
			v += float64(m.GetHistogram().GetSampleCount())
		case m.Summary != nil:
			v += float64(m.GetSummary().GetSampleCount())
		case m.Untyped != nil:
			v += m.GetUntyped().GetValue()
		}
	}
	return v, found
}

func labelsMatch(have []*dto.LabelPair, want map[string]string) bool {
	for k, v := range want {
		ok := false
		for _, l := range have {
			if l.GetName() == k && l.GetValue() == v {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// Series writes a family name and label match as PromQL would:
// genesis_errors_total{category="security"}.
func Series(name string, match map[string]string) string {
	if len(match) == 0 {
		return name
	}
	keys := make([]string, 0, len(match))
	for k := range match {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, match[k])
	}
	return name + "{" + strings.Join(parts, ",") + "}"
}

// Histogram is a histogram (or summary) read from an exposition: count, sum
// and cumulative bucket counts by upper bound, summed over every series that
// matches. Buckets holds only the finite bounds every matched series has
// (nil for a summary).
type Histogram struct {
	Count, Sum float64
	Buckets    map[float64]float64
}

// HistogramValue reads the histogram series of family name whose labels
// include every pair of match. found is false when no series matches; a
// family of another type is an error.
func HistogramValue(fams map[string]*dto.MetricFamily, name string, match map[string]string) (h Histogram, found bool, err error) {
	f, ok := fams[name]
	if !ok {
		return h, false, nil
	}
	switch f.GetType() {
	case dto.MetricType_HISTOGRAM, dto.MetricType_SUMMARY, dto.MetricType_GAUGE_HISTOGRAM:
	default:
		return h, false, fmt.Errorf("%s is a %s, not a histogram", name, strings.ToLower(f.GetType().String()))
	}
	var bounds map[float64]int // bound -> number of matched series that have it
	series := 0
	for _, m := range f.GetMetric() {
		if !labelsMatch(m.GetLabel(), match) {
			continue
		}
		series++
		if hg := m.GetHistogram(); hg != nil {
			h.Count += float64(hg.GetSampleCount())
			h.Sum += hg.GetSampleSum()
			if h.Buckets == nil {
				h.Buckets, bounds = map[float64]float64{}, map[float64]int{}
			}
			for _, b := range hg.GetBucket() {
				le := b.GetUpperBound()
				if math.IsInf(le, 1) {
					continue
				}
				h.Buckets[le] += float64(b.GetCumulativeCount())
				bounds[le]++
			}
		} else if sm := m.GetSummary(); sm != nil {
			h.Count += float64(sm.GetSampleCount())
			h.Sum += sm.GetSampleSum()
		}
	}
	for le, n := range bounds {
		if n != series {
			delete(h.Buckets, le) // not a bound of every series: its sum means nothing
		}
	}
	return h, series > 0, nil
}

// LatencySlack is how much longer than the client's clock a server may
// record a request: LatencySlackMin plus LatencySlackShare of the client's
// duration, for timer granularity and a server that stops its clock just
// after writing the answer. Beyond it, the server recorded time the request
// did not take.
const (
	LatencySlackMin   = 5 * time.Millisecond
	LatencySlackShare = 0.10
)

// LatencySlackOf is the longest a server may record a request the client
// timed at d.
func LatencySlackOf(d time.Duration) time.Duration {
	return d + LatencySlackMin + time.Duration(float64(d)*LatencySlackShare)
}

// JudgeLatencyHistogram says whether a latency histogram (seconds) moved
// with requests the check timed on its own clock: before and after are the
// histogram scraped around the requests, client their durations. A server
// observes a request inside the client's wall time, so:
//
//   - the count grows by at least len(client), and the sum grows (a sum
//     that does not is not a measurement), finitely and never backwards;
//   - every bucket bound le holds at least as many new observations as
//     there are timed requests that took at most le (less the slack) on the
//     client's clock — true whatever other traffic was observed, which only
//     adds observations, so it holds on a busy live target too;
//   - when the histogram observed exactly the timed requests (isolated),
//     the sum grew by no more than the client's times plus slack.
//
// Nothing bounds the server's time from below but "more than nothing": a
// fast handler on a loaded machine may take a small share of the client's
// time. A histogram of random numbers of plausible latency fails the
// bounds; one of random numbers far below the requests' real latency cannot
// be told from a fast server. Problems are sentences for on-call; isolated
// reports whether the sum rule applied.
func JudgeLatencyHistogram(before, after Histogram, client []time.Duration) (problems []string, isolated bool) {
	n := float64(len(client))
	dCount, dSum := after.Count-before.Count, after.Sum-before.Sum
	var clientSum, slackSum time.Duration
	for _, d := range client {
		clientSum += d
		slackSum += LatencySlackOf(d)
	}
	switch {
	case dCount < 0:
		return []string{fmt.Sprintf("count went backwards (%g before, %g after): the service restarted or the series is not a counter", before.Count, after.Count)}, false
	case dCount < n:
		problems = append(problems, fmt.Sprintf("count grew by %g for %d timed requests", dCount, len(client)))
	}
	switch {
	case math.IsNaN(dSum) || math.IsInf(dSum, 0):
		return append(problems, fmt.Sprintf("sum is not a number (%g before, %g after)", before.Sum, after.Sum)), false
	case dSum < 0:
		return append(problems, fmt.Sprintf("sum went backwards (%g before, %g after)", before.Sum, after.Sum)), false
	case dSum == 0 && dCount > 0:
		problems = append(problems, fmt.Sprintf("sum did not grow (%g s) over %g new observations: they are not durations", after.Sum, dCount))
	}
	if after.Buckets != nil && before.Buckets != nil {
		bounds := make([]float64, 0, len(after.Buckets))
		for le := range after.Buckets {
			if _, ok := before.Buckets[le]; ok {
				bounds = append(bounds, le)
			}
		}
		sort.Float64s(bounds)
		for _, le := range bounds {
			need := 0
			for _, d := range client {
				if LatencySlackOf(d).Seconds() <= le {
					need++
				}
			}
			if got := after.Buckets[le] - before.Buckets[le]; got < float64(need) {
				problems = append(problems, fmt.Sprintf("%g new observations of at most %gs, yet %d of the timed requests must be among them: they took at most %gs on the client's clock, slack included (a server cannot record more time than its client waited)",
					got, le, need, le))
				break // the tightest bound says it; the wider ones repeat it
			}
		}
	}
	isolated = dCount == n
	if isolated && dSum > slackSum.Seconds() {
		problems = append(problems, fmt.Sprintf("sum grew by %.4gs for exactly the %d timed requests, which took %.4gs on the client's clock (at most %.4gs with slack)",
			dSum, len(client), clientSum.Seconds(), slackSum.Seconds()))
	}
	return problems, isolated
}
