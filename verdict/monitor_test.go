package verdict

import (
	"context"
	"encoding/json"
	"errors"
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
	"github.com/smokestack-dev/smokestack/harness/harnesstest"
)

// cannedScope stands in for monitorScope where a test builds a round or a
// plan by hand, with no stack to ask: a check that changes the target is
// not judged (readOnly), and one check, outside, is not applicable (why).
func cannedScope(readOnly, outside, why string) func(checks.Check) error {
	return func(c checks.Check) error {
		switch {
		case c.Mutates:
			return checks.CannotJudge("%s", readOnly)
		case c.Name == outside:
			return checks.OutOfScope("%s", why)
		}
		return nil
	}
}

// cannedRound is a round judged from verdicts made by hand, no network, on
// a few of the smoke suite's checks under their real IDs (criticality is
// the registry's): the read-only ones pass unless changed, the two that
// change the target are NOT JUDGED by the monitor's scope, grafana_health is
// out of the profile, both triggers read well under their limits.
func cannedRound(t *testing.T, change func(vs map[string]checks.Verdict, ev *roundEvidence)) Round {
	t.Helper()
	run := func(context.Context, *harness.Stack) error { return nil }
	check := func(id string, mutates bool) checks.Check {
		group, name, _ := strings.Cut(id, "/")
		return checks.Check{Group: group, Name: name, Mutates: mutates, Run: run}
	}
	health := []checks.Check{check("TestInfrastructure/a2a_health", false), check("TestInfrastructure/grafana_health", false)}
	smoke := append(append([]checks.Check{}, health...), check("TestAgentCatalogue/a2a_version", false), check("TestAgentCatalogue/a2a_card", false),
		check("TestBasicOrchestration/orchestration_run", true), check("TestAgentCatalogue/agents_loadable", true))
	resources := check("TestPerformanceBaseline/system_resources", false)
	scope := cannedScope("smokestack monitor only reads: it never runs a check that changes the target",
		"grafana_health", "Grafana is not part of this live target")
	ev := roundEvidence{time: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC), target: "live stack genesis=https://genesis.example",
		scope: scope, health: health, smoke: smoke, resources: &resources, verdicts: map[string]checks.Verdict{}}
	for i, c := range append(smoke, resources) {
		err := scope(c)
		ev.verdicts[c.ID()] = checks.Verdict{Check: c, Err: err, Outcome: scopeOutcome(err), Elapsed: time.Duration(i+1) * time.Millisecond}
	}
	for _, tr := range Triggers("5m") {
		ev.triggers = append(ev.triggers, TriggerResult{Trigger: tr, Value: tr.Limit / 10})
	}
	if change != nil {
		change(ev.verdicts, &ev)
	}
	return judgeRound(smokeGate, ev)
}

// The round's text is today's report, byte for byte, from canned verdicts:
// host resources over their limits hold a round whose gate passes.
func TestRoundText(t *testing.T) {
	r := cannedRound(t, func(vs map[string]checks.Verdict, ev *roundEvidence) {
		ev.preflight = []string{"pre-flight: every component answered"}
		id := "TestPerformanceBaseline/system_resources"
		vs[id] = checks.Verdict{Outcome: checks.Fail, Err: errors.New(id + " on node-exporter: want memory under 90%, got 97%\nbody below")}
	})
	want := `==================== PRODUCTION HEALTH CHECK ====================
Timestamp: 2026-03-01T08:00:00Z
live stack genesis=https://genesis.example
pre-flight: every component answered

1. Service Health:
   ok   a2a_health
   NOT APPLICABLE grafana_health: Grafana is not part of this live target

2. Smoke checks: GATE PASS: 3/3 checks passed (100.0%), 0 failed, 1 not applicable, 2 not judged, 0 missing
   NOT JUDGED     TestBasicOrchestration/orchestration_run: smokestack monitor only reads: it never runs a check that changes the target
   NOT JUDGED     TestAgentCatalogue/agents_loadable: smokestack monitor only reads: it never runs a check that changes the target

3. Host resources:
   FAIL system_resources: on node-exporter: want memory under 90%, got 97%

4. VERDICT: HOLD
  GATE PASS: 3/3 checks passed (100.0%), 0 failed, 1 not applicable, 2 not judged, 0 missing
  trigger p95 latency > 500ms    ok      observed 50ms
  trigger error rate > 1%        ok      observed 0.10%
  because host resources over their limits: TestPerformanceBaseline/system_resources on node-exporter: want memory under 90%, got 97%
==============================================================

`
	assert.Equal(t, want, r.Text())
}

