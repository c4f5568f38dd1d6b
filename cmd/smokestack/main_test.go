package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/checks"
	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/harness/harnesstest"
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

// wantExit runs one stream through the command line (gateRun, verdictRun)
// and holds it to an exit code and a line of its report, which it returns
// for more.
func wantExit(t *testing.T, run func(*testing.T, string, ...string) (int, string, string), in string, code int, want string) string {
	t.Helper()
	got, out, _ := run(t, in)
	assert.Equal(t, code, got, out)
	assert.Contains(t, out, want)
	return out
}

// readRecord is the JSON report a command wrote to path (-json).
func readRecord(t *testing.T, path string) verdict.Record {
	t.Helper()
	var rec verdict.Record
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &rec))
	return rec
}

// gateRun goes through the whole command line, as on-call types it.
func gateRun(t *testing.T, in string, args ...string) (int, string, string) {
	t.Helper()
	return cli(t, in, append([]string{"gate"}, args...)...)
}

func TestGateExitCodes(t *testing.T) {
	healthy := map[string]string{"TestInfrastructure/a2a_health": "pass", "TestInfrastructure/grafana_health": "na", "TestAgentCatalogue/a2a_card": "pass"}
	critical := map[string]bool{"TestInfrastructure/a2a_health": true}

	code, out, _ := gateRun(t, stream(healthy, critical, "pass"))
	assert.Equal(t, 0, code, out)
	assert.True(t, strings.HasPrefix(out, "GATE PASS: 2/2 checks passed (100.0%), 0 failed, 1 not applicable, 0 not judged, 0 missing\n"), out)
	assert.Contains(t, out, "NOT APPLICABLE TestInfrastructure/grafana_health: Grafana is not part of this live target")

	failing := map[string]string{"TestInfrastructure/a2a_health": "fail", "TestInfrastructure/grafana_health": "na", "TestAgentCatalogue/a2a_card": "killed"}
	wantExit(t, gateRun, stream(failing, critical, "fail"), 1, "because critical check TestInfrastructure/a2a_health failed")

	killed := map[string]string{"TestInfrastructure/a2a_health": "pass", "TestAgentCatalogue/a2a_card": "killed"}
	wantExit(t, gateRun, stream(killed, critical, ""), 3, "MISSING        TestAgentCatalogue/a2a_card: started but never ended")

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
	out := wantExit(t, gateRun, in, 3, "because package smoke failed outside its tests: smokestack: error: configuration: SMOKE_A2A_ULR is not a smokestack variable; did you mean SMOKE_A2A_URL?\n")
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
	srv := httptest.NewServer(harnesstest.PrometheusQuery(func(string) string { return harnesstest.Sample(value) }))
	t.Cleanup(srv.Close)
	return srv.URL
}

// verdictRun goes through the whole command line, as on-call types it.
func verdictRun(t *testing.T, in string, args ...string) (int, string, string) {
	t.Helper()
	return cli(t, in, append([]string{"verdict"}, args...)...)
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
	wantExit(t, verdictRun, stream(failing, critical, "fail"), 1, "VERDICT: ROLLBACK")

	killed := map[string]string{"TestInfrastructure/a2a_health": "pass", "TestAgentCatalogue/a2a_card": "killed"}
	wantExit(t, verdictRun, stream(killed, critical, ""), 3, "VERDICT: HOLD")

	broken := `{"Action":"output","Package":"example.com/smoke","Output":"smokestack: TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1\n"}
{"Action":"output","Package":"example.com/smoke","Output":"smokestack: error: cannot get the live stack: required components without a URL\n"}
{"Action":"fail","Package":"example.com/smoke"}
`
	out = wantExit(t, verdictRun, broken, 3, "because package smoke failed outside its tests: smokestack: error: cannot get the live stack: required components without a URL\n")
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

// cli runs the command line as main does, with its streams captured.
func cli(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, stdio{strings.NewReader(stdin), &out, &errOut})
	return code, out.String(), errOut.String()
}

