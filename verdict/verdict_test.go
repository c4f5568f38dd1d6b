package verdict

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/checks"
	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/harness/harnesstest"
)

var smokeGate = Gate{MinPassRate: 0.95, Critical: checks.IsCritical}

func judge(t *testing.T, in string, g Gate) GateResult {
	t.Helper()
	run, err := Parse(strings.NewReader("go: downloading something\n" + in))
	require.NoError(t, err)
	return g.Judge(run)
}

func reasons(r GateResult) string { return strings.Join(r.Reasons, "\n") }

// (a) A complete healthy stream passes, and the report is one line.
func TestGateHealthyStreamPasses(t *testing.T) {
	r := judge(t, healthy().stream(), smokeGate)
	assert.Equal(t, GatePass, r.Decision, r.String())
	assert.True(t, r.OK)
	assert.Equal(t, 25, r.Passed, "leaves are counted, not the parent tests")
	assert.Equal(t, 2, r.NotApplicable)
	assert.Empty(t, r.Reasons)
	assert.Equal(t, "GATE PASS: 25/25 checks passed (100.0%), 0 failed, 2 not applicable, 0 not judged, 0 missing", r.Summary())
}

// (b) A stream cut anywhere before its end never passes.
func TestGateCutStreamNeverPasses(t *testing.T) {
	full := healthy().stream()
	var cuts []int
	for i := 1; i < 10; i++ {
		cuts = append(cuts, len(full)*i/10)
	}
	cuts = append(cuts, 5000, 0, 1, len(full)-2, len(full)-20)
	for i := range full {
		if full[i] == '\n' && i < len(full)-1 {
			cuts = append(cuts, i+1, i) // at each line's end, and before its newline
		}
	}
	for _, n := range cuts {
		run, err := Parse(strings.NewReader(full[:n]))
		if err != nil {
			assert.ErrorIs(t, err, ErrNoEvents, "cut at %d", n)
			continue
		}
		r := smokeGate.Judge(run)
		assert.NotEqual(t, GatePass, r.Decision, "cut at byte %d of %d:\n%s", n, len(full), r.String())
	}
	// The whole stream, with or without its last newline, passes.
	assert.Equal(t, GatePass, judge(t, full, smokeGate).Decision)
	assert.Equal(t, GatePass, judge(t, full[:len(full)-1], smokeGate).Decision)
}

// (c) A killed run: checks started and never ended hold, named.
func TestGateKilledRunHoldsNamingMissingChecks(t *testing.T) {
	s := healthy().
		with("TestAgentCatalogue/check_10", func(c *spec) { c.end = endStarted }).
		with("TestAgentCatalogue/check_11", func(c *spec) { c.end = endStarted }).
		with("TestAgentCatalogue/check_12", func(c *spec) { c.end = endNeverStart })
	for _, final := range []string{"none", "fail"} {
		s.final = final
		r := judge(t, s.stream(), smokeGate)
		assert.Equal(t, GateHold, r.Decision, r.String())
		assert.Equal(t, 3, r.Missing)
		out := r.String()
		assert.Contains(t, out, "MISSING        TestAgentCatalogue/check_10: started but never ended")
		assert.Contains(t, out, "MISSING        TestAgentCatalogue/check_12: never started")
		assert.Contains(t, reasons(r), "3 planned checks never ended (truncated or killed run): TestAgentCatalogue/check_10, TestAgentCatalogue/check_11, TestAgentCatalogue/check_12")
		assert.NotContains(t, reasons(r), "failed outside its tests", "the missing checks explain the failed package")
	}
}

// A panic kills the binary: the parallel checks in flight never end; the
// reason quotes the panic.
func TestGatePanicHoldsQuotingThePanic(t *testing.T) {
	s := healthy().with("TestAgentCatalogue/check_10", func(c *spec) { c.end = endStarted })
	s.final = "none"
	in := s.stream()
	w := &streamWriter{pkg: "github.com/smokestack-dev/smokestack/smoke"}
	w.test("output", "TestAgentCatalogue", "panic: runtime error: invalid memory address [recovered]\n")
	w.test("output", "TestAgentCatalogue", "goroutine 8 [running]:\n")
	w.test("fail", "TestAgentCatalogue", "")
	w.out("FAIL\tgithub.com/smokestack-dev/smokestack/smoke\t0.2s\n")
	w.ev(Event{Action: "fail"})
	r := judge(t, in+w.b.String(), smokeGate)
	assert.Equal(t, GateHold, r.Decision, r.String())
	assert.Contains(t, reasons(r), "panic: runtime error: invalid memory address")
	assert.Contains(t, reasons(r), "TestAgentCatalogue/check_10")
}

