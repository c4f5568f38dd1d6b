package harness

import (
	"context"
	"net/http"
	"net/http/httptest"
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
