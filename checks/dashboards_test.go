package checks

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	stackfiles "github.com/smokestack-dev/smokestack/fixtures/stack"
	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/harness/harnesstest"
)

func TestGrafanaVars(t *testing.T) {
	// The 48-hour dashboard at 1000 points, scraped every 2 s: 172.8 s
	// rounds to 2m; the rate window adds a scrape.
	v := NewGrafanaVars(48*time.Hour, 1000, 2*time.Second)
	assert.Equal(t, GrafanaVars{Range: 48 * time.Hour, Interval: 2 * time.Minute, RateInterval: 2*time.Minute + 2*time.Second}, v)
	// A short range: the interval is at least the scrape interval, the
	// rate window at least four of them.
	assert.Equal(t, GrafanaVars{Range: time.Hour, Interval: 15 * time.Second, RateInterval: time.Minute}, NewGrafanaVars(time.Hour, 1000, 15*time.Second))

	for in, want := range map[time.Duration]time.Duration{
		5 * time.Millisecond: time.Millisecond, 3 * time.Second: 2 * time.Second, 14 * time.Second: 15 * time.Second,
		40 * time.Second: 30 * time.Second, 172800 * time.Millisecond: 2 * time.Minute, 10 * time.Minute: 10 * time.Minute,
		20 * time.Hour: 6 * time.Hour, 400 * 24 * time.Hour: 365 * 24 * time.Hour,
	} {
		assert.Equal(t, want, roundInterval(in), "roundInterval(%s)", in)
	}

	for in, want := range map[string]string{
		"rate(x[$__rate_interval])":             "rate(x[2m2s])",
		"rate(x[${__rate_interval}])":           "rate(x[2m2s])",
		"rate(x[[[__interval]]])":               "rate(x[2m])",
		"increase(x[$__range])":                 "increase(x[2d])",
		"x * $__range_s + $__interval_ms":       "x * 172800 + 120000",
		"rate(x[${__interval:text}])":           "rate(x[2m])",
		"x > $__rate_interval_ms":               "x > 122000",
		"sum by (le) (x{job=\"$job\"})":         "sum by (le) (x{job=\"$job\"})", // a dashboard variable is not Grafana's
		"rate(x[$__unknown])":                   "rate(x[$__unknown])",           // left for the parser to name
		"rate(x[$__interval]) / $__interval_ms": "rate(x[2m]) / 120000",
	} {
		assert.Equal(t, want, v.Expand(in), "Expand(%s)", in)
	}
}

func TestPanelExpr(t *testing.T) {
	v := NewGrafanaVars(48*time.Hour, 1000, 2*time.Second)
	q, err := PanelExpr(`histogram_quantile(0.95, sum by (le) (rate(x_bucket[$__rate_interval])))`, v)
	require.NoError(t, err)
	assert.Equal(t, `histogram_quantile(0.95, sum by (le) (rate(x_bucket[2m2s])))`, q)

	for expr, says := range map[string]string{
		`rate(x[$__rate_interval]`:   "unclosed left parenthesis",
		`rate(x{job="$job"}[$oops])`: "$oops",
		`sum(rate(x[5m])) by`:        "unexpected end of input",
		`  `:                         "empty query",
	} {
		_, err := PanelExpr(expr, v)
		if assert.Error(t, err, expr) {
			assert.Contains(t, err.Error(), says, expr)
		}
	}
}

func TestRelativeRange(t *testing.T) {
	d, err := RelativeRange("now-48h", "now")
	require.NoError(t, err)
	assert.Equal(t, 48*time.Hour, d)
	d, err = RelativeRange("now-7d", "now-1d")
	require.NoError(t, err)
	assert.Equal(t, 6*24*time.Hour, d)
	for _, bad := range [][2]string{{"2026-11-27", "now"}, {"now", "now-1h"}, {"now-soon", "now"}} {
		_, err := RelativeRange(bad[0], bad[1])
		assert.Error(t, err, "%v", bad)
	}
}

