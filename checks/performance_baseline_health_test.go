package checks

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/harness"
)

func TestHealthP95WhileAgentsLoad(t *testing.T) {
	env := map[string]string{harness.Env.AllowMutation: "1", harness.Env.HealthBudget: "60ms"}
	healthy := &loadingGenesis{loaded: map[string]bool{}, loadTime: 100 * time.Millisecond}
	v := Evaluate(context.Background(), imitateGenesis(t, healthy, env), check(t, "TestPerformanceBaseline/health_p95"))
	require.Equal(t, Pass, v.Outcome, "a /health that does not wait for loads passes: %v", v.Err)
	healthy.state.Lock()
	assert.Len(t, healthy.loaded, 6, "every agent not loaded was sent to load")
	healthy.state.Unlock()

	blocked := &loadingGenesis{loaded: map[string]bool{}, loadTime: 100 * time.Millisecond, blocking: true}
	v = Evaluate(context.Background(), imitateGenesis(t, blocked, env), check(t, "TestPerformanceBaseline/health_p95"))
	requireFail(t, v)
	msg := v.Err.Error()
	assert.Contains(t, msg, "/health")
	assert.Contains(t, msg, "is over the budget 60ms", "the observed P95 is named against the budget")
	assert.Contains(t, msg, "samples taken while 6 of 6 agents were sent to load")

	// Every agent loaded now: a lazy service cannot show a load, an eager
	// one never loads after start-up.
	again := Evaluate(context.Background(), imitateGenesis(t, healthy, env), check(t, "TestPerformanceBaseline/health_p95"))
	require.Equal(t, NotJudged, again.Outcome, "%v", again.Err)
	assert.Contains(t, again.Err.Error(), "all 6 registered agents were already loaded")
	eager := &loadingGenesis{loaded: map[string]bool{"marketing": true, "builder": true, "qa": true, "seo": true, "support": true, "legal": true}, eager: true}
	v = Evaluate(context.Background(), imitateGenesis(t, eager, env), check(t, "TestPerformanceBaseline/health_p95"))
	require.Equal(t, Pass, v.Outcome, "an eager service's idle /health is the whole judgement: %v", v.Err)

	readOnly := Evaluate(context.Background(), imitateGenesis(t, &loadingGenesis{loaded: map[string]bool{}}, nil), check(t, "TestPerformanceBaseline/health_p95"))
	require.Equal(t, NotJudged, readOnly.Outcome, "loading agents is a mutation: %v", readOnly.Err)
}

// TestHealthP95OnASaturatedHost: health_p95 missed on a saturated suite
// host, with some sample within the budget, is NOT JUDGED after its one
// measurement (ErrHostSaturated: the proofs measure it again alone); the
// same miss with room, or with every sample over the budget, is a FAIL.
func TestHealthP95OnASaturatedHost(t *testing.T) {
	const id = "TestPerformanceBaseline/health_p95"
	oldRead := readHostCPU
	t.Cleanup(func() { readHostCPU = oldRead })
	// host reads a host busy that many thousandths of each reading's span.
	host := func(busy uint64) func() (harness.HostCPU, error) {
		var mu sync.Mutex
		var now harness.HostCPU
		return func() (harness.HostCPU, error) {
			mu.Lock()
			defer mu.Unlock()
			now.Total += 1000
			now.Busy += busy
			return now, nil
		}
	}
	env := map[string]string{harness.Env.AllowMutation: "1", harness.Env.HealthBudget: "60ms"}
	blocked := func() *loadingGenesis {
		return &loadingGenesis{loaded: map[string]bool{}, loadTime: 100 * time.Millisecond, blocking: true}
	}

	readHostCPU = host(970)
	v := Evaluate(context.Background(), imitateGenesis(t, blocked(), env), check(t, id))
	require.Equal(t, NotJudged, v.Outcome, "%v", v.Err)
	assert.True(t, errors.Is(v.Err, ErrHostSaturated), "%v", v.Err)
	assert.Contains(t, v.Err.Error(), "its one measurement (a second would find loaded the agents this one loaded")
	assert.Contains(t, v.Err.Error(), "is over the budget 60ms")
	assert.Contains(t, v.Err.Error(), "the suite's host 97% busy")
	assert.Regexp(t, `at http://127\.0\.0\.1:\d+/health could not be judged`, v.Err.Error())

	readHostCPU = host(300)
	requireFail(t, Evaluate(context.Background(), imitateGenesis(t, blocked(), env), check(t, id)),
		"is over the budget 60ms", "samples taken while 6 of 6 agents were sent to load", "the suite's host 30% busy")

	// Every /health over the budget: a busy host delays some, not all.
	readHostCPU = host(970)
	g := blocked()
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			time.Sleep(80 * time.Millisecond)
		}
		g.ServeHTTP(w, r)
	})
	requireFail(t, Evaluate(context.Background(), imitateGenesis(t, slow, env), check(t, id)),
		"is over the budget 60ms", "the suite's host 97% busy")

	// A host that cannot be read is no excuse.
	readHostCPU = func() (harness.HostCPU, error) { return harness.HostCPU{}, errors.New("no /proc/stat") }
	requireFail(t, Evaluate(context.Background(), imitateGenesis(t, blocked(), env), check(t, id)),
		"is over the budget 60ms", "the suite's host's CPU not readable")
}

func TestA2AHealthBudget(t *testing.T) {
	slow := func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(120 * time.Millisecond)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"healthy","agents_registered":15,"agents_loaded":0,"lazy_loading":true,"timestamp":"2026-11-27T01:00:00Z"}`))
	}
	v := Evaluate(context.Background(), imitateGenesis(t, http.HandlerFunc(slow), map[string]string{harness.Env.HealthBudget: "50ms"}), check(t, "TestInfrastructure/a2a_health"))
	requireFail(t, v, "want an answer within 50ms (SMOKE_HEALTH_BUDGET)")
	assert.Contains(t, v.Err.Error(), "a healthy answer after 1", "the time seen is named")

	v = Evaluate(context.Background(), imitateGenesis(t, http.HandlerFunc(slow), map[string]string{harness.Env.HealthBudget: "1s"}), check(t, "TestInfrastructure/a2a_health"))
	requirePass(t, v)
}