// The report for a person and the log's JSON line are the same round: each
// check's outcome, the triggers, the decision and its reasons agree, and
// both redact.
func TestRoundTextAndRecordAgree(t *testing.T) {
	leak := "Bearer abcdefghijklmnop"
	for name, tc := range map[string]struct {
		want   Decision
		change func(map[string]checks.Verdict, *roundEvidence)
	}{
		"ship": {Ship, nil},
		"rollback: a critical check fails": {Rollback, func(vs map[string]checks.Verdict, _ *roundEvidence) {
			vs["TestInfrastructure/a2a_health"] = checks.Verdict{Outcome: checks.Fail, Err: errors.New("TestInfrastructure/a2a_health on A2A service: got 503 for " + leak)}
		}},
		"rollback: a trigger fires": {Rollback, func(_ map[string]checks.Verdict, ev *roundEvidence) {
			ev.triggers[0].Value, ev.triggers[0].Fired = 0.73, true
		}},
		"hold: a trigger cannot be read, a check never evaluated, one not judged": {Hold, func(vs map[string]checks.Verdict, ev *roundEvidence) {
			ev.triggers[1].Err = errors.New("no value (NaN): no traffic in the window")
			delete(vs, "TestInfrastructure/grafana_health")
			vs["TestAgentCatalogue/a2a_card"] = checks.Verdict{Outcome: checks.NotJudged, Err: checks.CannotJudge("dependency down: %s", leak)}
		}},
		"hold: no Prometheus, no resource check": {Hold, func(_ map[string]checks.Verdict, ev *roundEvidence) {
			ev.triggers, ev.noPrometheus, ev.resources = nil, true, nil
		}},
	} {
		t.Run(name, func(t *testing.T) {
			r := cannedRound(t, tc.change)
			r.Number = 3
			require.Equal(t, tc.want, r.Verdict.Decision, r.Text())
			text := r.Text()
			line, err := r.Record().JSONLine()
			require.NoError(t, err)
			var rec Record
			require.NoError(t, json.Unmarshal(line, &rec), "the line the 48-hour report reads")

			assert.Equal(t, KindMonitor, rec.Kind)
			assert.Equal(t, 3, rec.Round)
			assert.True(t, rec.Time.Equal(r.Time), "one time for the text and the line")
			assert.Contains(t, text, "Timestamp: "+rec.Time.Format(time.RFC3339)+"\n")
			assert.Contains(t, text, "\n4. VERDICT: "+string(rec.Decision)+"\n", "the same decision")
			assert.Equal(t, r.Verdict.Decision, rec.Decision)
			assert.Contains(t, text, "\n2. Smoke checks: GATE "+string(rec.Gate)+": ")
			for _, c := range rec.Checks {
				switch {
				case c.Group == "TestInfrastructure":
					assert.Contains(t, text, "   "+healthWord(c.Outcome)+" "+c.Name, "section 1 says %s as the record does", c.ID)
				case c.Outcome == Pass:
					assert.NotContains(t, text, " "+c.ID+":", "a passing check is counted, not listed")
				default:
					assert.Contains(t, text, fmt.Sprintf("   %-14s %s: ", c.Outcome, c.ID), "section 2 lists %s as the record does", c.ID)
				}
			}
			for _, tr := range rec.Triggers {
				state := "ok"
				switch {
				case tr.Value == nil:
					state = "UNKNOWN"
				case tr.Breached:
					state = "FIRED"
				}
				assert.Contains(t, text, fmt.Sprintf("  trigger %-22s %-7s observed ", tr.Name, state))
			}
			var because []string
			for _, l := range strings.Split(text, "\n") {
				if r, ok := strings.CutPrefix(l, "  because "); ok {
					because = append(because, r)
				}
			}
			var reasons []string
			for _, r := range rec.Reasons {
				reasons = append(reasons, clip(r))
			}
			assert.Equal(t, reasons, because, "the same reasons, in the same order")
			for _, out := range []string{text, string(line)} {
				assert.NotContains(t, out, "abcdefghijklmnop")
			}
		})
	}
}

// healthWord is how section 1 says an outcome.
func healthWord(o Outcome) string {
	switch o {
	case Pass:
		return "ok  "
	case Fail:
		return "FAIL"
	}
	return string(o)
}

// A monitor round against a live target that is down: the critical health
// check fails (ROLLBACK), checks that change the target are NOT JUDGED by
// the monitor's configuration, checks outside the profile NOT APPLICABLE,
// each named with its reason.
func TestMonitorRoundOnADeadTarget(t *testing.T) {
	promURL := httptest.NewServer(harnesstest.PrometheusQuery(func(string) string { return harnesstest.Sample("0.001") }))
	t.Cleanup(promURL.Close)
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close() // nothing answers there any more
	cfg, err := harness.LoadConfig(func(k string) (string, bool) {
		v, ok := map[string]string{"SMOKE_TARGET": "live", "SMOKE_A2A_URL": dead.URL, "SMOKE_PROMETHEUS_URL": promURL.URL,
			"SMOKE_REQUIRE": "genesis,prometheus", "SMOKE_PROFILE": "orchestration", "SMOKE_CHECK_TIMEOUT": "5s"}[k]
		return v, ok
	})
	require.NoError(t, err)
	s, err := harness.Open(context.Background(), cfg)
	require.NoError(t, err)
	r := RunRound(context.Background(), s, "5m", smokeGate)
	text := r.Text()
	assert.Equal(t, Rollback, r.Verdict.Decision)
	assert.Equal(t, Rollback, r.Record().Decision)
	assert.Contains(t, text, "FAIL a2a_health: on A2A service (genesis)")
	assert.Contains(t, text, "because critical check TestInfrastructure/a2a_health failed")
	for _, c := range checks.SmokeGroups {
		for _, c := range c {
			if c.Mutates && c.Part != harness.PartC {
				assert.Contains(t, text, "NOT JUDGED     "+c.ID()+": smokestack monitor only reads: it never runs a check that changes the target")
			}
		}
	}
	assert.Contains(t, text, "NOT APPLICABLE grafana_health: ", "TestInfrastructure is section 1, said once")
	// One outage, one failure: the pre-flight names the dead service once,
	// its health check fails, the checks that read it are NOT JUDGED.
	assert.Contains(t, text, "pre-flight: A2A service (genesis) did not answer at "+dead.URL+": connection refused")
	assert.Contains(t, text, "NOT JUDGED     TestAgentInvoke/auth_enforced_when_keyed: dependency down: A2A service (genesis) did not answer")
	assert.Equal(t, 1, strings.Count(text, "FAIL a2a_health"), "section 2 does not repeat section 1")
}