// The fixture: every panel with a query parses once expanded, and the
// panels inside rows are read too.
func TestFixtureDashboardParses(t *testing.T) {
	d, err := FixtureDashboard()
	require.NoError(t, err)
	assert.Equal(t, stackfiles.DashboardUID, d.UID)
	assert.Equal(t, "now-48h", d.From)
	vars, err := DashboardVars(d)
	require.NoError(t, err)
	assert.Equal(t, 2*time.Second, DatasourceScrapeInterval(), "the provisioned datasource's scrape interval")
	assert.GreaterOrEqual(t, len(d.Panels), 15)
	for _, p := range d.Panels {
		assert.Equal(t, stackfiles.DatasourceUID, p.Datasource.UID, p.Title)
		for _, q := range p.Queries {
			_, err := PanelExpr(q.Expr, vars)
			assert.NoError(t, err, "panel %q", p.Title)
		}
	}
	nested, err := ParseDashboard([]byte(`{"uid":"u","time":{"from":"now-1h","to":"now"},"panels":[
		{"type":"row","title":"r","panels":[{"id":2,"title":"inner","datasource":{"uid":"prom"},"targets":[{"refId":"A","expr":"up"}]}]},
		{"id":3,"title":"text panel","type":"text"}]}`))
	require.NoError(t, err)
	require.Len(t, nested.Panels, 1)
	assert.Equal(t, "inner", nested.Panels[0].Title)
	_, err = ParseDashboard([]byte(`{"uid":"u","panels":[{"type":"text"}]}`))
	assert.Error(t, err, "a dashboard without queries judges nothing")
}

// promAnswers imitates Prometheus: each query gets one series, but the
// queries empty names (by substring), which get none.
func promAnswers(empty ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/targets":
			harnesstest.WriteJSON(w, 200, map[string]any{"status": "success", "data": map[string]any{"activeTargets": []any{}, "droppedTargets": []any{}}})
			return
		case "/api/v1/query":
		default:
			w.WriteHeader(404)
			return
		}
		_ = r.ParseForm()
		q := r.Form.Get("query")
		result := []any{map[string]any{"metric": map[string]string{"job": "genesis"}, "value": []any{time.Now().Unix(), "1"}}}
		for _, e := range empty {
			if strings.Contains(q, e) {
				result = []any{}
			}
		}
		harnesstest.WriteJSON(w, 200, map[string]any{"status": "success", "data": map[string]any{"resultType": "vector", "result": result}})
	}
}

func TestDashboardQueriesAnswer(t *testing.T) {
	const id = "TestDashboards/dashboard_queries_answer"
	genesis := body(200, "application/json", `{}`)
	s := harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Prometheus: promAnswers(), harness.Genesis: genesis})
	v := Evaluate(context.Background(), s, check(t, id))
	requirePass(t, v)

	s = harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Prometheus: promAnswers("genesis_spans_exported_total"), harness.Genesis: genesis})
	v = Evaluate(context.Background(), s, check(t, id))
	requireFail(t, v)
	msg := v.Err.Error()
	assert.Contains(t, msg, `panel "Spans exported per hour (target above 100 traces)": no data`, "names the panel")
	assert.Contains(t, msg, "sum(increase(genesis_spans_exported_total[1h]))", "and its query")
	assert.Contains(t, msg, "1 of ")

	// The variables are expanded before the query leaves.
	var mu sync.Mutex
	var sent []string
	recording := func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		mu.Lock()
		sent = append(sent, r.Form.Get("query"))
		mu.Unlock()
		promAnswers()(w, r)
	}
	s = harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Prometheus: http.HandlerFunc(recording), harness.Genesis: genesis})
	require.Equal(t, Pass, Evaluate(context.Background(), s, check(t, id)).Outcome)
	all := strings.Join(sent, "\n")
	assert.NotContains(t, all, "$__")
	assert.Contains(t, all, "[2m2s]")
}

