package checks

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

const healthyBody = `{"status":"healthy","agents_registered":15,"agents_loaded":0,"lazy_loading":true,"timestamp":"2026-11-27T01:00:00Z"}`

func TestWaitRetriesCriticalChecksUntilTheyPass(t *testing.T) {
	defer func(g time.Duration) { waitGap = g }(waitGap)
	waitGap = 20 * time.Millisecond
	var calls atomic.Int32
	s := imitateGenesis(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if calls.Add(1) <= 3 { // still rolling out
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"status":"starting"}`))
			return
		}
		_, _ = w.Write([]byte(healthyBody))
	}), nil)
	plan := Plan{Checks: []PlanLine{{Kind: PlanCheck, ID: "TestInfrastructure/a2a_health", Critical: true, Plan: PlanJudge}}}
	start := time.Now()
	waitForCritical(s, plan, 5*time.Second)
	assert.Less(t, time.Since(start), 4*time.Second, "it stops waiting once the critical checks pass")
	assert.GreaterOrEqual(t, calls.Load(), int32(4), "it retried until /health answered healthy")

	calls.Store(-1000) // unhealthy for the rest of the test
	start = time.Now()
	waitForCritical(s, plan, 200*time.Millisecond)
	assert.Less(t, time.Since(start), 2*time.Second, "the wait is bounded by SMOKE_WAIT")
}