var subcommands = []string{"up", "down", "image", "gate", "verdict", "monitor", "report", "rollback", "version"}

// Help that was asked for is not an error: exit 0, on stdout, listing the
// commands.
func TestHelpExitsZero(t *testing.T) {
	for _, h := range []string{"-h", "-help", "--help", "help"} {
		code, out, errOut := cli(t, "", h)
		assert.Equal(t, 0, code, h)
		assert.Empty(t, errOut, h)
		for _, sub := range subcommands {
			assert.Contains(t, out, "\n  "+sub+" ", "%s lists %s", h, sub)
		}
		assert.Contains(t, out, "3 HOLD")
	}
	code, out, errOut := cli(t, "")
	assert.Equal(t, 2, code, "no command is a usage error")
	assert.Empty(t, out)
	assert.Contains(t, errOut, "commands:")
	code, _, errOut = cli(t, "", "gates")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `unknown command "gates"`)
	code, _, errOut = cli(t, "", "help", "gates")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `unknown command "gates"`)
}

// Every subcommand's -h says what it does, its exit codes and an example,
// and exits 0 without doing anything: image -h builds nothing, down -h
// removes nothing, monitor -h watches nothing.
func TestSubcommandHelp(t *testing.T) {
	for _, sub := range subcommands {
		for _, args := range [][]string{{sub, "-h"}, {sub, "--help"}, {sub, "-help"}, {"help", sub}} {
			code, out, errOut := cli(t, "", args...)
			assert.Equal(t, 0, code, args)
			assert.Empty(t, errOut, "%v: help is not an error and does no work", args)
			assert.True(t, strings.HasPrefix(out, "usage: smokestack "+sub), "%v: %s", args, out)
			assert.Contains(t, out, "exit codes: 0", args)
			assert.Contains(t, out, "\nexample:\n  ", args)
		}
	}
	_, out, _ := cli(t, "", "gate", "-h")
	for _, want := range []string{"-min-pass-rate", "-all", "-json FILE", "-junit FILE", "0 PASS", "1 FAIL", "2 usage", "3 HOLD", "smokestack gate -all -junit smoke.xml -json smoke.json"} {
		assert.Contains(t, out, want)
	}
	_, out, _ = cli(t, "", "verdict", "-h")
	for _, want := range []string{"-window", "-json FILE", "0 SHIP", "1 ROLLBACK", "3 HOLD"} {
		assert.Contains(t, out, want)
	}
	_, out, _ = cli(t, "", "monitor", "-h")
	for _, want := range []string{"-log FILE", "-every", "-times", "-stop-on-rollback", "-json FILE", "-junit FILE", "0 SHIP", "3 HOLD", "smokestack report"} {
		assert.Contains(t, out, want)
	}
	_, out, _ = cli(t, "", "report", "-h")
	for _, want := range []string{"usage: smokestack report -log FILE -o DIR", "-log FILE", "-o DIR", "0 written", "2 usage", "line number",
		"smokestack report -log logs/production_health.log -o report"} {
		assert.Contains(t, out, want)
	}
	_, out, _ = cli(t, "", "rollback", "-h")
	for _, want := range []string{"-reason TEXT", "-who NAME", "-verdict FILE", "-log FILE", "-restore", "SMOKE_ALLOW_MUTATION=1", "SMOKE_ADMIN_KEY",
		"15-minute", "0 rolled back", "1 FAILED", "3 rolled back, but", "smokestack rollback -reason"} {
		assert.Contains(t, out, want)
	}
	// -h after other flags or the file is still help.
	code, out, _ := cli(t, "", "gate", "run.json", "-all", "-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "usage: smokestack gate")
}

// A wrong flag is a usage error naming it, for every command.
func TestBadFlagIsAUsageError(t *testing.T) {
	for _, sub := range subcommands {
		code, out, errOut := cli(t, "", sub, "-no-such-flag")
		assert.Equal(t, 2, code, sub)
		assert.Empty(t, out, sub)
		assert.Contains(t, errOut, "-no-such-flag", sub)
		assert.Contains(t, errOut, "smokestack "+sub+" -h for help", sub)
	}
	for _, sub := range []string{"up", "down", "image", "monitor", "report", "rollback", "version"} {
		code, _, errOut := cli(t, "", sub, "extra")
		assert.Equal(t, 2, code, sub)
		assert.Contains(t, errOut, `extra argument "extra"`, sub)
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

// nonCritical fails one non-critical check of 32: within 95 %, but not
// with -all.
func nonCritical() map[string]string {
	m := map[string]string{"TestInfrastructure/a2a_health": "pass", "TestAgentCatalogue/a2a_card": "fail"}
	for i := 0; i < 30; i++ {
		m["TestAgentInvoke/c"+string(rune('a'+i%26))+string(rune('a'+i/26))] = "pass"
	}
	return m
}

// Flags parse wherever they stand: `gate run.json -all` is -all, not a
// second file.
func TestFlagsAfterTheFile(t *testing.T) {
	critical := map[string]bool{"TestInfrastructure/a2a_health": true}
	file := writeFile(t, "run.json", stream(nonCritical(), critical, "fail"))
	code, _, errOut := cli(t, "", "gate", file)
	assert.Equal(t, 0, code, errOut)
	for _, args := range [][]string{{"gate", file, "-all"}, {"gate", "-all", file}, {"gate", file, "-all", "-min-pass-rate", "0.5"}, {"gate", file, "-all=true"}} {
		code, out, errOut := cli(t, "", args...)
		assert.Equal(t, 1, code, "%v: %s%s", args, out, errOut)
		assert.Contains(t, out, "-all: every check must pass", args)
	}
	// "-" is stdin, and flags may follow it too.
	code, _, errOut = cli(t, stream(nonCritical(), critical, "fail"), "gate", "-", "-all")
	assert.Equal(t, 1, code, errOut)
	// After "--", a name that looks like a flag is a file.
	code, _, errOut = cli(t, "", "gate", "--", "-all")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "-all: no such file")
}

// More than one input is a usage error naming the extra argument: a gate
// that silently judged only the first file would pass what it never read.
func TestTwoInputsIsAUsageError(t *testing.T) {
	critical := map[string]bool{}
	a := writeFile(t, "a.json", stream(map[string]string{"TestA/b": "pass"}, critical, "pass"))
	for _, sub := range []string{"gate", "verdict"} {
		code, out, errOut := cli(t, "", sub, a, "b.json")
		assert.Equal(t, 2, code, sub)
		assert.Empty(t, out, sub)
		assert.Contains(t, errOut, `extra argument "b.json"`, sub)
		code, _, errOut = cli(t, "", sub, a, "-all", "c.json")
		assert.Equal(t, 2, code, sub)
		assert.Contains(t, errOut, `extra argument "c.json"`, sub)
	}
}

// A pass rate is a share: 95 is refused with a message saying 0.95, for
// every command that takes one; the bounds are accepted.
func TestPassRateRange(t *testing.T) {
	for _, sub := range []string{"gate", "verdict", "monitor"} {
		for _, bad := range []string{"95", "-0.1", "1.01", "NaN"} {
			code, out, errOut := cli(t, "", sub, "-min-pass-rate", bad)
			assert.Equal(t, 2, code, "%s -min-pass-rate %s", sub, bad)
			assert.Empty(t, out)
			assert.Contains(t, errOut, "out of range: a share of the judged checks between 0 and 1 (0.95 for 95 %)", sub)
		}
	}
	critical := map[string]bool{}
	in := stream(map[string]string{"TestA/b": "pass"}, critical, "pass")
	for _, ok := range []string{"0", "1", "0.95"} {
		code, _, errOut := cli(t, in, "gate", "-min-pass-rate", ok)
		assert.Equal(t, 0, code, "%s: %s", ok, errOut)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		code, out, errOut := cli(t, "", args...)
		assert.Equal(t, 0, code, args)
		assert.Empty(t, errOut)
		assert.True(t, strings.HasPrefix(out, "smokestack "), out)
		assert.Contains(t, out, runtime.Version(), "the Go version")
	}
	assert.Equal(t, "smokestack github.com/smokestack-dev/smokestack (devel) "+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH+"\n",
		versionText(nil, false), "no build information: (devel)")
	info := &debug.BuildInfo{Main: debug.Module{Path: "github.com/smokestack-dev/smokestack", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "8a6047b"}, {Key: "vcs.modified", Value: "true"}}}
	out := versionText(info, true)
	assert.Contains(t, out, "smokestack github.com/smokestack-dev/smokestack v1.4.0 "+runtime.Version())
	assert.Contains(t, out, "\ncommit 8a6047b (modified)\n")
	info.Main.Version = ""
	assert.Contains(t, versionText(info, true), " (devel) ")
}

// down with nothing to remove says so and succeeds, however often it runs:
// a CI cleanup step can always call it. (No Docker is touched.)
func TestDownIsIdempotent(t *testing.T) {
	env := filepath.Join(t.TempDir(), "stack.env")
	for i := 0; i < 2; i++ {
		code, _, errOut := cli(t, "", "down", "-env", env)
		assert.Equal(t, 0, code, errOut)
		assert.Contains(t, errOut, "no stack to remove: "+env+" does not exist")
	}
	named := writeFile(t, "other.env", "SMOKE_TARGET=live\n")
	code, _, errOut := cli(t, "", "down", "-env", named)
	assert.Equal(t, 1, code, "a file that names no stack is an error, not nothing to do")
	assert.Contains(t, errOut, "names no stack")
}

// gate -json and -junit write the same decision the text states, and do
// not change the exit code.
func TestGateReports(t *testing.T) {
	dir := t.TempDir()
	jsonPath, junitPath := filepath.Join(dir, "out", "smoke.json"), filepath.Join(dir, "out", "smoke.xml")
	critical := map[string]bool{"TestInfrastructure/a2a_health": true}
	failing := map[string]string{"TestInfrastructure/a2a_health": "fail", "TestInfrastructure/grafana_health": "na", "TestAgentCatalogue/a2a_card": "killed"}
	code, out, errOut := cli(t, stream(failing, critical, "fail"), "gate", "-junit", junitPath, "-json", jsonPath)
	assert.Equal(t, 1, code, out+errOut)
	assert.Contains(t, out, "because critical check TestInfrastructure/a2a_health failed", "the text report is still printed")

	rec := readRecord(t, jsonPath)
	assert.Equal(t, verdict.KindGate, rec.Kind)
	assert.Equal(t, verdict.GateFail, rec.Gate)
	assert.Equal(t, 1, rec.ExitCode)
	assert.Equal(t, []string{"TestAgentCatalogue/a2a_card"}, rec.Missing)
	assert.Len(t, rec.Checks, 3)
	assert.WithinDuration(t, time.Now(), rec.Time, time.Minute)

	var suites struct {
		Suites []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Classname string `xml:"classname,attr"`
				Name      string `xml:"name,attr"`
				Failure   *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	data, err := os.ReadFile(junitPath)
	require.NoError(t, err)
	require.NoError(t, xml.Unmarshal(data, &suites))
	require.Len(t, suites.Suites, 1)
	assert.Equal(t, pkg, suites.Suites[0].Name)
	assert.Len(t, suites.Suites[0].Cases, 3)

	// The same exit codes with and without reports, for each decision.
	healthy := map[string]string{"TestInfrastructure/a2a_health": "pass", "TestAgentCatalogue/a2a_card": "pass"}
	killed := map[string]string{"TestInfrastructure/a2a_health": "pass", "TestAgentCatalogue/a2a_card": "killed"}
	for want, in := range map[int]string{0: stream(healthy, critical, "pass"), 1: stream(failing, critical, "fail"), 3: stream(killed, critical, "")} {
		plain, _, _ := cli(t, in, "gate")
		withReports, _, _ := cli(t, in, "gate", "-json", jsonPath, "-junit", junitPath)
		assert.Equal(t, want, plain)
		assert.Equal(t, want, withReports)
	}
}

// A report file that cannot be written is a usage error found before the
// input is judged; an input that cannot be read leaves no empty report.
func TestGateReportErrors(t *testing.T) {
	dir := t.TempDir()
	notADir := writeFile(t, "file", "")
	critical := map[string]bool{}
	in := stream(map[string]string{"TestA/b": "pass"}, critical, "pass")
	code, out, errOut := cli(t, in, "gate", "-json", filepath.Join(notADir, "smoke.json"))
	assert.Equal(t, 2, code)
	assert.Empty(t, out, "nothing judged")
	assert.Contains(t, errOut, "smokestack gate: ")

	code, _, errOut = cli(t, in, "gate", "-json", filepath.Join(dir, "same"), "-junit", filepath.Join(dir, "same"))
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "-json and -junit name the same file")

	fresh := filepath.Join(dir, "fresh.json")
	code, _, _ = cli(t, "not json\n", "gate", "-json", fresh)
	assert.Equal(t, 2, code)
	assert.NoFileExists(t, fresh, "no report for a run that was not judged")

	old := writeFile(t, "old.json", "previous report\n")
	code, _, _ = cli(t, "not json\n", "gate", "-json", old)
	assert.Equal(t, 2, code)
	data, err := os.ReadFile(old)
	require.NoError(t, err)
	assert.Equal(t, "previous report\n", string(data), "an existing file is not truncated for nothing")
}

// verdict -json holds the triggers as read from Prometheus.
func TestVerdictReports(t *testing.T) {
	t.Setenv("SMOKE_TARGET", "live")
	t.Setenv("SMOKE_PROMETHEUS_URL", fakePrometheus(t, "0.9"))
	dir := t.TempDir()
	jsonPath, junitPath := filepath.Join(dir, "v.json"), filepath.Join(dir, "v.xml")
	critical := map[string]bool{"TestInfrastructure/a2a_health": true}
	healthy := map[string]string{"TestInfrastructure/a2a_health": "pass", "TestAgentCatalogue/a2a_card": "pass"}
	file := writeFile(t, "run.json", stream(healthy, critical, "pass"))
	code, out, errOut := cli(t, "", "verdict", file, "-json", jsonPath, "-junit", junitPath)
	assert.Equal(t, 1, code, "a fired trigger rolls back: %s%s", out, errOut)
	rec := readRecord(t, jsonPath)
	assert.Equal(t, verdict.KindVerdict, rec.Kind)
	assert.Equal(t, verdict.Rollback, rec.Decision)
	assert.Equal(t, verdict.GatePass, rec.Gate)
	require.Len(t, rec.Triggers, 2)
	for _, tr := range rec.Triggers {
		require.NotNil(t, tr.Value, tr.Name)
		assert.InDelta(t, 0.9, *tr.Value, 1e-9)
		assert.True(t, tr.Breached, tr.Name)
		assert.NotEmpty(t, tr.Query)
	}
	data, err := os.ReadFile(junitPath)
	require.NoError(t, err)
	assert.Contains(t, string(data), `<property name="smokestack.decision" value="ROLLBACK">`)
}

// monitor appends each round to its log twice: the human report and one
// JSON line a tool can read back; -json and -junit hold the worst round.
func TestMonitorReports(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close() // nothing answers there any more
	for k, v := range map[string]string{"SMOKE_TARGET": "live", "SMOKE_A2A_URL": dead.URL, "SMOKE_PROMETHEUS_URL": fakePrometheus(t, "0.001"),
		"SMOKE_REQUIRE": "genesis,prometheus", "SMOKE_PROFILE": "orchestration", "SMOKE_CHECK_TIMEOUT": "5s"} {
		t.Setenv(k, v)
	}
	dir := t.TempDir()
	logPath, jsonPath, junitPath := filepath.Join(dir, "logs", "health.log"), filepath.Join(dir, "m.json"), filepath.Join(dir, "m.xml")
	code, out, errOut := cli(t, "", "monitor", "-log", logPath, "-json", jsonPath, "-junit", junitPath)
	assert.Equal(t, 1, code, "the critical health check fails: ROLLBACK: %s%s", out, errOut)
	assert.Contains(t, out, "PRODUCTION HEALTH CHECK", "the human report is printed")
	assert.NotContains(t, out, `{"kind"`, "the JSON line is for the log, not the screen")

	data, err := os.ReadFile(logPath)
	require.NoError(t, err)
	log := string(data)
	assert.Contains(t, log, "PRODUCTION HEALTH CHECK", "the human lines stay in the log")
	assert.Contains(t, log, "MONITOR: ROLLBACK")
	var records []verdict.Record
	for _, l := range strings.Split(log, "\n") {
		if strings.HasPrefix(l, "{") {
			var r verdict.Record
			require.NoError(t, json.Unmarshal([]byte(l), &r), l)
			records = append(records, r)
		}
	}
	require.Len(t, records, 1, "one JSON record per round")
	assert.Equal(t, verdict.KindMonitor, records[0].Kind)
	assert.Equal(t, 1, records[0].Round)
	assert.Equal(t, verdict.Rollback, records[0].Decision)
	assert.NotEmpty(t, records[0].Checks)
	assert.Nil(t, records[0].Monitor, "a round's line holds the round, not the run")

	rec := readRecord(t, jsonPath)
	assert.Equal(t, verdict.Rollback, rec.Decision)
	require.NotNil(t, rec.Monitor)
	assert.Equal(t, verdict.MonitorRun{Planned: 1, Decisions: []verdict.Decision{verdict.Rollback}, Worst: verdict.Rollback, ExitCode: 1}, *rec.Monitor)
	assert.Contains(t, rec.Reasons, "critical check TestInfrastructure/a2a_health failed")
	data, err = os.ReadFile(junitPath)
	require.NoError(t, err)
	assert.Contains(t, string(data), `name="a2a_health" classname="TestInfrastructure"`)

	// A second run appends: two rounds' records in the log.
	code, _, _ = cli(t, "", "monitor", "-log", logPath)
	assert.Equal(t, 1, code)
	data, err = os.ReadFile(logPath)
	require.NoError(t, err)
	n := 0
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "{") {
			n++
		}
	}
	assert.Equal(t, 2, n)
}

