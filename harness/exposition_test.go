package harness

import (
	"fmt"
	"strings"
	"testing"

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
