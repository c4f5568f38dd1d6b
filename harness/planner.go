package harness

import (
	"context"
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
// "fail_first=N", "latency=DUR"; "" clears them); Done wants a 2xx.
func (p PlannerClient) SetFaults(ctx context.Context, spec string) (*Reply[struct{}], error) {
	return send[struct{}](ctx, p.Requester, call{method: http.MethodPut, path: "/admin/faults", body: map[string]string{"faults": spec}, shape: ignored,
		expect: expectation{want: "2xx from the planner's fault admin", cause: fmt.Errorf("planner faults %q not applied", spec)}})
}

// PlannerFaults is GET /admin/faults of the planner: its active faults
// ("" when none).
type PlannerFaults struct {
	Faults string `json:"faults"`
}

// Faults reads the planner's active faults, so that a check that breaks
// the planner can restore what it found; Done wants 200. A 200 without a
// faults field is a decode failure.
func (p PlannerClient) Faults(ctx context.Context) (*Reply[PlannerFaults], error) {
	rep, err := send[struct {
		Faults *string `json:"faults"`
	}](ctx, p.Requester, readCall("/admin/faults"))
	out := recast[PlannerFaults](rep)
	if err != nil || rep.Data == nil {
		return out, err
	}
	if rep.Data.Faults == nil {
		return out, fmt.Errorf("planner GET /admin/faults: no faults field")
	}
	out.Data = &PlannerFaults{Faults: *rep.Data.Faults}
	return out, nil
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

// Stats reads the planner's counters; Done wants 200. A 200 without
// them is a decode failure.
func (p PlannerClient) Stats(ctx context.Context) (*Reply[PlannerStats], error) {
	rep, err := send[PlannerStats](ctx, p.Requester, readCall("/health"))
	if err == nil && rep.Data != nil && (rep.Data.Served == nil || rep.Data.Failed == nil) {
		err = rep.Resp.Fail("plans_served and plans_failed in the planner's /health", nil)
	}
	return rep, err
}