// (d) Tests without a plan: not a smokestack suite, or cut before it.
func TestGateNoPlanHolds(t *testing.T) {
	s := healthy()
	s.noPlan = true
	r := judge(t, s.stream(), smokeGate)
	assert.Equal(t, GateHold, r.Decision, r.String())
	assert.Contains(t, reasons(r), "package smoke stated no plan: not a smokestack suite, or the stream was cut before it")
	assert.Equal(t, 25, r.Passed, "the leaves are still counted and shown")
}

// (e) A package that could not run: the reason is its error line, not the
// info lines before it.
func TestGateBrokenPackageQuotesItsErrorLine(t *testing.T) {
	w := &streamWriter{pkg: "github.com/smokestack-dev/smokestack/smoke"}
	w.ev(Event{Action: "start"})
	w.out("smokestack: TESTCONTAINERS_HOST_OVERRIDE=host.docker.internal\n")
	w.out("smokestack: reading SMOKE_CONFIG=deploy.env\n")
	w.out("smokestack: error: configuration: SMOKE_A2A_ULR is not a smokestack variable; did you mean SMOKE_A2A_URL?\n")
	w.out("FAIL\tgithub.com/smokestack-dev/smokestack/smoke\t0.010s\n")
	w.ev(Event{Action: "fail", Elapsed: 0.01})
	r := judge(t, w.b.String(), smokeGate)
	assert.Equal(t, GateHold, r.Decision, r.String())
	require.NotEmpty(t, r.Reasons)
	assert.Equal(t, "package smoke failed outside its tests: smokestack: error: configuration: SMOKE_A2A_ULR is not a smokestack variable; did you mean SMOKE_A2A_URL?", r.Reasons[0])
	assert.NotContains(t, r.String(), "TESTCONTAINERS_HOST_OVERRIDE")

	// The verdict holds with the same reason, whatever the triggers say.
	v := Decide(r, []TriggerResult{{Trigger: Triggers("5m")[0], Value: 0.1}})
	assert.Equal(t, Hold, v.Decision)
	assert.Contains(t, v.String(), "because package smoke failed outside its tests: smokestack: error: configuration: SMOKE_A2A_ULR")
}

// Without an error line, the last line that is not bookkeeping or an info
// line is quoted.
func TestGateBrokenPackageWithoutErrorLine(t *testing.T) {
	w := &streamWriter{pkg: "example.com/smoke"}
	w.out("smokestack: live stack genesis=http://x (ready in 0s)\n")
	w.out("cannot open /dev/kvm: permission denied\n")
	w.out("smokestack: TESTCONTAINERS_HOST_OVERRIDE=x\n")
	w.out("exit status 2\n")
	w.out("FAIL\texample.com/smoke\t0.01s\n")
	w.ev(Event{Action: "fail"})
	r := judge(t, w.b.String(), smokeGate)
	assert.Equal(t, GateHold, r.Decision)
	assert.Contains(t, reasons(r), "package smoke failed outside its tests: cannot open /dev/kvm: permission denied")
}

// A package that did not build (Go 1.24+ build-output events, and the
// older plain "# pkg" block) holds quoting the compiler.
func TestGateBuildFailureQuotesTheCompiler(t *testing.T) {
	in := `{"ImportPath":"example.com/smoke [example.com/smoke.test]","Action":"build-output","Output":"# example.com/smoke [example.com/smoke.test]\n"}
{"ImportPath":"example.com/smoke [example.com/smoke.test]","Action":"build-output","Output":"./x_test.go:3:28: undefined: undefinedThing\n"}
{"ImportPath":"example.com/smoke [example.com/smoke.test]","Action":"build-fail"}
{"Action":"start","Package":"example.com/smoke"}
{"Action":"output","Package":"example.com/smoke","Output":"FAIL\texample.com/smoke [build failed]\n"}
{"Action":"fail","Package":"example.com/smoke","Elapsed":0,"FailedBuild":"example.com/smoke [example.com/smoke.test]"}
`
	r := judge(t, in, smokeGate)
	assert.Equal(t, GateHold, r.Decision)
	assert.Contains(t, reasons(r), "package smoke failed outside its tests: build failed: ./x_test.go:3:28: undefined: undefinedThing")

	old := "# example.com/smoke\n./x_test.go:3:28: undefined: undefinedThing\n" +
		`{"Action":"output","Package":"example.com/smoke","Output":"FAIL\texample.com/smoke [build failed]\n"}
{"Action":"fail","Package":"example.com/smoke","Elapsed":0}
`
	r = judge(t, old, smokeGate)
	assert.Equal(t, GateHold, r.Decision)
	assert.Contains(t, reasons(r), "build failed: ./x_test.go:3:28: undefined: undefinedThing")
}

