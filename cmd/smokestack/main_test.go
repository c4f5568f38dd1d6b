package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/checks"
	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/verdict"
)

const pkg = "github.com/smokestack-dev/smokestack/smoke"

// stream is a go test -json stream of one smoke binary: its plan, then each
// check ending as outcomes says ("pass", "fail", "na", "killed"), then the
// package's result ("" for none: a cut stream).
func stream(outcomes map[string]string, critical map[string]bool, result string) string {
	var b strings.Builder
	ev := func(action, test, out string) {
		line, _ := json.Marshal(verdict.Event{Action: action, Package: pkg, Test: test, Output: out})
		b.Write(line)
		b.WriteByte('\n')
	}
	ids := make([]string, 0, len(outcomes))
	for id := range outcomes {
		ids = append(ids, id)
	}
	// Deterministic order.
	for i := range ids {
		for j := i + 1; j < len(ids); j++ {
			if ids[j] < ids[i] {
				ids[i], ids[j] = ids[j], ids[i]
			}
		}
	}
	p := checks.Plan{Begin: checks.PlanLine{Kind: checks.PlanBegin, Suite: "smoke", SuiteChecks: len(ids), Checks: len(ids)}}
	for _, id := range ids {
		plan := checks.PlanJudge
		if outcomes[id] == "na" {
			plan = checks.PlanNotApplicable
		}
		p.Checks = append(p.Checks, checks.PlanLine{Kind: checks.PlanCheck, ID: id, Critical: critical[id], Plan: plan})
	}
	ev("start", "", "")
	ev("output", "", "smokestack: live stack genesis=http://127.0.0.1:8080 (ready in 0s)\n")
	for _, l := range p.Lines() {
		ev("output", "", l+"\n")
	}
	for _, id := range ids {
		ev("run", id, "")
		ev("output", id, "=== RUN   "+id+"\n")
		switch outcomes[id] {
		case "pass":
			ev("pass", id, "")
		case "fail":
			ev("output", id, "    check.go:273: "+id+" on A2A service: want status 200, got status 503\n")
			ev("fail", id, "")
		case "na":
			ev("output", id, "    check.go:262: NOT APPLICABLE: Grafana is not part of this live target\n")
			ev("skip", id, "")
		}
	}
	if result != "" {
		ev(result, "", "")
	}
	return b.String()
}

