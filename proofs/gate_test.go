package proofs

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/verdict"
)

// TestGateOverRealRuns: the gate passes a real healthy critical run and
// fails the same run after the A2A service broke, naming the check.
func TestGateOverRealRuns(t *testing.T) {
	ephemeralOnly(t, "breaks the stack on purpose: runs only on an ephemeral stack")
	gate := verdict.Gate{MinPassRate: 0.95, RequireAll: true}
	judge := func() verdict.GateResult {
		out, _ := goTestLive(t, "-json", "./smoke", "-tags", "critical")
		run, err := verdict.Parse(strings.NewReader(out))
		require.NoError(t, err)
		return gate.Judge(run)
	}
	healthy := judge()
	assert.True(t, healthy.OK, "healthy: %s %v", healthy.Summary(), healthy.Reasons)
	assert.GreaterOrEqual(t, healthy.Passed, 10)

	breakStack(t, context.Background(), "health_unhealthy")
	broken := judge()
	assert.False(t, broken.OK, "broken: %s", broken.Summary())
	var names []string
	for _, f := range broken.Failures {
		names = append(names, f.Test+": "+f.Headline)
	}
	assert.Contains(t, strings.Join(names, "\n"), "a2a_health")
	assert.Contains(t, strings.Join(names, "\n"), `status "unhealthy"`, "the gate quotes the check's headline")
}

// TestRollbackTriggersOverRealMetrics: the checklist's metric triggers,
// read from the stack's Prometheus, stay quiet on healthy traffic and fire
// when the service answers 500 or slowly.
func TestRollbackTriggersOverRealMetrics(t *testing.T) {
	ephemeralOnly(t, "breaks the stack on purpose: runs only on an ephemeral stack")
	ctx := context.Background()
	g := stack.Genesis()
	traffic := func(n int) {
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = g.Decompose(ctx, harness.DecomposeRequest{UserRequest: fmt.Sprintf("Build a small invoice API, variant %d", i)})
			}()
		}
		wg.Wait()
	}
	const window = "20s"
	trigger := func(name string) verdict.Trigger {
		for _, tr := range verdict.Triggers(window) {
			if strings.HasPrefix(tr.Name, name) {
				return tr
			}
		}
		t.Fatalf("no trigger %s", name)
		return verdict.Trigger{}
	}
	// read waits (bounded) until the trigger reads want, keeping traffic up.
	read := func(tr verdict.Trigger, fired bool) verdict.TriggerResult {
		var last verdict.TriggerResult
		err := harness.Eventually(ctx, "trigger "+tr.Name, 60*time.Second, 2*time.Second, func(ctx context.Context) error {
			traffic(10)
			last = verdict.ReadTriggers(ctx, stack.Prometheus(), []verdict.Trigger{tr})[0]
			if last.Err != nil {
				return last.Err
			}
			if last.Fired != fired {
				return fmt.Errorf("fired=%t at %v", last.Fired, last.Value)
			}
			return nil
		})
		require.NoError(t, err)
		return last
	}
	errRate, p95 := trigger("error rate"), trigger("p95")

	calm := read(errRate, false)
	t.Logf("healthy error rate %.4f", calm.Value)
	breakStack(t, ctx, "error_rate=1")
	loud := read(errRate, true)
	t.Logf("error_rate=1: error rate %.4f", loud.Value)
	_, err := harness.Done(stack.Genesis().SetFaults(ctx, ""))
	require.NoError(t, err)

	_, err = harness.Done(stack.Genesis().SetFaults(ctx, "latency_htdag=700ms"))
	require.NoError(t, err)
	slow := read(p95, true)
	t.Logf("latency_htdag=700ms: p95 %.3fs", slow.Value)
	_, err = harness.Done(stack.Genesis().SetFaults(ctx, ""))
	require.NoError(t, err)
}