// A binary that fails after a complete, all-passing plan: something broke
// outside the checks, quoted.
func TestGateUnexplainedPackageFailureHolds(t *testing.T) {
	s := healthy()
	s.final = "fail"
	r := judge(t, s.stream(), smokeGate)
	assert.Equal(t, GateHold, r.Decision, r.String())
	assert.Contains(t, reasons(r), "package smoke failed outside its tests")

	// The quoted line is the last one before the suite's summary, never
	// a line of the summary (which ends the output).
	s.beforeSummary = func(w *streamWriter) { w.out("panic: close of closed channel in teardown\n") }
	r = judge(t, s.stream(), smokeGate)
	assert.Contains(t, reasons(r), "package smoke failed outside its tests: panic: close of closed channel in teardown")
	s.beforeSummary = func(w *streamWriter) { w.out("teardown: network busy\n") }
	r = judge(t, s.stream(), smokeGate)
	assert.Contains(t, reasons(r), "package smoke failed outside its tests: teardown: network busy", "not a line of the summary after it")
}

// (f) A critical failure fails the gate, even when checks are missing.
func TestGateCriticalFailureFailsEvenWithMissingChecks(t *testing.T) {
	s := healthy().
		with("TestInfrastructure/check_03", func(c *spec) { c.end, c.msg = endFail, `want status 200, got status 503` }).
		with("TestAgentCatalogue/check_20", func(c *spec) { c.end = endStarted })
	s.final = "none"
	r := judge(t, s.stream(), smokeGate)
	assert.Equal(t, GateFail, r.Decision, r.String())
	assert.False(t, r.OK)
	assert.Equal(t, "critical check TestInfrastructure/check_03 failed", r.Reasons[0])
	assert.Contains(t, reasons(r), "1 planned checks never ended", "what is missing is still said")
	assert.Contains(t, r.String(), "FAIL           TestInfrastructure/check_03: on A2A service (genesis) http://127.0.0.1:8080/health: want status 200, got status 503")
	require.Len(t, r.Failures, 1)
	assert.Equal(t, "TestInfrastructure/check_03 on A2A service (genesis) http://127.0.0.1:8080/health: want status 200, got status 503", r.Failures[0].Headline)

	// Critical by the registry when the plan does not say so.
	s = healthy().with("TestAgentCatalogue/check_09", func(c *spec) { c.end, c.msg = endFail, "boom" })
	g := Gate{MinPassRate: 0.9, Critical: func(id string) bool { return id == "TestAgentCatalogue/check_09" }}
	r = judge(t, s.stream(), g)
	assert.Equal(t, GateFail, r.Decision)
	assert.Contains(t, reasons(r), "critical check TestAgentCatalogue/check_09 failed")
}

