package checks

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/harness/harnesstest"
)

// promMetricAges imitates Prometheus for metrics_scraped: the age query
// answers ages (a negative age leaves the family out), the configuration
// scrapes job genesis every 2 s.
func promMetricAges(ages map[string]float64) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/status/config":
			harnesstest.WriteJSON(w, 200, map[string]any{"status": "success", "data": map[string]any{"yaml": "global:\n  scrape_interval: 15s\nscrape_configs:\n- job_name: genesis\n  scrape_interval: 2s\n"}})
		case "/api/v1/targets":
			harnesstest.WriteJSON(w, 200, map[string]any{"status": "success", "data": map[string]any{"activeTargets": []any{}, "droppedTargets": []any{}}})
		case "/api/v1/query":
			_ = r.ParseForm()
			if r.Form.Get("query") != MetricsAgeQuery() {
				harnesstest.WriteJSON(w, 400, map[string]any{"status": "error", "errorType": "bad_data", "error": "unexpected query"})
				return
			}
			var result []any
			for _, f := range ContractMetrics {
				age, ok := ages[f]
				if !ok {
					age = 1.5
				}
				if age >= 0 {
					result = append(result, map[string]any{"metric": map[string]string{"family": f, "job": "genesis"}, "value": []any{time.Now().Unix(), fmt.Sprint(age)}})
				}
			}
			harnesstest.WriteJSON(w, 200, map[string]any{"status": "success", "data": map[string]any{"resultType": "vector", "result": result}})
		default:
			w.WriteHeader(404)
		}
	}
}

func TestMetricsScraped(t *testing.T) {
	const id = "TestObservability/metrics_scraped"
	exposition := func(families ...string) http.HandlerFunc {
		var b strings.Builder
		for _, f := range families {
			fmt.Fprintf(&b, "# TYPE %s counter\n%s{x=\"y\"} 1\n", f, f)
		}
		return body(200, "text/plain; version=0.0.4", b.String())
	}
	run := func(ages map[string]float64, genesis http.HandlerFunc) Verdict {
		s := harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Prometheus: promMetricAges(ages), harness.Genesis: genesis})
		return Evaluate(context.Background(), s, check(t, id))
	}
	v := run(nil, exposition())
	requirePass(t, v)

	// 2 s scrapes: 3 × 2 s + 5 s = 11 s.
	v = run(map[string]float64{"genesis_retries_total": 12}, exposition())
	requireFail(t, v, `stale: genesis_retries_total (newest sample 12s old, job "genesis" scraped every 2s: limit 11s)`, "from Prometheus' configuration: global 15s; genesis 2s")

	v = run(map[string]float64{"genesis_errors_total": -1, "genesis_build_info": -1}, exposition())
	requireFail(t, v)
	assert.Contains(t, v.Err.Error(), "no current series of genesis_errors_total, genesis_build_info")

	// An event counter with no series: no event yet, unless the service
	// exposes it and Prometheus lost it.
	v = run(map[string]float64{"genesis_degradations_total": -1}, exposition())
	requirePass(t, v)
	v = run(map[string]float64{"genesis_degradations_total": -1}, exposition("genesis_degradations_total"))
	requireFail(t, v, "no current series of genesis_degradations_total (the service's /metrics exposes genesis_degradations_total)")
}

func TestMetricsAgeQueryParses(t *testing.T) {
	_, err := promQL.ParseExpr(MetricsAgeQuery())
	require.NoError(t, err)
	assert.Len(t, ContractMetrics, 17, "the contract's genesis_* families")
}
