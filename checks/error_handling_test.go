package checks

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/harness/harnesstest"
)

func TestErrorCategorization(t *testing.T) {
	const id = "TestErrorHandling/error_categorization"
	requirePass(t, evaluateWith(t, newStagingImitation(), id, nil))
	hostileStaging(t, id, func(g *stagingImitation) { g.category = "unknown" }, `category "unknown"`)
	hostileStaging(t, id, func(g *stagingImitation) { g.freezeErrors = true }, `0 before, 0 after`)

	// A service whose /metrics is not an exposition.
	broken := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			harnesstest.WriteJSON(w, 200, map[string]any{"errors": 1})
			return
		}
		newStagingImitation().ServeHTTP(w, r)
	})
	v := evaluateWith(t, broken, id, nil)
	assert.Equal(t, Fail, v.Outcome, "%v", v.Err)
}

// TestDrillsSkipWithoutPlannerOrPermission: the drills read the LLM
// planner (they set faults on it). A target without one is NOT APPLICABLE,
// naming how to include it, even where mutation is allowed; a target with a
// planner but without permission to mutate is NOT JUDGED, naming the
// variable that allows it. Neither is a pass, and the order matters: an
// out-of-scope drill is not reported as merely forbidden.
func TestDrillsSkipWithoutPlannerOrPermission(t *testing.T) {
	plannerURL, called := recordingPlanner(t)
	for _, id := range []string{"TestErrorHandling/circuit_breaker", "TestErrorHandling/graceful_degradation", "TestErrorHandling/retry"} {
		for _, env := range []map[string]string{nil, mutable} {
			v := evaluateWith(t, newStagingImitation(), id, env)
			require.Equal(t, NotApplicable, v.Outcome, "%s (mutation %v): %v", id, env != nil, v.Err)
			assert.Contains(t, v.Err.Error(), "LLM planner", id)
			assert.Contains(t, v.Err.Error(), harness.Env.LLMURL, id)
			assert.Contains(t, v.Err.Error(), harness.Env.Require, id)
		}

		v := evaluateWith(t, newStagingImitation(), id, map[string]string{harness.Env.LLMURL: plannerURL})
		require.Equal(t, NotJudged, v.Outcome, "%s: %v", id, v.Err)
		assert.Contains(t, v.Err.Error(), harness.Env.AllowMutation+"=1", id)
		assert.Contains(t, v.Err.Error(), "read-only", id)
	}
	assert.Empty(t, called(), "a drill that may not run touched the planner")
}

// TestDrillsJudgeResilienceShapes: with a planner and permission, a drill
// refuses a /resilience whose breaker state is outside the contract before
// it breaks anything.
func TestDrillsJudgeResilienceShapes(t *testing.T) {
	plannerURL, planned := recordingPlanner(t)
	g := newStagingImitation()
	g.breakerState = "BROKEN"
	env := map[string]string{harness.Env.AllowMutation: "1", harness.Env.LLMURL: plannerURL}
	for _, id := range []string{"TestErrorHandling/circuit_breaker", "TestErrorHandling/graceful_degradation", "TestErrorHandling/retry"} {
		v := evaluateWith(t, g, id, env)
		require.Equal(t, Fail, v.Outcome, "%s: %v", id, v.Err)
		assert.Contains(t, v.Err.Error(), `breaker llm in state "BROKEN"`)
	}
	assert.Empty(t, planned(), "no fault was set on the planner")
}

// recordingPlanner is an LLM planner that accepts every fault and records
// each request, so a test can show that a drill which must not break
// anything never reached it.
func recordingPlanner(t *testing.T) (url string, calls func() []string) {
	var mu sync.Mutex
	var seen []string
	planner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path)
		mu.Unlock()
		harnesstest.WriteJSON(w, 200, map[string]any{"faults": ""})
	}))
	t.Cleanup(planner.Close)
	return planner.URL, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen)
	}
}
