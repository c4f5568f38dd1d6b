package checks

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	stackfiles "github.com/smokestack-dev/smokestack/fixtures/stack"
	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/harness/harnesstest"
)

func selectorTexts(t *testing.T, expr string) []string {
	t.Helper()
	sels, err := RuleSelectors(expr)
	require.NoError(t, err, expr)
	var out []string
	for _, s := range sels {
		out = append(out, s.Text)
	}
	return out
}

func TestRuleSelectors(t *testing.T) {
	cases := []struct {
		expr string
		want []string
	}{
		{"up == 0", []string{"up"}},
		{"vector(1)", nil},
		// Each once, in order; ranges, offsets and @ are not part of a selector.
		{`sum(rate(genesis_http_requests_total{code=~"5.."}[5m])) / sum(rate(genesis_http_requests_total[5m] offset 1m)) > 0.01`,
			[]string{`genesis_http_requests_total{code=~"5.."}`, "genesis_http_requests_total"}},
		{`histogram_quantile(0.95, sum by (le) (rate(x_bucket{job="a"}[5m]))) > 0.2 and on() x_bucket{job="a"} @ 1700000000`,
			[]string{`x_bucket{job="a"}`}},
		// Subqueries and nested functions.
		{`max_over_time(rate(node_cpu_seconds_total{mode="idle"}[1m])[10m:1m])`, []string{`node_cpu_seconds_total{mode="idle"}`}},
		// A selector without a metric name.
		{`count({__name__=~"genesis_.+", job="genesis"})`, []string{`{__name__=~"genesis_.+",job="genesis"}`}},
		// absent() asks whether a series is missing: its selector may not exist.
		{`absent(up{job="genesis"}) or absent_over_time(genesis_build_info[5m]) or genesis_agents_loaded < 1`,
			[]string{"genesis_agents_loaded"}},
		// The seed's defect is found like any other selector.
		{`sum(rate(genesis_tests_total_total{status="passed"}[5m])) / sum(rate(genesis_tests_total_total[5m])) < 0.95`,
			[]string{`genesis_tests_total_total{status="passed"}`, "genesis_tests_total_total"}},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, selectorTexts(t, c.expr), c.expr)
	}
	_, err := RuleSelectors("sum(rate(up[5m])")
	assert.Error(t, err, "an expression that does not parse is an error")

	sels, err := RuleSelectors(`node_filesystem_avail_bytes{fstype!~"tmpfs|overlay",mountpoint="/"}`)
	require.NoError(t, err)
	require.Len(t, sels, 1)
	assert.Equal(t, "node_filesystem_avail_bytes", sels[0].Metric)
	require.Len(t, sels[0].Matchers, 2, "the metric name is not among the matchers")
}

// Every rule the stack ships parses with Prometheus' parser, and every
// rule but the Watchdog selects series.
func TestRuleSelectorsOfTheStackRules(t *testing.T) {
	for _, f := range []string{stackfiles.AlertRules, stackfiles.BrokenRulesMissingSeries} {
		b, err := stackfiles.FS.ReadFile(f)
		require.NoError(t, err)
		var rf struct {
			Groups []struct {
				Rules []struct {
					Alert string `yaml:"alert"`
					Expr  string `yaml:"expr"`
				} `yaml:"rules"`
			} `yaml:"groups"`
		}
		require.NoError(t, yaml.Unmarshal(b, &rf))
		n := 0
		for _, g := range rf.Groups {
			for _, r := range g.Rules {
				n++
				sels, err := RuleSelectors(r.Expr)
				require.NoError(t, err, "%s: %s", f, r.Alert)
				if r.Alert == WatchdogAlert {
					assert.Empty(t, sels, "the Watchdog depends on no series")
				} else {
					assert.NotEmpty(t, sels, "%s: %s selects nothing", f, r.Alert)
				}
			}
		}
		assert.NotZero(t, n, f)
	}
}

func mustSelector(t *testing.T, expr string) RuleSelector {
	t.Helper()
	sels, err := RuleSelectors(expr)
	require.NoError(t, err)
	require.Len(t, sels, 1)
	return sels[0]
}

func TestJudgeSelector(t *testing.T) {
	series := []string{"__name__", "code", "instance", "job", "route"}
	cases := []struct {
		name         string
		expr         string
		full, byName []string
		ok           bool
		why          string
	}{
		{"matches now", `genesis_http_requests_total{code=~"5.."}`, series, nil, true, ""},
		// No 5xx yet is not a defect: the label exists, its values will come.
		{"values not seen yet", `genesis_http_requests_total{code=~"5.."}`, nil, series, true, ""},
		{"the seed's defect", `genesis_tests_total_total{status="passed"}`, nil, nil, false, "no series named genesis_tests_total_total exists"},
		{"a label never exported", `genesis_http_requests_total{status="500"}`, nil, series, false, "none has the label status"},
		// A matcher that matches the empty label requires nothing.
		{"negative matchers require nothing", `genesis_http_requests_total{tier!="x",zone!~"a|b"}`, nil, series, true, ""},
		{"no metric name", `{__name__=~"nothing_.+"}`, nil, nil, false, "no series matches it"},
	}
	for _, c := range cases {
		ok, why := JudgeSelector(mustSelector(t, c.expr), c.full, c.byName)
		assert.Equal(t, c.ok, ok, c.name)
		if c.why != "" {
			assert.Contains(t, why, c.why, c.name)
		}
	}
}

