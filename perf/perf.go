// Package perf measures the checklist's latency budgets — HTDAG
// decomposition p(95)<200ms, HALO routing p(95)<100ms, AOP validation
// p(95)<50ms — with testing.B benchmarks over HDR histograms:
//
//	go test ./perf -bench . -run '^$'
//
// Each benchmark reports p50/p95/p99 as metrics and fails when its P95 is
// over budget, when any request failed, or when nothing was measured. The
// operations live here, not in the test file, so the fault matrix (package
// proofs) proves the budgets with the same requests.
package perf

import (
	"context"
	"fmt"
	"net/http"

	"github.com/smokestack-dev/smokestack/harness"
)

// Request is what the operations plan: several features, so the plan has
// the size of a real one (about twenty tasks), not a toy's.
const Request = "Build a SaaS app with user authentication, billing and an analytics dashboard, test it and deploy it"

// Op is one timed operation and the budget it is judged by.
type Op struct {
	Name   string // htdag, halo, aop
	Budget harness.Budget
	// Histogram is the contract's histogram of the stage (seconds): the
	// server's own measure of the same requests, judged beside the
	// client's where the target serves /metrics.
	Histogram string
	Do        func(context.Context) error
}

// Ops prepares the three operations against a stack: it decomposes and
// routes once so that routing and validation are timed on a real plan.
// A target that does not serve validation (part C only) gets no aop Op,
// and the reason is returned in skipped.
func Ops(ctx context.Context, s *harness.Stack) (ops []Op, skipped map[string]string, err error) {
	if !s.Has(harness.Genesis) {
		return nil, nil, fmt.Errorf("%s", s.Absent(harness.Genesis))
	}
	g := s.Genesis()
	dec := harness.DecomposeRequest{UserRequest: Request}
	d, err := g.Decompose(ctx, dec)
	if err := okReply("decompose", d, err); err != nil {
		return nil, nil, err
	}
	route := harness.RouteRequestFor(d.Data)
	r, err := g.Route(ctx, route)
	if err := okReply("route", r, err); err != nil {
		return nil, nil, err
	}
	if r.Data.RoutingPlan == nil {
		return nil, nil, fmt.Errorf("route answered without routing_plan: %s", r.Resp.Excerpt())
	}
	validate := harness.ValidateRequest{DAG: d.Data, RoutingPlan: r.Data.RoutingPlan}

	ops = []Op{
		{Name: "htdag", Budget: harness.BudgetHTDAG, Histogram: "genesis_htdag_decomposition_duration_seconds", Do: func(ctx context.Context) error {
			rep, err := g.Decompose(ctx, dec)
			return okReply("decompose", rep, err)
		}},
		{Name: "halo", Budget: harness.BudgetHALO, Histogram: "genesis_halo_routing_duration_seconds", Do: func(ctx context.Context) error {
			rep, err := g.Route(ctx, route)
			return okReply("route", rep, err)
		}},
	}
	v, err := g.ValidatePlan(ctx, validate)
	if err == nil && v.Resp.Status == http.StatusNotFound {
		return ops, map[string]string{"aop": "the target does not serve POST /orchestrate/validate (404): part C of the contract only"}, nil
	}
	if err := okReply("validate", v, err); err != nil {
		return nil, nil, err
	}
	ops = append(ops, Op{Name: "aop", Budget: harness.BudgetAOP, Histogram: "genesis_aop_validation_duration_seconds", Do: func(ctx context.Context) error {
		rep, err := g.ValidatePlan(ctx, validate)
		return okReply("validate", rep, err)
	}})
	return ops, nil, nil
}

// okReply turns a non-2xx answer into an error with its evidence.
func okReply[T any](what string, r *harness.Reply[T], err error) error {
	if err != nil {
		return err
	}
	if !r.OK() || r.Data == nil {
		return r.Resp.Fail("a 2xx "+what+" answer with data", nil)
	}
	return nil
}
