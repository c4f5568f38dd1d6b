package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// PlannerClient talks to the reference LLM planner upstream's fault admin
// (ephemeral stacks only): checks of graceful degradation and retries break
// the upstream, not the service.
type PlannerClient struct{ Requester }

// LLMPlanner is a client for the LLM planner upstream.
func (s *Stack) LLMPlanner() PlannerClient { return PlannerClient{s.requester(LLMPlanner)} }

// SetFaults replaces the planner's faults ("down", "fail_rate=F",
// "fail_first=N", "latency=DUR"; "" clears them).
func (p PlannerClient) SetFaults(ctx context.Context, spec string) error {
	b, err := json.Marshal(map[string]string{"faults": spec})
	if err != nil {
		return err
	}
	resp, err := p.Do(ctx, http.MethodPut, "/admin/faults", b, nil)
	if err != nil {
		return err
	}
	if resp.Status/100 != 2 {
		return resp.Fail("2xx from the planner's fault admin", fmt.Errorf("planner faults %q not applied", spec))
	}
	return nil
}

// Faults reads the planner's active faults ("" when none), so that a
// check that breaks the planner can restore what it found.
func (p PlannerClient) Faults(ctx context.Context) (string, error) {
	var body struct {
		Faults *string `json:"faults"`
	}
	if _, err := p.GetJSON(ctx, "/admin/faults", http.StatusOK, &body); err != nil {
		return "", err
	}
	if body.Faults == nil {
		return "", fmt.Errorf("planner GET /admin/faults: no faults field")
	}
	return *body.Faults, nil
}

// PlannerStats are the reference planner's counters (GET /health): how
// many plans it served and refused. They tell whether the service called
// the upstream at all (a breaker that is open must not).
type PlannerStats struct {
	Served *int64 `json:"plans_served"`
	Failed *int64 `json:"plans_failed"`
}

// Calls is every plan request the planner answered.
func (s PlannerStats) Calls() int64 {
	var n int64
	if s.Served != nil {
		n += *s.Served
	}
	if s.Failed != nil {
		n += *s.Failed
	}
	return n
}

// Stats reads the planner's counters; a planner that does not report them
// is an error.
func (p PlannerClient) Stats(ctx context.Context) (PlannerStats, error) {
	var st PlannerStats
	resp, err := p.GetJSON(ctx, "/health", http.StatusOK, &st)
	if err != nil {
		return st, err
	}
	if st.Served == nil || st.Failed == nil {
		return st, resp.Fail("plans_served and plans_failed in the planner's /health", nil)
	}
	return st, nil
}
