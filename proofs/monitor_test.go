package proofs

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/checks"
	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/verdict"
)

// TestMonitorRoundDecides: the monitoring round says SHIP on the healthy
// stack and ROLLBACK when a critical check fails, even though one failure
// in thirty-odd checks is within the 95 % pass rate.
func TestMonitorRoundDecides(t *testing.T) {
	ephemeralOnly(t, "breaks the stack on purpose: runs only on an ephemeral stack")
	gate := verdict.Gate{MinPassRate: 0.95, Critical: checks.IsCritical}
	var text string
	err := harness.Eventually(context.Background(), "monitor round says SHIP on the healthy stack", 60*time.Second, 2*time.Second,
		func(ctx context.Context) error {
			r := verdict.RunRound(context.Background(), stack, "1m", gate)
			if text = r.Text(); r.Verdict.Decision != verdict.Ship {
				return fmt.Errorf("decision %s:\n%s", r.Verdict.Decision, text)
			}
			return nil
		})
	require.NoError(t, err)
	assert.Contains(t, text, "ok   a2a_health")

	breakStack(t, context.Background(), "health_unhealthy")
	r := verdict.RunRound(context.Background(), stack, "1m", gate)
	text = r.Text()
	assert.Equal(t, verdict.Rollback, r.Verdict.Decision, text)
	assert.Contains(t, text, "FAIL a2a_health")
	assert.Contains(t, text, "critical check TestInfrastructure/a2a_health failed")
}
