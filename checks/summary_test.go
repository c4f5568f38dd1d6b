package checks

import (
	"strings"
	"testing"
	"time"
)

func TestSlowestNamesTheLongestFirst(t *testing.T) {
	got := Slowest(map[string]time.Duration{"A/a": time.Second, "B/b": 3 * time.Second, "C/c": 2 * time.Second, "D/d": 10 * time.Millisecond, "E/e": 0}, 3)
	if want := "slowest checks: B/b 3s, C/c 2s, A/a 1s"; got != want {
		t.Errorf("Slowest = %q, want %q", got, want)
	}
	if got := Slowest(map[string]time.Duration{"E/e": 0}, 3); got != "" {
		t.Errorf("Slowest of untimed checks = %q, want nothing", got)
	}
}

func TestSummaryWriteNamesTheSlowest(t *testing.T) {
	p := Plan{Checks: []PlanLine{{ID: "A/a", Plan: PlanJudge}, {ID: "B/b", Plan: PlanJudge}}}
	sum := Summarize(p, map[string]Verdict{"A/a": {Outcome: Pass, Elapsed: time.Second}, "B/b": {Outcome: Pass, Elapsed: 2 * time.Second}}, 3*time.Second)
	var b strings.Builder
	sum.Write(&b)
	if !strings.Contains(b.String(), "smokestack: slowest checks: B/b 2s, A/a 1s\n") {
		t.Errorf("summary without the slowest checks:\n%s", b.String())
	}
}
