package harness

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMetricValue(t *testing.T) {
	const exp = `# TYPE genesis_errors_total counter
genesis_errors_total{category="security"} 3
genesis_errors_total{category="validation"} 2
# TYPE genesis_circuit_breaker_state gauge
genesis_circuit_breaker_state{breaker="llm"} 2
# TYPE genesis_halo_routing_duration_seconds histogram
genesis_halo_routing_duration_seconds_bucket{le="+Inf"} 7
genesis_halo_routing_duration_seconds_sum 0.1
genesis_halo_routing_duration_seconds_count 7
`
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(exp))
	require.NoError(t, err)
	v, ok := MetricValue(fams, "genesis_errors_total", map[string]string{"category": "security"})
	assert.True(t, ok)
	assert.Equal(t, 3.0, v)
	v, ok = MetricValue(fams, "genesis_errors_total", nil)
	assert.True(t, ok)
	assert.Equal(t, 5.0, v, "no match sums every series")
	_, ok = MetricValue(fams, "genesis_errors_total", map[string]string{"category": "llm"})
	assert.False(t, ok, "a label value without a series is not found, not zero")
	_, ok = MetricValue(fams, "genesis_errors_totl", nil)
	assert.False(t, ok, "a typo in the name finds nothing")
	v, ok = MetricValue(fams, "genesis_circuit_breaker_state", map[string]string{"breaker": "llm"})
	assert.True(t, ok)
	assert.Equal(t, 2.0, v)
	v, ok = MetricValue(fams, "genesis_halo_routing_duration_seconds", nil)
	assert.True(t, ok)
	assert.Equal(t, 7.0, v, "a histogram counts its samples")

	assert.Equal(t, `genesis_errors_total{category="security",code="400"}`, Series("genesis_errors_total", map[string]string{"code": "400", "category": "security"}))
	assert.Equal(t, "genesis_build_info", Series("genesis_build_info", nil))
}

func TestResilienceSettingsOf(t *testing.T) {
	r := &Response{Body: []byte(`{"circuit_breakers":{},"config":{"open_timeout_seconds":3,"failure_threshold":5}}`)}
	cfg := ResilienceSettingsOf(r)
	require.NotNil(t, cfg.OpenTimeoutSeconds)
	assert.Equal(t, 3.0, *cfg.OpenTimeoutSeconds)
	assert.Equal(t, 5, *cfg.FailureThreshold)
	r = &Response{Body: []byte(`{"data":{"config":{"open_timeout_seconds":60}}}`)}
	assert.Equal(t, 60.0, *ResilienceSettingsOf(r).OpenTimeoutSeconds)
	assert.Nil(t, ResilienceSettingsOf(&Response{Body: []byte(`{"circuit_breakers":{}}`)}).OpenTimeoutSeconds)
	assert.Nil(t, ResilienceSettingsOf(&Response{Body: []byte(`not json`)}).OpenTimeoutSeconds)
	assert.Nil(t, ResilienceSettingsOf(nil).OpenTimeoutSeconds)
}

func TestPlannerFaultsAndStats(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/admin/faults":
			_, _ = w.Write([]byte(`{"faults":"latency=5ms"}`))
		case "/health":
			_, _ = w.Write([]byte(`{"status":"healthy","plans_served":4,"plans_failed":3}`))
		}
	}))
	defer srv.Close()
	p := PlannerClient{Requester{Component: LLMPlanner, Base: srv.URL, Timeout: DefaultTimeouts.HTTP}}
	spec, err := p.FaultsE(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "latency=5ms", spec)
	st, err := p.StatsE(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(7), st.Calls())

	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"healthy"}`))
	}))
	defer bad.Close()
	p = PlannerClient{Requester{Component: LLMPlanner, Base: bad.URL, Timeout: DefaultTimeouts.HTTP}}
	_, err = p.FaultsE(context.Background())
	assert.Error(t, err, "an answer without faults is not an empty fault set")
	_, err = p.StatsE(context.Background())
	assert.Error(t, err, "a planner without counters cannot prove a breaker blocks calls")
}

// stageBounds are the reference service's latency buckets (seconds).
var stageBounds = []float64{.0005, .001, .0025, .005, .01, .025, .05, .075, .1, .15, .2, .3, .5, 1, 2.5, 5, 10}

// exposition renders one histogram series set, labelled route="/r", holding
// the observations (seconds): what a service's /metrics shows.
func exposition(name string, observations []float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# TYPE %s histogram\n", name)
	sum := 0.0
	for _, o := range observations {
		sum += o
	}
	for _, le := range stageBounds {
		n := 0
		for _, o := range observations {
			if o <= le {
				n++
			}
		}
		fmt.Fprintf(&b, "%s_bucket{route=\"/r\",le=\"%g\"} %d\n", name, le, n)
	}
	fmt.Fprintf(&b, "%s_bucket{route=\"/r\",le=\"+Inf\"} %d\n", name, len(observations))
	fmt.Fprintf(&b, "%s_sum{route=\"/r\"} %g\n", name, sum)
	fmt.Fprintf(&b, "%s_count{route=\"/r\"} %d\n", name, len(observations))
	b.WriteString("# TYPE genesis_agents_loaded gauge\ngenesis_agents_loaded 3\n")
	return b.String()
}

func scrapedHistogram(t *testing.T, observations []float64) Histogram {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(exposition("genesis_http_request_duration_seconds", observations)))
	require.NoError(t, err)
	h, ok, err := HistogramValue(fams, "genesis_http_request_duration_seconds", map[string]string{"route": "/r"})
	require.NoError(t, err)
	require.True(t, ok)
	return h
}

// TestHistogramValue reads count, sum and cumulative buckets, and refuses a
// family that is not a histogram.
func TestHistogramValue(t *testing.T) {
	h := scrapedHistogram(t, []float64{0.0007, 0.003, 0.2})
	assert.Equal(t, 3.0, h.Count)
	assert.InDelta(t, 0.2037, h.Sum, 1e-9)
	assert.Equal(t, 0.0, h.Buckets[0.0005])
	assert.Equal(t, 1.0, h.Buckets[0.001])
	assert.Equal(t, 2.0, h.Buckets[0.005])
	assert.Equal(t, 3.0, h.Buckets[0.2])

	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(exposition("genesis_http_request_duration_seconds", nil)))
	require.NoError(t, err)
	_, ok, err := HistogramValue(fams, "genesis_http_request_duration_seconds", map[string]string{"route": "/other"})
	assert.NoError(t, err)
	assert.False(t, ok, "no series for the label is not found, not an empty histogram")
	_, _, err = HistogramValue(fams, "genesis_agents_loaded", nil)
	assert.ErrorContains(t, err, "gauge, not a histogram")
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