func gateRun(t *testing.T, in string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := runGate(args, strings.NewReader(in), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestGateExitCodes(t *testing.T) {
	healthy := map[string]string{"TestInfrastructure/a2a_health": "pass", "TestInfrastructure/grafana_health": "na", "TestAgentCatalogue/a2a_card": "pass"}
	critical := map[string]bool{"TestInfrastructure/a2a_health": true}

	code, out, _ := gateRun(t, stream(healthy, critical, "pass"))
	assert.Equal(t, 0, code, out)
	assert.True(t, strings.HasPrefix(out, "GATE PASS: 2/2 checks passed (100.0%), 0 failed, 1 not applicable, 0 not judged, 0 missing\n"), out)
	assert.Contains(t, out, "NOT APPLICABLE TestInfrastructure/grafana_health: Grafana is not part of this live target")

	failing := map[string]string{"TestInfrastructure/a2a_health": "fail", "TestInfrastructure/grafana_health": "na", "TestAgentCatalogue/a2a_card": "killed"}
	code, out, _ = gateRun(t, stream(failing, critical, "fail"))
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "because critical check TestInfrastructure/a2a_health failed")

	killed := map[string]string{"TestInfrastructure/a2a_health": "pass", "TestAgentCatalogue/a2a_card": "killed"}
	code, out, _ = gateRun(t, stream(killed, critical, ""))
	assert.Equal(t, 3, code, out)
	assert.Contains(t, out, "MISSING        TestAgentCatalogue/a2a_card: started but never ended")

	// -all: any failure fails.
	nonCritical := map[string]string{"TestInfrastructure/a2a_health": "pass", "TestAgentCatalogue/a2a_card": "fail"}
	for i := 0; i < 30; i++ {
		nonCritical["TestAgentInvoke/c"+string(rune('a'+i%26))+string(rune('a'+i/26))] = "pass"
	}
	code, out, _ = gateRun(t, stream(nonCritical, critical, "fail"))
	assert.Equal(t, 0, code, "31/32 is within 95%%: %s", out)
	code, _, _ = gateRun(t, stream(nonCritical, critical, "fail"), "-all")
	assert.Equal(t, 1, code)
}

// A binary that could not run: HOLD, quoting its error line.
func TestGateQuotesTheErrorLine(t *testing.T) {
	in := `{"Time":"2026-11-30T23:19:33.684491941Z","Action":"start","Package":"github.com/smokestack-dev/smokestack/smoke"}
{"Time":"2026-11-30T23:19:33.693530763Z","Action":"output","Package":"github.com/smokestack-dev/smokestack/smoke","Output":"smokestack: TESTCONTAINERS_HOST_OVERRIDE=host.docker.internal\n"}
{"Time":"2026-11-30T23:19:33.693530763Z","Action":"output","Package":"github.com/smokestack-dev/smokestack/smoke","Output":"smokestack: error: configuration: SMOKE_A2A_ULR is not a smokestack variable; did you mean SMOKE_A2A_URL?\n"}
{"Time":"2026-11-30T23:19:33.694356945Z","Action":"output","Package":"github.com/smokestack-dev/smokestack/smoke","Output":"FAIL\tgithub.com/smokestack-dev/smokestack/smoke\t0.010s\n"}
{"Time":"2026-11-30T23:19:33.694374804Z","Action":"fail","Package":"github.com/smokestack-dev/smokestack/smoke","Elapsed":0.01}
`
	code, out, _ := gateRun(t, in)
	assert.Equal(t, 3, code, out)
	assert.Contains(t, out, "because package smoke failed outside its tests: smokestack: error: configuration: SMOKE_A2A_ULR is not a smokestack variable; did you mean SMOKE_A2A_URL?\n")
	assert.NotContains(t, out, "TESTCONTAINERS_HOST_OVERRIDE")
}

// Input without go test -json events, or none at all: exit 2 with the hint.
func TestGateWithoutJSONIsAUsageError(t *testing.T) {
	for _, in := range []string{"", "=== RUN   TestInfrastructure\n--- PASS: TestInfrastructure (0.00s)\nPASS\nok  \tsmoke\t0.1s\n"} {
		code, out, errOut := gateRun(t, in)
		assert.Equal(t, 2, code)
		assert.Empty(t, out)
		assert.Equal(t, "smokestack gate: no go test -json events in the input: did you forget -json? (go test -json ./smoke | smokestack gate)\n", errOut)
	}
	code, _, _ := gateRun(t, "", "/no/such/file.json")
	assert.Equal(t, 2, code)
	code, _, _ = gateRun(t, "", "-min-pass-rate", "95")
	assert.Equal(t, 2, code, "a rate is a share: 0.95, not 95")
	code, _, _ = gateRun(t, "", "-no-such-flag")
	assert.Equal(t, 2, code)
}

// roundsOf runs rounds with scripted decisions and no waiting.
func roundsOf(ctx context.Context, stopOnRollback bool, ds ...verdict.Decision) (roundsResult, int) {
	ran := 0
	r := rounds(ctx, len(ds), time.Hour, stopOnRollback, func(context.Context, int) verdict.Decision {
		ran++
		return ds[ran-1]
	}, func(ctx context.Context, _ time.Duration) error { return ctx.Err() })
	return r, ran
}

// (k) The worst round decides, not the last; -stop-on-rollback ends the run
// at the first ROLLBACK.
func TestMonitorRounds(t *testing.T) {
	ctx := context.Background()
	r, ran := roundsOf(ctx, false, verdict.Ship, verdict.Rollback, verdict.Ship)
	assert.Equal(t, 3, ran)
	assert.Equal(t, verdict.Rollback, r.Worst, "a ROLLBACK round is not undone by a later SHIP")
	assert.Equal(t, 1, r.Worst.ExitCode())

	r, _ = roundsOf(ctx, false, verdict.Hold, verdict.Ship)
	assert.Equal(t, verdict.Hold, r.Worst)
	assert.Equal(t, 3, r.Worst.ExitCode())

	r, _ = roundsOf(ctx, false, verdict.Ship, verdict.Ship)
	assert.Equal(t, verdict.Ship, r.Worst)
	assert.Equal(t, 0, r.Worst.ExitCode())

	r, ran = roundsOf(ctx, true, verdict.Hold, verdict.Rollback, verdict.Ship, verdict.Ship)
	assert.Equal(t, 2, ran, "-stop-on-rollback: no round after the first ROLLBACK")
	assert.Equal(t, verdict.Rollback, r.Worst)
	assert.True(t, r.Stopped)
	assert.Contains(t, r.String(4), "MONITOR: ROLLBACK, the worst of 2 of 4 rounds [HOLD ROLLBACK]; stopped at the first ROLLBACK")

	r, ran = roundsOf(ctx, true, verdict.Ship, verdict.Hold)
	assert.Equal(t, 2, ran)
	assert.Equal(t, verdict.Hold, r.Worst)
}

// An interrupted run stops at once and is HOLD at best; the round in
// flight when the signal came does not count.
func TestMonitorInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ran := 0
	r := rounds(ctx, 5, time.Hour, false, func(ctx context.Context, i int) verdict.Decision {
		ran++
		if i == 1 {
			cancel() // Ctrl-C during the second round
			return verdict.Rollback
		}
		return verdict.Ship
	}, func(ctx context.Context, _ time.Duration) error { return ctx.Err() })
	assert.Equal(t, 2, ran)
	assert.True(t, r.Interrupted)
	assert.Equal(t, []verdict.Decision{verdict.Ship}, r.Decisions)
	assert.Equal(t, verdict.Hold, r.Worst)

	// The wait between rounds ends with the signal, not after -every.
	ctx, cancel = context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	start := time.Now()
	r = rounds(ctx, 3, time.Hour, false, func(context.Context, int) verdict.Decision { return verdict.Rollback }, sleep)
	assert.Less(t, time.Since(start), 10*time.Second)
	assert.True(t, r.Interrupted)
	assert.Equal(t, verdict.Rollback, r.Worst, "an interrupted run keeps the ROLLBACK it saw")
}