// The pass rate: a non-critical failure within 95 % passes, two fail; with
// missing checks, FAIL only when the rate cannot be reached anyway.
func TestGatePassRate(t *testing.T) {
	s := healthy()
	for i := 0; i < 15; i++ { // 40 judged checks
		s.specs = append(s.specs, spec{id: fmt.Sprintf("TestAgentInvoke/extra_%02d", i)})
	}
	one := s.with("TestAgentCatalogue/check_09", func(c *spec) { c.end, c.msg = endFail, "boom" })
	r := judge(t, one.stream(), smokeGate)
	assert.Equal(t, GatePass, r.Decision, "39/40 = 97.5%%: %s", r.String())
	assert.Contains(t, r.String(), "FAIL           TestAgentCatalogue/check_09", "a failure is listed even when the gate passes")

	three := one.with("TestAgentCatalogue/check_10", func(c *spec) { c.end, c.msg = endFail, "boom" }).
		with("TestAgentCatalogue/check_11", func(c *spec) { c.end, c.msg = endFail, "boom" })
	r = judge(t, three.stream(), smokeGate)
	assert.Equal(t, GateFail, r.Decision)
	assert.Contains(t, reasons(r), "pass rate 92.5% (37/40) is below 95.0%")

	r = judge(t, one.stream(), Gate{MinPassRate: 0.95, RequireAll: true})
	assert.Equal(t, GateFail, r.Decision, "-all: every check must pass")

	// 1 failed, 1 missing of 40: at best 39/40: not a FAIL, a HOLD.
	missing := one.with("TestAgentCatalogue/check_12", func(c *spec) { c.end = endStarted })
	r = judge(t, missing.stream(), smokeGate)
	assert.Equal(t, GateHold, r.Decision, r.String())
	// 3 failed, 2 missing: at best 37/40 whatever the missing did: FAIL.
	missing = three.with("TestAgentCatalogue/check_12", func(c *spec) { c.end = endStarted }).
		with("TestAgentCatalogue/check_13", func(c *spec) { c.end = endStarted })
	r = judge(t, missing.stream(), smokeGate)
	assert.Equal(t, GateFail, r.Decision, r.String())
	assert.Contains(t, reasons(r), "pass rate cannot reach 95.0% even if the 2 missing checks passed: at best 37/40 (92.5%)")
}

// (g) A critical check NOT JUDGED holds, whatever its plan said.
func TestGateCriticalNotJudgedHolds(t *testing.T) {
	for _, plan := range []string{checks.PlanJudge, checks.PlanNotJudged} {
		s := healthy().with("TestInfrastructure/check_02", func(c *spec) {
			c.plan, c.end, c.msg = plan, endNJ, "Prometheus is required but this run cannot reach it"
		})
		r := judge(t, s.stream(), smokeGate)
		assert.Equal(t, GateHold, r.Decision, r.String())
		assert.Contains(t, reasons(r), "critical check TestInfrastructure/check_02 NOT JUDGED: Prometheus is required but this run cannot reach it")
		assert.NotContains(t, reasons(r), "failed outside its tests")
	}
}

// A check the plan expected to judge that ended NOT JUDGED holds; one the
// plan declared not judged (read-only live mode) is listed and passes.
func TestGateNotJudged(t *testing.T) {
	s := healthy().with("TestAgentCatalogue/check_15", func(c *spec) { c.end, c.msg = endNJ, "evidence unavailable" })
	r := judge(t, s.stream(), smokeGate)
	assert.Equal(t, GateHold, r.Decision, r.String())
	assert.Contains(t, reasons(r), "1 checks the plan expected to judge ended NOT JUDGED: TestAgentCatalogue/check_15")
	assert.NotContains(t, reasons(r), "failed outside its tests", "the binary failed for that very reason")

	byConfig := "this check changes the target and live mode is read-only: set SMOKE_ALLOW_MUTATION=1 to allow it"
	s = healthy().with("TestAgentCatalogue/check_15", func(c *spec) {
		c.plan, c.reason, c.end, c.msg = checks.PlanNotJudged, byConfig, endNJ, byConfig
	})
	r = judge(t, s.stream(), smokeGate)
	assert.Equal(t, GatePass, r.Decision, r.String())
	assert.Equal(t, 1, r.NotJudged)
	assert.Contains(t, r.String(), "NOT JUDGED     TestAgentCatalogue/check_15: "+byConfig)

	// A plain t.Skip is NOT JUDGED with its text.
	s = healthy().with("TestAgentCatalogue/check_15", func(c *spec) { c.end, c.msg = endSkip, "flaky on Tuesdays" })
	r = judge(t, s.stream(), smokeGate)
	assert.Equal(t, GateHold, r.Decision)
	assert.Contains(t, r.String(), "NOT JUDGED     TestAgentCatalogue/check_15: skipped: flaky on Tuesdays")
}

// (h) NOT APPLICABLE checks are listed by name with their reason, and do
// not block PASS.
func TestGateNotApplicableListedAndPasses(t *testing.T) {
	r := judge(t, healthy().stream(), smokeGate)
	assert.Equal(t, GatePass, r.Decision)
	out := r.String()
	assert.Contains(t, out, "  NOT APPLICABLE TestSecuritySmoke/cycle_rejected: the target's profile a2a (contract parts A; SMOKE_PROFILE=a2a) does not include contract part C\n")
	assert.Contains(t, out, "  NOT APPLICABLE TestSecuritySmoke/dangerous_code_rejected: ")
}