func TestRuleProblems(t *testing.T) {
	rules, err := stackfiles.FS.ReadFile(stackfiles.AlertRules)
	require.NoError(t, err)
	const file = "/etc/prometheus/rules/genesis.rules.yml"
	configured, err := ConfiguredGroups(map[string][]byte{file: rules})
	require.NoError(t, err)

	// What Prometheus would answer for exactly those rules, all healthy.
	var loaded []v1.RuleGroup
	for _, g := range configured {
		rg := v1.RuleGroup{Name: g.Name, File: file}
		for _, r := range g.Rules {
			rg.Rules = append(rg.Rules, v1.AlertingRule{Name: r, Health: "ok"})
		}
		loaded = append(loaded, rg)
	}
	problems, unknown := RuleProblems(loaded, configured)
	assert.Empty(t, problems)
	assert.Zero(t, unknown)

	// A group missing, a rule missing, an error, a rule not evaluated yet.
	broken := append([]v1.RuleGroup{}, loaded[1:]...)
	broken[0].Rules = append(v1.Rules{}, broken[0].Rules[1:]...)
	broken[1].Rules = append(v1.Rules{v1.RecordingRule{Name: "x:y", Health: "err", LastError: "vector contains metrics with the same labelset after applying rule labels"}},
		v1.AlertingRule{Name: "Fresh", Health: "unknown"})
	problems, unknown = RuleProblems(broken, configured)
	all := strings.Join(problems, "\n")
	assert.Contains(t, all, "group "+configured[0].Name+" of "+file+" not loaded")
	assert.Contains(t, all, "rule "+configured[1].Rules[0]+" of group "+configured[1].Name)
	assert.Contains(t, all, "same labelset")
	assert.Equal(t, 1, unknown)

	problems, _ = RuleProblems(nil, nil)
	assert.Contains(t, strings.Join(problems, ""), "no rule group loaded", "nothing loaded fails: a check that checked nothing must not pass")
}

// promAPI imitates the Prometheus endpoints TestAlerting reads.
type promAPI struct {
	groups []map[string]any
	labels map[string][]string // selector -> label names
	reload bool
	alerts []map[string]any
	ams    []string
}

func (p *promAPI) handler(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var data any
		switch r.URL.Path {
		case "/api/v1/rules":
			data = map[string]any{"groups": p.groups}
		case "/api/v1/status/runtimeinfo":
			data = map[string]any{"reloadConfigSuccess": p.reload, "lastConfigTime": "2026-12-01T03:00:00Z"}
		case "/api/v1/labels":
			_ = r.ParseForm()
			sel := r.Form.Get("match[]")
			names := p.labels[sel]
			if names == nil {
				names = []string{}
			}
			data = names
		case "/api/v1/alerts":
			data = map[string]any{"alerts": p.alerts}
		case "/api/v1/alertmanagers":
			var active []map[string]string
			for _, u := range p.ams {
				active = append(active, map[string]string{"url": u})
			}
			data = map[string]any{"activeAlertmanagers": active, "droppedAlertmanagers": []any{}}
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		require.NoError(t, json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": data}))
	}
}

func rule(name, query, health, lastError string) map[string]any {
	return map[string]any{"type": "alerting", "name": name, "query": query, "health": health, "lastError": lastError, "alerts": []any{}}
}

func TestRuleSeriesExistAgainstAnImitation(t *testing.T) {
	p := &promAPI{reload: true,
		groups: []map[string]any{{"name": "seed.defect", "file": "/rules/seed.yml", "rules": []any{
			rule("GenesisTestPassRateLow", `sum(rate(genesis_tests_total_total{status="passed"}[5m])) / sum(rate(genesis_tests_total_total[5m])) < 0.95`, "ok", ""),
			rule("GenesisHighErrorRate", `sum(rate(genesis_http_requests_total{code=~"5.."}[5m])) > 0`, "ok", ""),
		}}},
		labels: map[string][]string{"genesis_http_requests_total": {"__name__", "code", "job"}},
	}
	s := harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Prometheus: p.handler(t)})
	v := Evaluate(t.Context(), s, check(t, "TestAlerting/rule_series_exist"))
	requireFail(t, v)
	msg := v.Err.Error()
	assert.Contains(t, msg, "rule seed.defect/GenesisTestPassRateLow (/rules/seed.yml) selects genesis_tests_total_total{status=\"passed\"} and genesis_tests_total_total: no series named genesis_tests_total_total exists")
	assert.NotContains(t, msg, "GenesisHighErrorRate", "no 5xx yet is not a missing series")

	// Healthy: the seed's rule gone.
	p.groups[0]["rules"] = p.groups[0]["rules"].([]any)[1:]
	v = Evaluate(t.Context(), s, check(t, "TestAlerting/rule_series_exist"))
	assert.Equal(t, Pass, v.Outcome, "%v", v.Err)

	// No rule at all is not a pass.
	p.groups = nil
	v = Evaluate(t.Context(), s, check(t, "TestAlerting/rule_series_exist"))
	assert.Equal(t, Fail, v.Outcome)
}

func TestRulesHealthyAgainstAnImitation(t *testing.T) {
	p := &promAPI{reload: true, groups: []map[string]any{{"name": "g", "file": "/r.yml", "rules": []any{rule("A", "up == 0", "ok", "")}}}}
	s := harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Prometheus: p.handler(t)})
	c := check(t, "TestAlerting/rules_healthy")
	v := Evaluate(t.Context(), s, c)
	assert.Equal(t, Pass, v.Outcome, "%v", v.Err)

	p.groups[0]["rules"] = []any{rule("A", "up == 0", "err", "many-to-many matching not allowed")}
	v = Evaluate(t.Context(), s, c)
	requireFail(t, v, "many-to-many matching not allowed")

	p.groups[0]["rules"] = []any{rule("A", "up == 0", "ok", "")}
	p.reload = false
	v = Evaluate(t.Context(), s, c)
	requireFail(t, v, "reloadConfigSuccess false")
}
