package harness

import (
	"context"
	"errors"
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
	l, err := SampleE(context.Background(), Sampling{Warmup: 2, Samples: 5, MaxDuration: time.Second}, func(context.Context) error {
		calls++
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 7, calls)
	assert.Equal(t, 5, l.Count(), "warm-up is not recorded")

	start := time.Now()
	l, err = SampleE(context.Background(), Sampling{Samples: 1000000, MaxDuration: 100 * time.Millisecond}, func(ctx context.Context) error {
		time.Sleep(5 * time.Millisecond)
		return nil
	})
	assert.Error(t, err, "a run cut short says so")
	assert.Less(t, time.Since(start), time.Second)
	assert.Greater(t, l.Count(), 0)
}
