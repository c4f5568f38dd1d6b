package verdict

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/harness"
)

// stream writes a go test -json stream: n checks of which the listed ones
// fail and the skipped ones skip, all as subtests of TestGroup.
func stream(n int, fail, skip map[int]bool) string {
	var b strings.Builder
	ev := func(action, test, out string) {
		line, _ := json.Marshal(Event{Action: action, Package: "smoke", Test: test, Output: out})
		b.Write(line)
		b.WriteByte('\n')
	}
	ev("run", "TestGroup", "")
	parentFails := false
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("TestGroup/check_%02d", i)
		ev("run", name, "")
		ev("output", name, "=== RUN   "+name+"\n")
		switch {
		case fail[i]:
			ev("output", name, "    check.go:165: "+name+" on A2A service: want status 200, got status 503\n")
			ev("output", name, "--- FAIL: "+name+"\n")
			ev("fail", name, "")
			parentFails = true
		case skip[i]:
			ev("output", name, "    check.go:153: Grafana is off in this stack\n")
			ev("skip", name, "")
		default:
			ev("pass", name, "")
		}
	}
	if parentFails {
		ev("fail", "TestGroup", "")
		ev("fail", "", "")
	} else {
		ev("pass", "TestGroup", "")
		ev("pass", "", "")
	}
	return b.String()
}

func judge(t *testing.T, in string, g Gate) GateResult {
	run, err := Parse(strings.NewReader("go: downloading something\n" + in))
	require.NoError(t, err)
	return g.Judge(run)
}

func TestGatePassRate(t *testing.T) {
	g := Gate{MinPassRate: 0.95}
	r := judge(t, stream(25, nil, nil), g)
	assert.True(t, r.OK, r.Reasons)
	assert.Equal(t, 25, r.Passed, "leaves are counted, not the parent test")

	r = judge(t, stream(25, map[int]bool{3: true}, nil), g)
	assert.True(t, r.OK, "24/25 = 96%% passes the 95%% rule: %v", r.Reasons)
	require.Len(t, r.Failures, 1)
	assert.Equal(t, "TestGroup/check_03 on A2A service: want status 200, got status 503", r.Failures[0].Headline)

	r = judge(t, stream(25, map[int]bool{3: true, 7: true}, nil), g)
	assert.False(t, r.OK, "23/25 = 92% is below 95%")
	assert.Contains(t, r.Summary(), "GATE FAIL: 23/25")

	r = judge(t, stream(25, map[int]bool{3: true}, nil), Gate{MinPassRate: 0.95, RequireAll: true})
	assert.False(t, r.OK, "the critical rule wants every check")

	r = judge(t, stream(25, nil, map[int]bool{0: true, 1: true}), g)
	assert.True(t, r.OK)
	assert.Equal(t, 2, r.Skipped, "skips are reported, not counted as failures")
	assert.Equal(t, 23, r.Passed)
}

func TestGateNeverPassesWithoutEvidence(t *testing.T) {
	g := Gate{MinPassRate: 0.95}
	r := judge(t, "", g)
	assert.False(t, r.OK, "an empty stream is not a pass")
	r = judge(t, stream(3, nil, map[int]bool{0: true, 1: true, 2: true}), g)
	assert.False(t, r.OK, "all skipped: nothing was judged")

	broken := `{"Action":"output","Package":"smoke","Output":"smokestack: cannot get the ephemeral stack: no Docker engine\n"}
{"Action":"output","Package":"smoke","Output":"FAIL\tsmoke\t0.01s\n"}
{"Action":"fail","Package":"smoke"}
` + stream(25, nil, nil)
	r = judge(t, broken, g)
	assert.False(t, r.OK, "a package that broke outside its tests fails the gate")
	assert.Contains(t, strings.Join(r.Reasons, " "), "no Docker engine")
}

// prom imitates Prometheus' query API answering each expression by a rule.
func prom(t *testing.T, answer func(q string) string) harness.PrometheusClient {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[%s]}}`, answer(r.Form.Get("query")))
	}))
	t.Cleanup(srv.Close)
	cfg, err := harness.LoadConfig(func(k string) (string, bool) {
		m := map[string]string{"SMOKE_TARGET": "live", "SMOKE_PROMETHEUS_URL": srv.URL}
		v, ok := m[k]
		return v, ok
	})
	require.NoError(t, err)
	s, err := harness.Attach(cfg)
	require.NoError(t, err)
	return s.Prometheus()
}

func sample(v string) string { return `{"metric":{},"value":[1700000000,"` + v + `"]}` }

func TestDecide(t *testing.T) {
	ok := Gate{MinPassRate: 0.95}.Judge(mustParse(t, stream(25, nil, nil)))
	bad := Gate{MinPassRate: 0.95}.Judge(mustParse(t, stream(25, map[int]bool{1: true, 2: true}, nil)))
	ctx := context.Background()
	healthy := prom(t, func(q string) string {
		if strings.Contains(q, "histogram_quantile") {
			return sample("0.12")
		}
		return sample("0.001")
	})
	r := Decide(ok, ReadTriggersE(ctx, healthy, Triggers("5m")))
	assert.Equal(t, Ship, r.Decision, r.String())

	slow := prom(t, func(q string) string {
		if strings.Contains(q, "histogram_quantile") {
			return sample("0.73")
		}
		return sample("0.001")
	})
	r = Decide(ok, ReadTriggersE(ctx, slow, Triggers("5m")))
	assert.Equal(t, Rollback, r.Decision)
	assert.Contains(t, r.String(), "p95 latency > 500ms: observed 730ms")

	erroring := prom(t, func(q string) string {
		if strings.Contains(q, "histogram_quantile") {
			return sample("0.1")
		}
		return sample("0.05")
	})
	r = Decide(ok, ReadTriggersE(ctx, erroring, Triggers("5m")))
	assert.Equal(t, Rollback, r.Decision)
	assert.Contains(t, r.String(), "error rate > 1%: observed 5.00%")

	silent := prom(t, func(q string) string { return sample("NaN") })
	r = Decide(ok, ReadTriggersE(ctx, silent, Triggers("5m")))
	assert.Equal(t, Hold, r.Decision, "no traffic in the window is no evidence: hold, do not ship")

	r = Decide(bad, ReadTriggersE(ctx, healthy, Triggers("5m")))
	assert.Equal(t, Rollback, r.Decision, "pass rate under 95% rolls back")
}

func mustParse(t *testing.T, s string) Run {
	run, err := Parse(strings.NewReader(s))
	require.NoError(t, err)
	return run
}

func TestGateCriticalFailureFailsWhateverTheRate(t *testing.T) {
	critical := func(test string) bool { return test == "TestGroup/check_03" }
	r := judge(t, stream(40, map[int]bool{3: true}, nil), Gate{MinPassRate: 0.95, Critical: critical})
	assert.False(t, r.OK, "39/40 is above 95%%, but a critical check failed")
	assert.Contains(t, strings.Join(r.Reasons, " "), "critical check TestGroup/check_03 failed")
	r = judge(t, stream(40, map[int]bool{5: true}, nil), Gate{MinPassRate: 0.95, Critical: critical})
	assert.True(t, r.OK, "a non-critical failure within the rate passes: %v", r.Reasons)
}