// (i) A run narrowed by -run is judged on its plan, and says so.
func TestGateNarrowedRun(t *testing.T) {
	s := healthy()
	s.specs = s.specs[:3]
	s.run = "TestInfrastructure"
	s.suiteTotal = 36
	r := judge(t, s.stream(), smokeGate)
	assert.Equal(t, GatePass, r.Decision, r.String())
	assert.Equal(t, "GATE PASS: 3/3 checks passed (100.0%), 0 failed, 0 not applicable, 0 not judged, 0 missing; narrowed by -run 'TestInfrastructure': 3 of 36 checks", r.Summary())
}

// (j) Plain go test output, or nothing: an error with the hint.
func TestParseWithoutEventsIsAnError(t *testing.T) {
	for _, in := range []string{"", "=== RUN   TestInfrastructure\n--- PASS: TestInfrastructure (0.01s)\nok  \tsmoke\t0.1s\n", "{not json\n", `{"foo":1}` + "\n"} {
		_, err := Parse(strings.NewReader(in))
		require.ErrorIs(t, err, ErrNoEvents, "%q", in)
		assert.Contains(t, err.Error(), "did you forget -json? (go test -json ./smoke | smokestack gate)")
	}
}

// Non-JSON lines, overlong lines and a cut last line are skipped.
func TestParseIsRobust(t *testing.T) {
	full := healthy().stream()
	in := "go: downloading x\n" + strings.Repeat("x", 2<<20) + "\n\r\n" + strings.ReplaceAll(full, "\n", "\r\n") + `{"Action":"out`
	r := judge(t, in, smokeGate)
	assert.Equal(t, GatePass, r.Decision, r.String())
}

// Two packages in one stream are judged together.
func TestGateTwoPackages(t *testing.T) {
	a := healthy()
	b := healthy().with("TestAgentCatalogue/check_15", func(c *spec) { c.end = endStarted })
	b.pkg, b.final = "github.com/smokestack-dev/smokestack/staging", "none"
	r := judge(t, a.stream()+b.stream(), smokeGate)
	assert.Equal(t, GateHold, r.Decision)
	assert.Equal(t, 49, r.Passed)
	assert.Contains(t, reasons(r), "package staging: the stream ends before its result")

	// A package without test files does not count.
	noTests := `{"Action":"start","Package":"example.com/helpers"}
{"Action":"output","Package":"example.com/helpers","Output":"?   \texample.com/helpers\t[no test files]\n"}
{"Action":"skip","Package":"example.com/helpers","Elapsed":0}
`
	r = judge(t, noTests+a.stream(), smokeGate)
	assert.Equal(t, GatePass, r.Decision, r.String())
}

// A plan that is cut, or that contradicts itself, holds.
func TestGatePlanCutOrInconsistent(t *testing.T) {
	w := &streamWriter{pkg: "example.com/smoke"}
	lines := healthy().planLines()
	for _, l := range lines[:5] {
		w.out(l + "\n")
	}
	r := judge(t, w.b.String(), smokeGate)
	assert.Equal(t, GateHold, r.Decision)
	assert.Contains(t, reasons(r), "plan cut")

	// A plan whose check lines do not add up.
	s := healthy()
	s.planEdit = func(lines []string) []string { return append(lines[:3:3], lines[4:]...) }
	r = judge(t, s.stream(), smokeGate)
	assert.Equal(t, GateHold, r.Decision, r.String())
	assert.Contains(t, reasons(r), "plan inconsistent: begin states 27 checks, 26 check lines follow, end states 27")
}

// A test that failed though no check under it did (a TestMain-level
// t.Fatal) holds, quoted.
func TestGateStrayFailure(t *testing.T) {
	s := healthy()
	s.final = "fail"
	s.beforeSummary = func(w *streamWriter) {
		w.test("run", "TestQuick", "")
		w.test("output", "TestQuick", "    main.go:70: TestQuick: no checks of suite smoke at level normal are registered for this test\n")
		w.test("fail", "TestQuick", "")
	}
	r := judge(t, s.stream(), smokeGate)
	assert.Equal(t, GateHold, r.Decision, r.String())
	assert.Contains(t, reasons(r), "package smoke: test TestQuick: TestQuick: no checks of suite smoke at level normal are registered")
	assert.NotContains(t, reasons(r), "failed outside its tests", "the stray test explains the failed package")
}

