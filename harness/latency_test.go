package harness

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseBudget(t *testing.T) {
	b, err := ParseBudget("p(95)<200ms")
	require.NoError(t, err)
	assert.Equal(t, Budget{Source: "p(95)<200ms", Percentile: 95, Limit: 200 * time.Millisecond}, b)
	b, err = ParseBudget(" p(99.9) <= 1s ")
	require.NoError(t, err)
	assert.Equal(t, 99.9, b.Percentile)
	assert.True(t, b.OrEqual)
	for _, bad := range []string{"", "p95<200ms", "p(95)>200ms", "p(0)<1s", "p(100)<1s", "p(95)<fast", "p(95)<-1s", "avg<200ms"} {
		_, err := ParseBudget(bad)
		assert.Error(t, err, bad)
	}
}

func TestBudgetJudge(t *testing.T) {
	l := NewLatencies()
	for i := 1; i <= 100; i++ {
		l.Record(time.Duration(i) * time.Millisecond) // p95 = 95ms
	}
	assert.True(t, MustBudget("p(95)<100ms").Judge(l).Met)
	v := MustBudget("p(95)<50ms").Judge(l)
	assert.False(t, v.Met)
	assert.Contains(t, v.String(), "FAIL p(95)<50ms observed p(95)=95")
	assert.InDelta(t, 95, float64(l.Percentile(95).Milliseconds()), 1)

	empty := MustBudget("p(95)<1s").Judge(NewLatencies())
	assert.False(t, empty.Met, "no data is not a pass")
	assert.Contains(t, empty.Reason, "no samples")

	allFailed := NewLatencies()
	allFailed.Fail(errors.New("status 503"))
	v = MustBudget("p(95)<1s").Judge(allFailed)
	assert.False(t, v.Met)
	assert.Contains(t, v.Reason, "all 1 requests failed; last: status 503", "every request failing is said, with the last error")

	l.Fail(errors.New("503"))
	failed := MustBudget("p(95)<1s").Judge(l)
	assert.False(t, failed.Met, "a run with failed requests does not meet a budget")
	assert.Contains(t, failed.Reason, "503")
}

func TestSampleEIsBounded(t *testing.T) {
	calls := 0
	l, err := Sample(context.Background(), Sampling{Warmup: 2, Samples: 5, MaxDuration: time.Second}, func(context.Context) error {
		calls++
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 7, calls)
	assert.Equal(t, 5, l.Count(), "warm-up is not recorded")

	start := time.Now()
	l, err = Sample(context.Background(), Sampling{Samples: 1000000, MaxDuration: 100 * time.Millisecond}, func(ctx context.Context) error {
		time.Sleep(5 * time.Millisecond)
		return nil
	})
	assert.Error(t, err, "a run cut short says so")
	assert.Less(t, time.Since(start), time.Second)
	assert.Greater(t, l.Count(), 0)
}

// TestLatencyHistogramMovesWithRealLatency: a latency histogram is judged
// against requests the check timed on its own clock — not by its sample
// count, which a histogram of random numbers grows too.
func TestLatencyHistogramMovesWithRealLatency(t *testing.T) {
	ms := func(v ...float64) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x * float64(time.Millisecond))
		}
		return out
	}
	// The check timed 5 requests at 3-9 ms on its clock.
	client := ms(3, 4, 4.5, 6, 9)
	before := []float64{0.002, 0.004, 0.12} // earlier traffic
	judge := func(added ...float64) ([]string, bool) {
		return JudgeLatencyHistogram(scrapedHistogram(t, before), scrapedHistogram(t, append(slices.Clone(before), added...)), client)
	}

	t.Run("consistent: each observation under its client time", func(t *testing.T) {
		problems, isolated := judge(0.0021, 0.0033, 0.0009, 0.0052, 0.0071)
		assert.Empty(t, problems)
		assert.True(t, isolated, "exactly the timed requests were observed")
	})
	t.Run("consistent: fast handler on a slow (loaded) client", func(t *testing.T) {
		problems, _ := judge(0.00004, 0.00003, 0.00005, 0.00004, 0.00006)
		assert.Empty(t, problems, "a server may take a small share of the client's time")
	})
	t.Run("consistent with other, slower traffic in the window", func(t *testing.T) {
		problems, isolated := judge(0.002, 0.003, 0.0009, 0.005, 0.007, 0.4, 1.7, 0.3, 2.2)
		assert.Empty(t, problems, "other requests may be slower than ours")
		assert.False(t, isolated)
	})
	rng := rand.New(rand.NewPCG(4, 2))
	random := func(n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = 0.05 + rng.Float64()*2.45 // random numbers of plausible latency, 50 ms .. 2.5 s
		}
		return out
	}
	t.Run("random numbers, one per request", func(t *testing.T) {
		added := random(5)
		b, a := scrapedHistogram(t, before), scrapedHistogram(t, append(slices.Clone(before), added...))
		assert.Equal(t, 5.0, a.Count-b.Count, "the old judgement, the sample count grew, is fooled")
		problems, isolated := JudgeLatencyHistogram(b, a, client)
		require.NotEmpty(t, problems, "a histogram of random numbers passes")
		assert.True(t, isolated)
		text := strings.Join(problems, "; ")
		assert.Contains(t, text, "client's clock")
		assert.Contains(t, text, "sum grew by")
	})
	t.Run("random numbers, from a timer, among real traffic", func(t *testing.T) {
		problems, isolated := judge(random(40)...)
		require.NotEmpty(t, problems, "a histogram of random numbers passes when other observations hide ours")
		assert.False(t, isolated)
		assert.Contains(t, strings.Join(problems, "; "), "observations of at most")
	})
	t.Run("count frozen", func(t *testing.T) {
		problems, _ := judge()
		require.NotEmpty(t, problems)
		assert.Contains(t, strings.Join(problems, "; "), "count grew by 0 for 5 timed requests")
	})
	t.Run("sum frozen while count grows", func(t *testing.T) {
		problems, _ := judge(0, 0, 0, 0, 0)
		require.NotEmpty(t, problems)
		assert.Contains(t, strings.Join(problems, "; "), "sum did not grow")
	})
	t.Run("recorded in milliseconds", func(t *testing.T) {
		problems, _ := judge(2.1, 3.3, 0.9, 5.2, 7.1)
		require.NotEmpty(t, problems)
		assert.Contains(t, strings.Join(problems, "; "), "sum grew by")
	})
	t.Run("no bucket fine enough: the sum still judges", func(t *testing.T) {
		b := Histogram{Count: 3, Sum: 0.126}
		a := Histogram{Count: 8, Sum: 0.126 + 5*0.3}
		problems, isolated := JudgeLatencyHistogram(b, a, client)
		assert.True(t, isolated)
		assert.Contains(t, strings.Join(problems, "; "), "sum grew by")
	})
	t.Run("absurd values", func(t *testing.T) {
		b := Histogram{Count: 3, Sum: 0.126}
		for _, a := range []Histogram{{Count: 8, Sum: math.NaN()}, {Count: 8, Sum: math.Inf(1)}, {Count: 8, Sum: 0.1}} {
			problems, _ := JudgeLatencyHistogram(b, a, client)
			assert.NotEmpty(t, problems, "%+v", a)
		}
		problems, _ := JudgeLatencyHistogram(b, Histogram{Count: 1, Sum: 0.01}, client)
		assert.Contains(t, strings.Join(problems, "; "), "went backwards")
	})
}
