package harness

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Budget is a latency threshold written the way k6 writes thresholds,
// "p(95)<200ms": the text is kept for reports, the parsed form is judged.
// A budget is validated before any load is sent, and judging no samples is
// a failure (k6 counts it as a pass; a smoke suite must not).
type Budget struct {
	Source     string        // as written: "p(95)<200ms"
	Percentile float64       // 95
	Limit      time.Duration // 200ms
	OrEqual    bool          // "<=" rather than "<"
}

var budgetRE = regexp.MustCompile(`^p\((\d{1,2}(?:\.\d+)?)\)\s*(<=?)\s*(\S+)$`)

// ParseBudget reads "p(95)<200ms" or "p(99.9)<=1s".
func ParseBudget(s string) (Budget, error) {
	m := budgetRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Budget{}, fmt.Errorf("budget %q: want p(N)<DURATION, such as p(95)<200ms", s)
	}
	p, err := strconv.ParseFloat(m[1], 64)
	if err != nil || p <= 0 || p >= 100 {
		return Budget{}, fmt.Errorf("budget %q: percentile %s is not in (0, 100)", s, m[1])
	}
	d, err := time.ParseDuration(m[3])
	if err != nil || d <= 0 {
		return Budget{}, fmt.Errorf("budget %q: limit %q is not a positive duration", s, m[3])
	}
	return Budget{Source: strings.TrimSpace(s), Percentile: p, Limit: d, OrEqual: m[2] == "<="}, nil
}

// MustBudget is ParseBudget for the constant table; a typo panics at init.
func MustBudget(s string) Budget {
	b, err := ParseBudget(s)
	if err != nil {
		panic(err)
	}
	return b
}

// The checklist's budgets, in one table. HTDAG decomposition, HALO routing
// and AOP validation at P95; the rollback trigger for any of them.
var (
	BudgetHTDAG    = MustBudget("p(95)<200ms")
	BudgetHALO     = MustBudget("p(95)<100ms")
	BudgetAOP      = MustBudget("p(95)<50ms")
	BudgetRollback = MustBudget("p(95)<500ms")
)

// Latencies records request durations in an HDR histogram (1 µs to 1 min,
// 3 significant digits): percentiles without keeping every sample.
type Latencies struct {
	h      *hdrhistogram.Histogram
	errors int
	last   error
}

// NewLatencies makes an empty recorder.
func NewLatencies() *Latencies {
	return &Latencies{h: hdrhistogram.New(1, int64(time.Minute/time.Microsecond), 3)}
}

// Record adds one successful request's duration.
func (l *Latencies) Record(d time.Duration) {
	us := d.Microseconds()
	if us < 1 {
		us = 1
	}
	if us > l.h.HighestTrackableValue() {
		us = l.h.HighestTrackableValue()
	}
	_ = l.h.RecordValue(us)
}

// Fail counts a failed request; failures are not latencies, and a budget
// over a run with failures is not met.
func (l *Latencies) Fail(err error) { l.errors++; l.last = err }

// Count is the number of recorded latencies.
func (l *Latencies) Count() int { return int(l.h.TotalCount()) }

// Errors is the number of failed requests, and the last failure.
func (l *Latencies) Errors() (int, error) { return l.errors, l.last }

// Percentile is the latency at p (0..100).
func (l *Latencies) Percentile(p float64) time.Duration {
	return time.Duration(l.h.ValueAtQuantile(p)) * time.Microsecond
}

// Min is the fastest recorded latency.
func (l *Latencies) Min() time.Duration { return time.Duration(l.h.Min()) * time.Microsecond }

// Summary is "n=200 p50=1.2ms p95=3.4ms p99=5ms max=9ms errors=0".
func (l *Latencies) Summary() string {
	ms := func(p float64) string { return l.Percentile(p).Round(10 * time.Microsecond).String() }
	return fmt.Sprintf("n=%d p50=%s p95=%s p99=%s max=%s errors=%d", l.Count(), ms(50), ms(95), ms(99),
		(time.Duration(l.h.Max()) * time.Microsecond).Round(10*time.Microsecond), l.errors)
}

// BudgetVerdict is the judgement of one budget: verdict, expression,
// observed value — the summary line of a k6 threshold.
type BudgetVerdict struct {
	Budget   Budget
	Observed time.Duration
	Samples  int
	Errors   int
	Met      bool
	Reason   string // why not met, "" when met
}

func (v BudgetVerdict) String() string {
	verdict := "PASS"
	if !v.Met {
		verdict = "FAIL"
	}
	s := fmt.Sprintf("%s %s observed p(%g)=%s over %d samples", verdict, v.Budget.Source, v.Budget.Percentile,
		v.Observed.Round(10*time.Microsecond), v.Samples)
	if v.Reason != "" {
		s += ": " + v.Reason
	}
	return s
}

// Judge compares the recorded latencies with the budget. No samples, or
// any failed request, means the budget is not met.
func (b Budget) Judge(l *Latencies) BudgetVerdict {
	v := BudgetVerdict{Budget: b, Samples: l.Count(), Errors: l.errors}
	switch {
	case v.Samples == 0 && l.errors > 0:
		v.Reason = fmt.Sprintf("all %d requests failed; last: %v", l.errors, l.last)
		return v
	case v.Samples == 0:
		v.Reason = "no samples: nothing was measured"
		return v
	case l.errors > 0:
		v.Observed = l.Percentile(b.Percentile)
		v.Reason = fmt.Sprintf("%d of %d requests failed; last: %v", l.errors, l.errors+v.Samples, l.last)
		return v
	}
	v.Observed = l.Percentile(b.Percentile)
	v.Met = v.Observed < b.Limit || (b.OrEqual && v.Observed == b.Limit)
	if !v.Met {
		v.Reason = fmt.Sprintf("p(%g) %s is over the budget %s", b.Percentile, v.Observed.Round(10*time.Microsecond), b.Limit)
	}
	return v
}

// Sampling bounds one latency measurement: warm-up requests (not
// recorded), then Samples recorded requests, all within MaxDuration.
type Sampling struct {
	Warmup      int
	Samples     int
	MaxDuration time.Duration
}

// DefaultSampling is what a smoke run can afford per budget: 20 warm-up and
// 200 recorded requests, at most 60 s.
var DefaultSampling = Sampling{Warmup: 20, Samples: 200, MaxDuration: 60 * time.Second}

// Sample sends the bounded number of requests, one at a time, timing each
// call of fn. It stops early when ctx or MaxDuration ends and says so; the
// caller judges what was recorded.
func Sample(ctx context.Context, sp Sampling, fn func(context.Context) error) (*Latencies, error) {
	if sp.Samples <= 0 {
		return nil, errors.New("sampling: want at least one sample")
	}
	ctx, cancel := context.WithTimeout(ctx, sp.MaxDuration)
	defer cancel()
	l := NewLatencies()
	for i := 0; i < sp.Warmup+sp.Samples; i++ {
		if ctx.Err() != nil {
			return l, fmt.Errorf("sampling stopped after %d of %d requests: %w", i, sp.Warmup+sp.Samples, ctx.Err())
		}
		t0 := time.Now()
		err := fn(ctx)
		d := time.Since(t0)
		if i < sp.Warmup {
			continue
		}
		if err != nil {
			l.Fail(err)
			continue
		}
		l.Record(d)
	}
	return l, nil
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