// Credentials in a headline are redacted in the report.
func TestGateRedactsAndClips(t *testing.T) {
	s := healthy().with("TestAgentCatalogue/check_09", func(c *spec) {
		c.end, c.msg = endFail, "want 401, got 200 echoing api_key=sk-proj-abcdefghijklmnopqrstuvwx "+strings.Repeat("long ", 100)
	})
	out := judge(t, s.stream(), smokeGate).String()
	assert.NotContains(t, out, "sk-proj-abcdefghijklmnopqrstuvwx")
	for _, l := range strings.Split(out, "\n") {
		assert.LessOrEqual(t, len(l), 2+maxReason+len("because ")+3, l)
	}
}

// prom imitates Prometheus' query API answering each expression by a rule.
func prom(t *testing.T, answer func(q string) string) harness.PrometheusClient {
	return harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Prometheus: harnesstest.PrometheusQuery(answer)}).Prometheus()
}

// triggerProm answers the rollback triggers' queries: p95 (seconds) for the
// latency quantile, errorRate for every other one, so a case states only
// the two numbers the triggers judge.
func triggerProm(t *testing.T, p95, errorRate string) harness.PrometheusClient {
	return prom(t, func(q string) string {
		if strings.Contains(q, "histogram_quantile") {
			return harnesstest.Sample(p95)
		}
		return harnesstest.Sample(errorRate)
	})
}

func TestDecide(t *testing.T) {
	ok := judge(t, healthy().stream(), smokeGate)
	require.Equal(t, GatePass, ok.Decision)
	bad := judge(t, healthy().with("TestInfrastructure/check_01", func(c *spec) { c.end, c.msg = endFail, "boom" }).stream(), smokeGate)
	require.Equal(t, GateFail, bad.Decision)
	held := judge(t, healthy().with("TestAgentCatalogue/check_15", func(c *spec) { c.end = endStarted }).stream(), smokeGate)
	require.Equal(t, GateHold, held.Decision)
	ctx := context.Background()
	healthyProm := triggerProm(t, "0.12", "0.001")
	r := Decide(ok, ReadTriggers(ctx, healthyProm, Triggers("5m")))
	assert.Equal(t, Ship, r.Decision, r.String())
	assert.Equal(t, 0, r.Decision.ExitCode())

	slow := triggerProm(t, "0.73", "0.001")
	r = Decide(ok, ReadTriggers(ctx, slow, Triggers("5m")))
	assert.Equal(t, Rollback, r.Decision)
	assert.Contains(t, r.String(), "p95 latency > 500ms: observed 730ms")

	erroring := triggerProm(t, "0.1", "0.05")
	r = Decide(ok, ReadTriggers(ctx, erroring, Triggers("5m")))
	assert.Equal(t, Rollback, r.Decision)
	assert.Contains(t, r.String(), "error rate > 1%: observed 5.00%")

	silent := prom(t, func(q string) string { return harnesstest.Sample("NaN") })
	r = Decide(ok, ReadTriggers(ctx, silent, Triggers("5m")))
	assert.Equal(t, Hold, r.Decision, "no traffic in the window is no evidence: hold, do not ship")
	assert.Equal(t, 3, r.Decision.ExitCode())

	r = Decide(bad, ReadTriggers(ctx, healthyProm, Triggers("5m")))
	assert.Equal(t, Rollback, r.Decision, "a failed gate rolls back")
	assert.Equal(t, 1, r.Decision.ExitCode())

	r = Decide(held, ReadTriggers(ctx, healthyProm, Triggers("5m")))
	assert.Equal(t, Hold, r.Decision, "a gate on hold holds")
	assert.Contains(t, r.String(), "MISSING        TestAgentCatalogue/check_15")
	r = Decide(held, ReadTriggers(ctx, slow, Triggers("5m")))
	assert.Equal(t, Rollback, r.Decision, "a fired trigger rolls back whatever the gate")
}

