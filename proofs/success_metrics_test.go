package proofs

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/checks"
	"github.com/smokestack-dev/smokestack/harness"
)

// TestSuccessMetricFaults proves the windowed success metrics on a stack of
// their own (see faults_success_metrics.go for why not in the matrix): for
// each row the fault is applied, its window starts, the row's load is sent
// under it, and the row's checks are judged over that window — each
// listed failure fails for its stated reason, each rate over too little
// evidence is NOT JUDGED (never a pass), each control passes.
func TestSuccessMetricFaults(t *testing.T) {
	ephemeralOnly(t, "the success-metric proofs start stacks of their own: ephemeral mode only (SMOKE_TARGET unset)")
	besideWaiting(t)
	// Two stacks, each running every other row in order: a row is mostly
	// waiting (its load, Prometheus's scrapes of its window), so two take
	// about half the time of one. The first two rows are the unbroken ones,
	// one first on each stack: a stack whose own unbroken row does not hold
	// runs no fault row.
	ctx, stacks := ownStacks(t, 2, 15*time.Minute, nil)
	rows := SuccessMetricFaults()
	for k := range stacks {
		if rows[k].Action.Apply != nil {
			t.Fatalf("row %d (%s) is a fault: the first %d rows must be unbroken, one to start each stack", k+1, rows[k].Name, len(stacks))
		}
	}
	for k, s := range stacks {
		t.Run(fmt.Sprintf("stack_%d", k+1), func(t *testing.T) {
			t.Parallel()
			for i := k; i < len(rows); i += len(stacks) {
				f := rows[i]
				if ok := t.Run(f.Name, func(t *testing.T) { judgeSuccessFault(ctx, t, s, f) }); !ok && f.Action.Apply == nil {
					t.Fatalf("the unbroken row %s did not hold on this stack: its fault rows would prove nothing", f.Name)
				}
			}
		})
	}
}

// judgeSuccessFault runs one row on s: the fault, its load, its window.
func judgeSuccessFault(ctx context.Context, t *testing.T, s *harness.Stack, f SuccessFault) {
	if f.Action.Apply != nil {
		require.NoError(t, f.Action.Apply(ctx, s), "apply %s", f.Name)
		t.Cleanup(func() { require.NoError(t, f.Action.Restore(context.WithoutCancel(ctx), s), "restore %s", f.Name) })
	}
	// The window starts once the fault is in effect, not when it was
	// asked for: a scrape between the two (one in seven at a 2 s interval
	// when the knob's request takes 300 ms on a loaded host) would put a
	// healthy sample into success_metrics_broken's window.
	start := time.Now()
	vs := successWindow(ctx, t, s, f, start, false)
	// A control that fails beside the other proofs (a P95 over the load of
	// a dozen stacks on two cores) has its window sent and judged again
	// alone, as a Run measures a check again (machine): a control that
	// fails for the row's fault fails alone too.
	for _, id := range f.Passes {
		if vs[id].Outcome == checks.Fail {
			t.Logf("%s FAIL beside the other proofs (%v): the row's load and window again, alone", id, vs[id].Err)
			vs = successWindow(ctx, t, s, f, time.Now(), true)
			break
		}
	}
	for _, id := range f.Passes {
		assert.Equal(t, checks.Pass, vs[id].Outcome, "%s under %s: %v", id, f.Name, vs[id].Err)
	}
	judged := func(id string, want checks.Outcome) {
		v := vs[id]
		if !assert.Equal(t, want, v.Outcome, "%s under %s: %v", id, f.Name, v.Err) {
			return
		}
		seen := Seen(v.Err)
		if want == checks.NotJudged {
			seen = checks.Reason(v.Err)
		}
		if says, ok := f.Says[id]; assert.True(t, ok, "%s under %s states no reason; it said: %s", id, f.Name, seen) {
			assert.Contains(t, seen, says, "%s under %s, for another reason", id, f.Name)
		}
		t.Logf("%s %s: %s", id, v.Outcome, strings.ReplaceAll(seen, "\n", " | "))
	}
	for _, id := range f.Fails {
		judged(id, checks.Fail)
	}
	for _, id := range f.NotJudged {
		judged(id, checks.NotJudged)
	}
}

// successWindow sends the row's load and judges its checks over the window
// from start, holding quiet for reading (beside the other proofs) or,
// alone, for writing.
func successWindow(ctx context.Context, t *testing.T, s *harness.Stack, f SuccessFault, start time.Time, alone bool) map[string]checks.Verdict {
	if alone {
		quiet.Lock()
		defer quiet.Unlock()
	} else {
		quiet.RLock()
		defer quiet.RUnlock()
	}
	r, err := checks.SendLoad(ctx, s, f.Load)
	require.NoError(t, err, "load under %s", f.Name)
	t.Logf("load: %s", r)
	var cs []checks.Check
	for _, id := range slices.Concat(f.Fails, f.NotJudged, f.Passes) {
		c, ok := checks.ByID(id)
		require.True(t, ok, id)
		cs = append(cs, c)
	}
	vs := checks.EvaluateAll(ctx, s.WithWindowStart(start), cs)
	for _, id := range slices.Concat(f.Fails, f.NotJudged, f.Passes) {
		for _, n := range vs[id].Notes {
			t.Logf("%s: %s", id, n)
		}
	}
	return vs
}