// The run's record when no round finished: HOLD, nothing judged; the
// worst round otherwise (the latest of equals).
func TestMonitorRecord(t *testing.T) {
	rec := monitorRecord(nil, roundsResult{Interrupted: true, Worst: verdict.Hold}, 6)
	assert.Equal(t, verdict.Hold, rec.Decision)
	assert.Equal(t, 3, rec.ExitCode)
	require.NotNil(t, rec.Monitor)
	assert.True(t, rec.Monitor.Interrupted)
	assert.Equal(t, 6, rec.Monitor.Planned)
	assert.Contains(t, rec.Reasons, "no monitoring round finished: nothing was judged")

	worst := verdict.Record{Kind: verdict.KindMonitor, Decision: verdict.Ship, Round: 1}
	rec = monitorRecord(&worst, roundsResult{Decisions: []verdict.Decision{verdict.Ship}, Worst: verdict.Ship}, 2)
	assert.Equal(t, 1, rec.Round)
	assert.Equal(t, verdict.Ship, rec.Monitor.Worst)
	assert.Equal(t, 0, rec.Monitor.ExitCode)
}

// report reads a monitor log and writes the page; exit 0 whatever the
// watch decided, 2 for anything that leaves no page.
func TestReport(t *testing.T) {
	dir := t.TempDir()
	var log strings.Builder
	for i, d := range []verdict.Decision{verdict.Ship, verdict.Rollback, verdict.Ship} {
		log.WriteString("==================== PRODUCTION HEALTH CHECK ====================\n")
		rec := verdict.Record{Kind: verdict.KindMonitor, Round: i + 1, Decision: d,
			Time: time.Date(2025, 3, 1, 8*i, 0, 0, 0, time.UTC), Counts: verdict.Counts{Pass: 3, Total: 3}}
		line, err := rec.JSONLine()
		require.NoError(t, err)
		log.Write(line)
	}
	logPath := writeFile(t, "health.log", log.String())
	out := filepath.Join(dir, "out")
	code, stdout, errOut := cli(t, "", "report", "-log", logPath, "-o", out)
	require.Equal(t, 0, code, "a ROLLBACK watch still gets its page: %s", errOut)
	assert.Contains(t, stdout, "REPORT: ROLLBACK, the worst of 3 rounds (last SHIP)")
	page, err := os.ReadFile(filepath.Join(out, "index.html"))
	require.NoError(t, err)
	assert.Contains(t, string(page), "Final verdict: <strong>ROLLBACK</strong>")

	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no flags":      {nil, "-log FILE and -o DIR are both required"},
		"no -o":         {[]string{"-log", logPath}, "both required"},
		"absent log":    {[]string{"-log", filepath.Join(dir, "absent.log"), "-o", out}, "no such file"},
		"no JSON round": {[]string{"-log", writeFile(t, "human.log", "PRODUCTION HEALTH CHECK\n"), "-o", out}, "no monitoring round in the log"},
		"malformed":     {[]string{"-log", writeFile(t, "bad.log", "human\n{\"kind\":\n"), "-o", out}, "bad.log: line 2: malformed JSON round"},
		"unwritable":    {[]string{"-log", logPath, "-o", logPath}, "cannot write the page"},
	} {
		code, stdout, errOut := cli(t, "", append([]string{"report"}, tc.args...)...)
		assert.Equal(t, 2, code, name)
		assert.Empty(t, stdout, name)
		assert.Contains(t, errOut, tc.want, name)
	}
}

