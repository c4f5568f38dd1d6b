package harness

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlannerFaultsAndStats(t *testing.T) {
	srv := cannedServer(map[string]canned{
		"/admin/faults": {body: `{"faults":"latency=5ms"}`},
		"/health":       {body: `{"status":"healthy","plans_served":4,"plans_failed":3}`},
	})
	defer srv.Close()
	p := PlannerClient{Requester{Component: LLMPlanner, Base: srv.URL, Timeout: DefaultTimeouts.HTTP}}
	spec, err := Done(p.Faults(context.Background()))
	require.NoError(t, err)
	assert.Equal(t, "latency=5ms", spec.Data.Faults)
	st, err := Done(p.Stats(context.Background()))
	require.NoError(t, err)
	assert.Equal(t, int64(7), st.Data.Calls())

	healthy := canned{body: `{"status":"healthy"}`}
	bad := cannedServer(map[string]canned{"/admin/faults": healthy, "/health": healthy})
	defer bad.Close()
	p = PlannerClient{Requester{Component: LLMPlanner, Base: bad.URL, Timeout: DefaultTimeouts.HTTP}}
	_, err = p.Faults(context.Background())
	assert.Error(t, err, "an answer without faults is not an empty fault set")
	_, err = p.Stats(context.Background())
	assert.Error(t, err, "a planner without counters cannot prove a breaker blocks calls")
}