// (k) The worst decision: ROLLBACK, then HOLD, then SHIP.
func TestWorst(t *testing.T) {
	assert.Equal(t, Ship, Worst(Ship, Ship))
	assert.Equal(t, Hold, Worst(Ship, Hold, Ship))
	assert.Equal(t, Rollback, Worst(Ship, Rollback, Hold, Ship), "not the last round: the worst")
	assert.Equal(t, Rollback, Worst(Rollback, Ship))
	assert.Equal(t, Hold, Worst(), "no round is no evidence")
	assert.Equal(t, Hold, Worst(Ship, Decision("WHAT")), "an unknown decision is not a reason to ship")
	assert.Equal(t, Rollback, Worst(Decision("WHAT"), Rollback))
}

// The in-process plan: scope states each check's planned outcome, the
// verdicts map to the gate's outcomes, the same gate applies.
func TestFromVerdicts(t *testing.T) {
	run := func(ctx context.Context, s *harness.Stack) error { return nil }
	cs := []checks.Check{
		{Group: "TestInfrastructure", Name: "a2a_health", Run: run},
		{Group: "TestAgentCatalogue", Name: "a2a_version", Run: run},
		{Group: "TestAgentCatalogue", Name: "a2a_card", Run: run},
		{Group: "TestBasicOrchestration", Name: "orchestration_run", Mutates: true, Run: run},
		{Group: "TestSecuritySmoke", Name: "cycle_rejected", Run: run},
	}
	scope := cannedScope("smokestack monitor only reads", "cycle_rejected", "profile a2a does not include part C")
	vs := map[string]checks.Verdict{
		"TestInfrastructure/a2a_health":            {Outcome: checks.Pass},
		"TestAgentCatalogue/a2a_version":           {Outcome: checks.Pass},
		"TestAgentCatalogue/a2a_card":              {Outcome: checks.Pass},
		"TestBasicOrchestration/orchestration_run": {Outcome: checks.NotJudged, Err: checks.CannotJudge("smokestack monitor only reads")},
		"TestSecuritySmoke/cycle_rejected":         {Outcome: checks.NotApplicable, Err: checks.OutOfScope("profile a2a does not include part C")},
	}
	r := smokeGate.Judge(FromVerdicts("monitor", nil, scope, cs, vs))
	assert.Equal(t, GatePass, r.Decision, r.String())
	assert.Contains(t, r.String(), "NOT JUDGED     TestBasicOrchestration/orchestration_run: smokestack monitor only reads")
	assert.Contains(t, r.String(), "NOT APPLICABLE TestSecuritySmoke/cycle_rejected: profile a2a does not include part C")

	// A critical check that fails (a Defect counts as a failure).
	vs2 := copyVerdicts(vs)
	vs2["TestInfrastructure/a2a_health"] = checks.Verdict{Outcome: checks.Defect, Err: errors.New("DEFECT OF THE CHECK: check panicked")}
	r = smokeGate.Judge(FromVerdicts("monitor", nil, scope, cs, vs2))
	assert.Equal(t, GateFail, r.Decision)
	assert.Contains(t, reasons(r), "critical check TestInfrastructure/a2a_health failed")

	// A check planned to be judged that came back NOT JUDGED, or never.
	vs3 := copyVerdicts(vs)
	vs3["TestAgentCatalogue/a2a_card"] = checks.Verdict{Outcome: checks.NotJudged, Err: checks.CannotJudge("Prometheus down")}
	delete(vs3, "TestAgentCatalogue/a2a_version")
	r = smokeGate.Judge(FromVerdicts("monitor", nil, scope, cs, vs3))
	assert.Equal(t, GateHold, r.Decision, r.String())
	assert.Contains(t, reasons(r), "ended NOT JUDGED: TestAgentCatalogue/a2a_card")
	assert.Contains(t, reasons(r), "never ended (truncated or killed run): TestAgentCatalogue/a2a_version")
}

func copyVerdicts(vs map[string]checks.Verdict) map[string]checks.Verdict {
	out := map[string]checks.Verdict{}
	for k, v := range vs {
		out[k] = v
	}
	return out
}

// The headline skips an empty "file.go:NN:" line (testify's layout).
func TestHeadline(t *testing.T) {
	assert.Equal(t, "Error Trace: x", headline([]string{"=== RUN   TestA/b", "    check.go:12: ", "        \tError Trace: x"}))
	assert.Equal(t, "want 200, got 503", headline([]string{"    check.go:273: want 200, got 503", "--- FAIL: TestA/b"}))
	o, why := skipOutcome("NOT APPLICABLE: profile a2a")
	assert.Equal(t, NotApplicable, o)
	assert.Equal(t, "profile a2a", why)
}
