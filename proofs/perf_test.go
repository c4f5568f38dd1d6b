package proofs

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/perf"
)

// TestBudgetsCanFail proves the P95 budgets of package perf: each passes on
// the healthy stack and fails when the reference service adds latency to
// its stage, and a slow tail of 10 % of requests fails a P95 budget that a
// mean would pass.
func TestBudgetsCanFail(t *testing.T) {
	ephemeralOnly(t, "sets latency knobs on the service: runs only on an ephemeral stack")
	afterBesides(t)
	ctx := context.Background()
	ops, skipped, err := perf.Ops(ctx, stack)
	require.NoError(t, err)
	require.Empty(t, skipped, "the reference service serves every operation")
	small := harness.Sampling{Warmup: 2, Samples: 20, MaxDuration: 30 * time.Second}
	for _, op := range ops {
		t.Run(op.Name, func(t *testing.T) {
			l, err := harness.Sample(ctx, small, op.Do)
			require.NoError(t, err)
			healthy := op.Budget.Judge(l)
			assert.True(t, healthy.Met, "healthy: %s", healthy)

			slow := op.Budget.Limit + op.Budget.Limit/4
			breakStack(t, ctx, "latency_"+op.Name+"="+slow.String())
			l, err = harness.Sample(ctx, small, op.Do)
			require.NoError(t, err)
			broken := op.Budget.Judge(l)
			assert.False(t, broken.Met, "latency_%s=%s must break %s: %s", op.Name, slow, op.Budget.Source, broken)
			_, err = harness.Done(stack.Genesis().SetFaults(ctx, ""))
			require.NoError(t, err)
		})
	}
	t.Run("tail", func(t *testing.T) {
		var htdag perf.Op
		for _, op := range ops {
			if op.Name == "htdag" {
				htdag = op
			}
		}
		breakStack(t, ctx, "tail_latency_htdag=10:400ms")
		l, err := harness.Sample(ctx, harness.Sampling{Warmup: 5, Samples: 100, MaxDuration: 60 * time.Second}, htdag.Do)
		require.NoError(t, err)
		v := htdag.Budget.Judge(l)
		assert.False(t, v.Met, "a 10 %% tail at +400ms breaks p(95)<200ms: %s (%s)", v, l.Summary())
		assert.Less(t, l.Percentile(50), htdag.Budget.Limit, "while the median stays fast: %s", l.Summary())
	})
}