// rollback changes the target: without SMOKE_ALLOW_MUTATION=1 it refuses
// (exit 2, saying which variable) before it reads anything else, and
// writes no log; then it wants a live target, the admin key and a reason.
func TestRollbackRefuses(t *testing.T) {
	for _, k := range []string{"SMOKE_CONFIG", "SMOKE_TARGET", "SMOKE_A2A_URL", "SMOKE_PROMETHEUS_URL", "SMOKE_ADMIN_KEY", "SMOKE_REQUIRE"} {
		t.Setenv(k, "")
	}
	logPath := filepath.Join(t.TempDir(), "logs", "rollback.log")
	for _, mutation := range []string{"", "0", "false"} {
		t.Setenv("SMOKE_ALLOW_MUTATION", mutation)
		code, out, errOut := cli(t, "", "rollback", "-reason", "drill", "-log", logPath)
		assert.Equal(t, 2, code, "SMOKE_ALLOW_MUTATION=%q: %s", mutation, errOut)
		assert.Empty(t, out)
		assert.Contains(t, errOut, "refused")
		assert.Contains(t, errOut, "SMOKE_ALLOW_MUTATION=1")
		code, _, errOut = cli(t, "", "rollback", "-restore", "-log", logPath)
		assert.Equal(t, 2, code, "a restore changes the target too: %s", errOut)
		assert.Contains(t, errOut, "SMOKE_ALLOW_MUTATION=1")
	}
	assert.NoFileExists(t, logPath, "a refused rollback writes no log")

	t.Setenv("SMOKE_ALLOW_MUTATION", "1")
	code, _, errOut := cli(t, "", "rollback", "-reason", "drill", "-log", logPath)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "SMOKE_TARGET=live", "an ephemeral stack is not what a rollback acts on")

	t.Setenv("SMOKE_TARGET", "live")
	t.Setenv("SMOKE_PROMETHEUS_URL", "http://127.0.0.1:9")
	t.Setenv("SMOKE_REQUIRE", "prometheus")
	code, _, errOut = cli(t, "", "rollback", "-reason", "drill", "-log", logPath)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "SMOKE_A2A_URL", "the flags are Genesis's")

	t.Setenv("SMOKE_A2A_URL", "http://127.0.0.1:9")
	t.Setenv("SMOKE_REQUIRE", "genesis")
	code, _, errOut = cli(t, "", "rollback", "-reason", "drill", "-log", logPath)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "SMOKE_ADMIN_KEY")

	t.Setenv("SMOKE_ADMIN_KEY", "admin-secret-123456")
	code, _, errOut = cli(t, "", "rollback", "-log", logPath)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "-reason is required")
	code, _, errOut = cli(t, "", "rollback", "-restore", "-log", logPath)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "no rollback to restore")
	code, _, errOut = cli(t, "", "rollback", "-reason", "drill", "-verdict", filepath.Join(t.TempDir(), "none.json"), "-log", logPath)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "-verdict")
	notReport := writeFile(t, "run.json", `{"Action":"pass"}`)
	code, _, errOut = cli(t, "", "rollback", "-reason", "drill", "-verdict", notReport, "-log", logPath)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "not a smokestack -json report")
	assert.NoFileExists(t, logPath)
	assert.NotContains(t, errOut, "admin-secret-123456")
}