func TestSleep(t *testing.T) {
	require.NoError(t, sleep(context.Background(), time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.Error(t, sleep(ctx, time.Hour))
}

// fakePrometheus answers every query with one sample.
func fakePrometheus(t *testing.T, value string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"%s"]}]}}`, value)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func verdictRun(t *testing.T, in string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := runVerdict(args, strings.NewReader(in), &out, &errOut)
	return code, out.String(), errOut.String()
}

// smokestack verdict needs Prometheus only, even when SMOKE_TARGET=live
// would otherwise require the whole stack's URLs.
func TestVerdictNeedsOnlyPrometheus(t *testing.T) {
	t.Setenv("SMOKE_TARGET", "live")
	t.Setenv("SMOKE_PROMETHEUS_URL", fakePrometheus(t, "0.001"))
	critical := map[string]bool{"TestInfrastructure/a2a_health": true}
	healthy := map[string]string{"TestInfrastructure/a2a_health": "pass", "TestAgentCatalogue/a2a_card": "pass"}
	code, out, errOut := verdictRun(t, stream(healthy, critical, "pass"))
	assert.Equal(t, 0, code, out+errOut)
	assert.True(t, strings.HasPrefix(out, "VERDICT: SHIP\n  GATE PASS: 2/2"), out)

	failing := map[string]string{"TestInfrastructure/a2a_health": "fail", "TestAgentCatalogue/a2a_card": "pass"}
	code, out, _ = verdictRun(t, stream(failing, critical, "fail"))
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "VERDICT: ROLLBACK")

	killed := map[string]string{"TestInfrastructure/a2a_health": "pass", "TestAgentCatalogue/a2a_card": "killed"}
	code, out, _ = verdictRun(t, stream(killed, critical, ""))
	assert.Equal(t, 3, code, out)
	assert.Contains(t, out, "VERDICT: HOLD")

	broken := `{"Action":"output","Package":"example.com/smoke","Output":"smokestack: TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1\n"}
{"Action":"output","Package":"example.com/smoke","Output":"smokestack: error: cannot get the live stack: required components without a URL\n"}
{"Action":"fail","Package":"example.com/smoke"}
`
	code, out, _ = verdictRun(t, broken)
	assert.Equal(t, 3, code, out)
	assert.Contains(t, out, "because package smoke failed outside its tests: smokestack: error: cannot get the live stack: required components without a URL\n")
	assert.NotContains(t, out, "TESTCONTAINERS_HOST_OVERRIDE")

	t.Setenv("SMOKE_PROMETHEUS_URL", fakePrometheus(t, "0.9"))
	code, out, _ = verdictRun(t, stream(healthy, critical, "pass"))
	assert.Equal(t, 1, code, "a fired trigger rolls back: %s", out)
}

// The input is read before Prometheus is asked: no -json is exit 2 with
// the hint even where no Prometheus is configured.
func TestVerdictReadsTheInputFirst(t *testing.T) {
	t.Setenv("SMOKE_PROMETHEUS_URL", "")
	code, out, errOut := verdictRun(t, "ok  \tsmoke\t0.1s\n")
	assert.Equal(t, 2, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "did you forget -json? (go test -json ./smoke | smokestack gate)")

	critical := map[string]bool{}
	code, _, errOut = verdictRun(t, stream(map[string]string{"TestA/b": "pass"}, critical, "pass"))
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "the rollback triggers are read from Prometheus: set SMOKE_PROMETHEUS_URL")
}

func TestVerdictConfig(t *testing.T) {
	t.Setenv("SMOKE_TARGET", "live")
	t.Setenv("SMOKE_PROMETHEUS_URL", "http://127.0.0.1:9090")
	cfg, err := verdictConfig()
	require.NoError(t, err, "live mode with Prometheus alone is enough")
	assert.Equal(t, []harness.Component{harness.Prometheus}, cfg.Require)

	t.Setenv("SMOKE_PROMETHEUS_URL", "not a url")
	_, err = verdictConfig()
	assert.ErrorContains(t, err, "SMOKE_PROMETHEUS_URL=")

	t.Setenv("SMOKE_PROMETHEUS_URL", "")
	t.Setenv("SMOKE_CONFIG", "/no/such/file.env")
	_, err = verdictConfig()
	assert.ErrorContains(t, err, "/no/such/file.env", "an unreadable configuration file says so")
}
