package verdict

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/smokestack-dev/smokestack/checks"
)

func TestSlowestNamesTheLongestFirst(t *testing.T) {
	got := slowestOf(map[string]time.Duration{"A/a": time.Second, "B/b": 3 * time.Second, "C/c": 2 * time.Second, "D/d": 10 * time.Millisecond, "E/e": 0}, 3)
	assert.Equal(t, "slowest checks: B/b 3s, C/c 2s, A/a 1s", got)
	assert.Empty(t, slowestOf(map[string]time.Duration{"E/e": 0}, 3), "untimed checks are not named")
}

// The go test summary is the gate's report under the critical suite's rule:
// the same words smokestack gate -all prints for the same checks.
func TestSummaryTextIsTheGatesReport(t *testing.T) {
	plan := checks.Plan{Begin: checks.PlanLine{Kind: checks.PlanBegin, Suite: "smoke", Profile: "full"}, Checks: []checks.PlanLine{
		{Kind: checks.PlanCheck, ID: "TestInfrastructure/a2a_health", Critical: true, Plan: checks.PlanJudge},
		{Kind: checks.PlanCheck, ID: "TestInfrastructure/grafana_health", Plan: checks.PlanNotApplicable, Reason: "SMOKE_GRAFANA_IMAGE=none"},
		{Kind: checks.PlanCheck, ID: "TestAgentInvoke/wrong_key_403", Plan: checks.PlanJudge},
	}}
	na := checks.Verdict{Outcome: checks.NotApplicable, Err: errors.New("SMOKE_GRAFANA_IMAGE=none")}
	pass := checks.Verdict{Outcome: checks.Pass, Elapsed: 2 * time.Second}
	cases := []struct {
		name string
		vs   map[string]checks.Verdict
		code int
		want []string
	}{
		{"green", map[string]checks.Verdict{"TestInfrastructure/a2a_health": pass, "TestInfrastructure/grafana_health": na,
			"TestAgentInvoke/wrong_key_403": {Outcome: checks.Pass, Elapsed: time.Second}},
			0, []string{"smokestack summary (smoke suite, profile full, 3s):\n", "  GATE PASS: 2/2 checks passed (100.0%), 0 failed, 1 not applicable, 0 not judged, 0 missing\n",
				"    slowest checks: TestInfrastructure/a2a_health 2s, TestAgentInvoke/wrong_key_403 1s\n",
				"    NOT APPLICABLE TestInfrastructure/grafana_health: SMOKE_GRAFANA_IMAGE=none\n"}},
		{"failed", map[string]checks.Verdict{"TestInfrastructure/a2a_health": pass, "TestInfrastructure/grafana_health": na,
			"TestAgentInvoke/wrong_key_403": {Outcome: checks.Fail, Err: errors.New("want 403, got 200 from http://127.0.0.1:1/a2a/invoke")}},
			1, []string{"  GATE FAIL: 1/2 checks passed (50.0%), 1 failed", "    FAIL           TestAgentInvoke/wrong_key_403: want 403, got 200 from http://127.0.0.1:1/a2a/invoke\n"}},
		{"missing", map[string]checks.Verdict{"TestInfrastructure/a2a_health": pass, "TestInfrastructure/grafana_health": na},
			0, []string{"  GATE HOLD: 1/1 checks passed (100.0%), 0 failed, 1 not applicable, 0 not judged, 1 missing\n",
				"    MISSING        TestAgentInvoke/wrong_key_403: never evaluated\n"}},
		{"failed outside the checks", map[string]checks.Verdict{"TestInfrastructure/a2a_health": pass, "TestInfrastructure/grafana_health": na,
			"TestAgentInvoke/wrong_key_403": pass},
			1, []string{"  GATE HOLD: 2/2 checks passed", "the test binary failed (exit 1)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := SummaryText(checks.Summarize(plan, c.vs, 3*time.Second, c.code))
			for _, w := range c.want {
				assert.Contains(t, got, w)
			}
			for _, l := range strings.Split(strings.TrimSpace(got), "\n")[1:] {
				assert.True(t, strings.HasPrefix(l, "  "), "every line under the header is indented: %q", l)
			}
		})
	}
}
