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
)

// A line of the reference service, as it writes it.
const goodLine = `{"timestamp":"2026-12-01T03:04:32.528219381Z","level":"INFO","logger":"genesis.server","message":"request served","request_id":"2d06","correlation_id":"2d06","trace_id":"","component":"server","method":"GET","path":"/health","status":200}`

func TestStructureProblem(t *testing.T) {
	cases := map[string]string{
		goodLine: "",
		`{"timestamp":"2026-12-01T03:04:32Z","level":"WARNING","logger":"genesis.security","message":"API key configured","request_id":""}`: "",
		`{"timestamp":"2026-12-01T03:04:32.123456","level":"info","logger":"genesis","message":"","request_id":""}`:                         "",
		`2026-12-01T03:04:32Z INFO [server] request served request_id=2d06`:                                                                 "not a JSON object",
		`Traceback (most recent call last):`: "not a JSON object",
		`["a","json","array"]`:               "not a JSON object",
		`{"timestamp":"2026-12-01T03:04:32Z","level":"INFO","message":"m","request_id":""}`:                                            "no string field logger",
		`{"timestamp":"2026-12-01T03:04:32Z","level":"INFO","logger":"g","message":"m"}`:                                               "no string field request_id",
		`{"time":"2026-12-01T03:04:32Z","msg":"m"}`:                                                                                    "no string field timestamp, level, logger, message, request_id",
		`{"timestamp":1764558272,"level":"INFO","logger":"g","message":"m","request_id":""}`:                                           "no string field timestamp",
		`{"timestamp":"yesterday","level":"INFO","logger":"g","message":"m","request_id":""}`:                                          `timestamp "yesterday" is not ISO-8601`,
		`{"timestamp":"2026-12-01T03:04:32Z","level":"LOUD","logger":"g","message":"m","request_id":""}`:                               `level "LOUD" is not a log level`,
		`{"timestamp":"2026-12-01T03:04:32Z","level":"INFO","logger":" ","message":"m","request_id":""}`:                               "empty logger",
		`{"timestamp":"2026-12-01T03:04:32Z","level":"INFO","logger":"g","message":"request served","request_id":"","path":"/health"}`: `a line about a request (it has "path") with an empty request_id`,
	}
	for line, want := range cases {
		got := structureProblem(parseLogLine([]byte(line)))
		if want == "" {
			assert.Empty(t, got, line)
		} else {
			assert.Contains(t, got, want, line)
		}
	}
}

func TestLogLevel(t *testing.T) {
	cases := map[string]string{
		goodLine: "INFO",
		`{"timestamp":"t","level":"ERROR","message":"request failed"}`:            "ERROR",
		`{"levelname":"CRITICAL","message":"db gone"}`:                            "CRITICAL",
		`{"severity":"error","message":"x"}`:                                      "ERROR",
		`{"message":"no level"}`:                                                  "",
		`2026-12-01T03:04:32Z ERROR [server] request failed status=500`:           "ERROR",
		`2026-12-01 03:04:32,123 - genesis.a2a - CRITICAL - agents gone`:          "CRITICAL",
		`ERROR:root:Failed to load agent builder`:                                 "ERROR",
		`ERROR:    Exception in ASGI application`:                                 "ERROR",
		`time=2026-12-01T03:04:32Z level=error msg="boom"`:                        "ERROR",
		`2026-12-01T03:04:32Z INFO [server] error budget fine, ERROR count 0`:     "INFO",
		`Traceback (most recent call last):`:                                      "",
		`RuntimeError: agent warm-up thread died (fault knob log_stray_line)`:     "",
		`  File "/app/a2a_service.py", line 212, in _warm_agents`:                 "",
		`panic: runtime error: invalid memory address or nil pointer dereference`: "PANIC",
		`INFO:     127.0.0.1:4242 - "GET /health HTTP/1.1" 200 OK`:                "INFO",
		`a line with the word error far away from its start, error`:               "",
	}
	for line, want := range cases {
		l := parseLogLine([]byte(line))
		assert.Equal(t, want, l.level(), line)
		assert.Equal(t, want != "" && want != "INFO", l.critical(), "critical: %s", line)
	}
}

