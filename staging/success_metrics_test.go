//go:build slow && !critical

package staging

import (
	"testing"

	"github.com/smokestack-dev/smokestack/checks"
)

// TestSuccessMetrics: the checklist's 48-hour targets over
// SMOKE_SUCCESS_WINDOW (default 48h) — error rate, circuit breaker trips a
// day, retry success, metrics collected and traces generated an hour,
// structured logs, the HTDAG/HALO/AOP P95s from the service's histograms,
// and the Phase 4 rollout for the day. An ephemeral stack first gets a
// bounded synthetic load and is judged from its start; a live target is
// judged on its own traffic.
func TestSuccessMetrics(t *testing.T) {
	s := checks.SuccessWindowFor(t, stack)
	checks.RunTest(t, s, checks.Staging, level)
}