// A restore finds the last rollback of the log, and says when it was
// restored already.
func TestLastRollback(t *testing.T) {
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	line := func(e rollbackEntry) string { b, _ := json.Marshal(e); return string(b) + "\n" }
	t1, t2 := at("2026-12-01T10:00:00Z"), at("2026-12-01T11:00:00Z")
	log := writeFile(t, "rollback.log", line(rollbackEntry{Action: "rollback", Time: t1, Result: "rolled_back"})+
		line(rollbackEntry{Action: "restore", Time: at("2026-12-01T10:30:00Z"), Restores: &t1, Result: "restored"})+
		line(rollbackEntry{Action: "rollback", Time: t2, Result: "failed"}))
	last, done, err := lastRollback(log)
	require.NoError(t, err)
	assert.Equal(t, t2, last.Time, "the last rollback, even a failed one: it may have changed a flag")
	assert.Nil(t, done)

	log = writeFile(t, "rollback.log", line(rollbackEntry{Action: "rollback", Time: t2, Result: "rolled_back"})+
		line(rollbackEntry{Action: "restore", Time: at("2026-12-01T11:05:00Z"), Restores: &t2, Result: "restore_failed"}))
	_, done, err = lastRollback(log)
	require.NoError(t, err)
	assert.Nil(t, done, "a failed restore did not restore")

	log = writeFile(t, "rollback.log", line(rollbackEntry{Action: "rollback", Time: t2, Result: "rolled_back"})+
		line(rollbackEntry{Action: "restore", Time: at("2026-12-01T11:05:00Z"), Restores: &t2, Result: "restored"}))
	_, done, err = lastRollback(log)
	require.NoError(t, err)
	require.NotNil(t, done)

	_, _, err = lastRollback(writeFile(t, "rollback.log", "ROLLBACK: Mon Dec 1 - Reason: x\n"))
	assert.ErrorContains(t, err, "line 1")
	_, _, err = lastRollback(writeFile(t, "rollback.log", ""))
	assert.ErrorContains(t, err, "holds no rollback")
}