func TestDrillLines(t *testing.T) {
	drill := parseLogLine([]byte(`{"level":"ERROR","message":"request failed","correlation_id":"` + harness.DrillCorrelationPrefix + `emergency_shutdown_drill-0a1b2c3d","status":503}`))
	assert.True(t, drill.critical())
	assert.True(t, drill.drill(), "the drill's own 503 is excused")
	own := parseLogLine([]byte(`{"level":"ERROR","message":"request failed","correlation_id":"smokestack-redaction-1","status":503}`))
	assert.False(t, own.drill(), "only the drill prefix excuses")
	plain := parseLogLine([]byte(`2026-12-01T03:04:32Z ERROR [server] request failed correlation_id=` + harness.DrillCorrelationPrefix + `x`))
	assert.False(t, plain.drill(), "a text line cannot be attributed")
	assert.Equal(t, `genesis.server: request failed error="boom" status=500`,
		lineSummary(parseLogLine([]byte(`{"level":"ERROR","logger":"genesis.server","message":"request failed","status":500,"error":"boom"}`))))
}

func TestQuoteLineRedactsAndCuts(t *testing.T) {
	long := `{"message":"` + strings.Repeat("é", 400) + `"}`
	q := quoteLine([]byte(long))
	assert.LessOrEqual(t, len(q), maxQuotedLine+len("…"))
	assert.True(t, strings.HasSuffix(q, "…"))
	assert.NotContains(t, quoteLine([]byte(`{"message":"key sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"}`)), "abcdefghijklmnop", "redacted")
}

// The log checks read the container's log: a live target without
// SMOKE_CONTAINERS cannot be judged, and says so.
func TestLogChecksNeedTheLog(t *testing.T) {
	s := imitate(t, map[harness.Component]http.HandlerFunc{harness.Genesis: body(200, "application/json", `{"status":"healthy"}`)})
	for _, id := range []string{"TestObservability/structured_logs", "TestComponentIntegration/no_critical_errors_in_logs"} {
		v := Evaluate(context.Background(), s, check(t, id))
		require.Equal(t, NotJudged, v.Outcome, "%s: %v", id, v.Err)
		assert.Contains(t, Reason(v.Err), harness.Env.Containers, id)
	}
}

// promMetricAges imitates Prometheus for metrics_scraped: the age query
// answers ages (a negative age leaves the family out), the configuration
// scrapes job genesis every 2 s.
func promMetricAges(ages map[string]float64) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/status/config":
			writeJSON(w, 200, map[string]any{"status": "success", "data": map[string]any{"yaml": "global:\n  scrape_interval: 15s\nscrape_configs:\n- job_name: genesis\n  scrape_interval: 2s\n"}})
		case "/api/v1/targets":
			writeJSON(w, 200, map[string]any{"status": "success", "data": map[string]any{"activeTargets": []any{}, "droppedTargets": []any{}}})
		case "/api/v1/query":
			_ = r.ParseForm()
			if r.Form.Get("query") != MetricsAgeQuery() {
				writeJSON(w, 400, map[string]any{"status": "error", "errorType": "bad_data", "error": "unexpected query"})
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
			writeJSON(w, 200, map[string]any{"status": "success", "data": map[string]any{"resultType": "vector", "result": result}})
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
		s := imitate(t, map[harness.Component]http.HandlerFunc{harness.Prometheus: promMetricAges(ages), harness.Genesis: genesis})
		return Evaluate(context.Background(), s, check(t, id))
	}
	v := run(nil, exposition())
	require.Equal(t, Pass, v.Outcome, "%v", v.Err)

	// 2 s scrapes: 3 × 2 s + 5 s = 11 s.
	v = run(map[string]float64{"genesis_retries_total": 12}, exposition())
	require.Equal(t, Fail, v.Outcome)
	assert.Contains(t, v.Err.Error(), `stale: genesis_retries_total (newest sample 12s old, job "genesis" scraped every 2s: limit 11s)`)
	assert.Contains(t, v.Err.Error(), "from Prometheus' configuration: global 15s; genesis 2s")

	v = run(map[string]float64{"genesis_errors_total": -1, "genesis_build_info": -1}, exposition())
	require.Equal(t, Fail, v.Outcome)
	assert.Contains(t, v.Err.Error(), "no current series of genesis_errors_total, genesis_build_info")

	// An event counter with no series: no event yet, unless the service
	// exposes it and Prometheus lost it.
	v = run(map[string]float64{"genesis_degradations_total": -1}, exposition())
	require.Equal(t, Pass, v.Outcome, "%v", v.Err)
	v = run(map[string]float64{"genesis_degradations_total": -1}, exposition("genesis_degradations_total"))
	require.Equal(t, Fail, v.Outcome)
	assert.Contains(t, v.Err.Error(), "no current series of genesis_degradations_total (the service's /metrics exposes genesis_degradations_total)")
}

func TestMetricsAgeQueryParses(t *testing.T) {
	_, err := promQL.ParseExpr(MetricsAgeQuery())
	require.NoError(t, err)
	assert.Len(t, ContractMetrics, 17, "the contract's genesis_* families")
}