// grafanaImitation answers the Grafana API the dashboard checks read:
// the datasource health, the fixture dashboard (provisioned) and the query
// API, one row per query. break_ changes one answer.
func grafanaImitation(t *testing.T, user, password string, breakIt func(w http.ResponseWriter, r *http.Request) bool) http.HandlerFunc {
	dashboard, err := fs.ReadFile(stackfiles.FS, stackfiles.GrafanaDashboard)
	require.NoError(t, err)
	return func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != password {
			harnesstest.WriteJSON(w, 401, map[string]string{"message": "Unauthorized"})
			return
		}
		if breakIt != nil && breakIt(w, r) {
			return
		}
		switch {
		case r.URL.Path == "/api/datasources/uid/prometheus/health":
			harnesstest.WriteJSON(w, 200, map[string]string{"status": "OK", "message": "Successfully queried the Prometheus API."})
		case r.URL.Path == "/api/dashboards/uid/genesis-48h":
			harnesstest.WriteJSON(w, 200, map[string]any{"dashboard": json.RawMessage(dashboard), "meta": map[string]any{"provisioned": true}})
		case r.URL.Path == "/api/ds/query" && r.Method == http.MethodPost:
			var req harness.GrafanaQueryRequest
			require.NoError(t, json.NewDecoder(r.Body).Decode(&req))
			results := map[string]any{}
			for _, q := range req.Queries {
				results[q.RefID] = map[string]any{"status": 200, "frames": []any{map[string]any{
					"schema": map[string]any{"fields": []any{map[string]any{"name": "Time", "type": "time"}, map[string]any{"name": "Value", "type": "number"}}},
					"data":   map[string]any{"values": []any{[]int64{time.Now().UnixMilli()}, []float64{1}}}}}}
			}
			harnesstest.WriteJSON(w, 200, map[string]any{"results": results})
		default:
			harnesstest.WriteJSON(w, 404, map[string]string{"message": "Not found"})
		}
	}
}

func TestGrafanaChecks(t *testing.T) {
	const user, password = "viewer", "s3cret-grafana-Password"
	env := map[string]string{harness.Env.GrafanaUser: user, harness.Env.GrafanaPassword: password}
	run := func(t *testing.T, id string, breakIt func(w http.ResponseWriter, r *http.Request) bool) Verdict {
		s := harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Grafana: grafanaImitation(t, user, password, breakIt)}, harnesstest.Env(env))
		v := Evaluate(context.Background(), s, check(t, id))
		if v.Err != nil {
			assert.NotContains(t, v.Err.Error(), password, "Grafana's password is never printed")
		}
		return v
	}
	for _, id := range []string{"TestDashboards/datasource_healthy", "TestDashboards/dashboard_provisioned", "TestDashboards/panels_via_grafana"} {
		v := run(t, id, nil)
		assert.Equal(t, Pass, v.Outcome, "%s on a healthy Grafana: %v", id, v.Err)
	}
	on := func(path string, status int, body string) func(w http.ResponseWriter, r *http.Request) bool {
		return func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path != path {
				return false
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
			return true
		}
	}
	dashboard, err := fs.ReadFile(stackfiles.FS, stackfiles.GrafanaDashboard)
	require.NoError(t, err)
	stale := strings.Replace(string(dashboard), `"title": "Circuit breaker state"`, `"title": "Breakers"`, 1)
	require.NotEqual(t, string(dashboard), stale)
	changed := strings.Replace(string(dashboard), `max by (breaker) (genesis_circuit_breaker_state)`, `genesis_circuit_breaker_state`, 1)
	require.NotEqual(t, string(dashboard), changed)
	cases := []struct {
		name, id string
		breakIt  func(w http.ResponseWriter, r *http.Request) bool
		says     []string
	}{
		{"datasource failing", "TestDashboards/datasource_healthy",
			on("/api/datasources/uid/prometheus/health", 400, `{"status":"ERROR","message":"dial tcp: lookup prometheus: no such host"}`),
			[]string{"status 400", `datasource status "ERROR"`, "no such host", "/api/datasources/uid/prometheus/health"}},
		{"dashboard not found", "TestDashboards/dashboard_provisioned",
			on("/api/dashboards/uid/genesis-48h", 404, `{"message":"Dashboard not found"}`), []string{"status 404", "genesis-48h"}},
		{"panel renamed away", "TestDashboards/dashboard_provisioned",
			on("/api/dashboards/uid/genesis-48h", 200, `{"dashboard":`+stale+`,"meta":{"provisioned":true}}`), []string{`panels missing: "Circuit breaker state"`}},
		{"query changed", "TestDashboards/dashboard_provisioned",
			on("/api/dashboards/uid/genesis-48h", 200, `{"dashboard":`+changed+`,"meta":{"provisioned":true}}`), []string{`panel "Circuit breaker state" lacks query max by (breaker)`}},
		{"hand-made copy", "TestDashboards/dashboard_provisioned",
			on("/api/dashboards/uid/genesis-48h", 200, `{"dashboard":`+string(dashboard)+`,"meta":{"provisioned":false}}`), []string{"meta.provisioned is false"}},
		{"query API down", "TestDashboards/panels_via_grafana",
			on("/api/ds/query", 502, `{"message":"Bad Gateway"}`), []string{"status 502"}},
		{"query errors", "TestDashboards/panels_via_grafana",
			on("/api/ds/query", 400, `{"results":{"A":{"status":500,"error":"dial tcp: no such host"}}}`), []string{"error: dial tcp: no such host", `panel "HTDAG decomposition P95`}},
		{"no data", "TestDashboards/panels_via_grafana",
			on("/api/ds/query", 200, `{"results":{"A":{"status":200,"frames":[{"schema":{"fields":[]},"data":{"values":[]}}]},"B":{"status":200,"frames":[]}}}`),
			[]string{"no data", `panel "HTDAG decomposition P95`}},
		{"wrong credentials", "TestDashboards/datasource_healthy",
			func(w http.ResponseWriter, r *http.Request) bool {
				harnesstest.WriteJSON(w, 401, map[string]string{"message": "invalid username or password"})
				return true
			}, []string{"status 401", harness.Env.GrafanaUser}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := run(t, c.id, c.breakIt)
			requireFail(t, v)
			for _, s := range c.says {
				assert.Contains(t, v.Err.Error(), s)
			}
		})
	}
}

func TestGrafanaChecksWithoutGrafana(t *testing.T) {
	s := harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Prometheus: promAnswers()})
	for _, id := range []string{"TestDashboards/datasource_healthy", "TestDashboards/dashboard_provisioned", "TestDashboards/panels_via_grafana"} {
		v := Evaluate(context.Background(), s, check(t, id))
		assert.Equal(t, NotApplicable, v.Outcome, "%s: %v", id, v.Err)
		assert.Contains(t, Reason(v.Err), "Grafana", id)
	}
}

func TestPanelsViaGrafanaOutsidePartC(t *testing.T) {
	const user, password = "viewer", "pw"
	s := harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Grafana: grafanaImitation(t, user, password, nil)}, harnesstest.Env(map[string]string{harness.Env.GrafanaUser: user, harness.Env.GrafanaPassword: password}))
	v := Evaluate(context.Background(), s.WithProfile(harness.ProfileA2A, "declared"), check(t, "TestDashboards/panels_via_grafana"))
	assert.Equal(t, NotApplicable, v.Outcome, "%v", v.Err)
	assert.Contains(t, Reason(v.Err), "part C")
}

func TestNeedsTwoSamples(t *testing.T) {
	for expr, want := range map[string]bool{
		`sum(rate(x[2m]))`:           true,
		`sum(increase(x_total[1d]))`: true,
		`histogram_quantile(0.95, sum by (le) (irate(x_bucket[1m])))`:   true,
		`max(genesis_agents_registered)`:                                false,
		`sum(sum_over_time(scrape_samples_scraped{job="genesis"}[1h]))`: false,
		`up`:    false,
		`rate(`: false,
	} {
		assert.Equal(t, want, needsTwoSamples(expr), expr)
	}
}
