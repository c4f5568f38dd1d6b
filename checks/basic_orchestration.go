package checks

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/smokestack-dev/smokestack/harness"
)

// BasicOrchestrationCritical is the critical part of TestBasicOrchestration:
// the checklist's simple_orchestration_flow.
var BasicOrchestrationCritical = []Check{
	{Group: "TestBasicOrchestration", Name: "simple_orchestration_flow", Component: harness.Genesis, Part: harness.PartB, Line: lineFlow, Run: simpleFlow},
}

// BasicOrchestration is the rest of TestBasicOrchestration: each stage of
// the pipeline answers correctly, judged on its invariants, not its status.
var BasicOrchestration = []Check{
	{Group: "TestBasicOrchestration", Name: "task_decomposition", Component: harness.Genesis, Part: harness.PartB, Line: lineOrchestration, Run: probed(taskDecomposition)},
	{Group: "TestBasicOrchestration", Name: "task_routing", Component: harness.Genesis, Part: harness.PartB, Line: lineOrchestration, Run: taskRouting},
	{Group: "TestBasicOrchestration", Name: "plan_validation", Component: harness.Genesis, Part: harness.PartC, Line: lineOrchestration, Run: planValidation},
	{Group: "TestBasicOrchestration", Name: "orchestration_run", Component: harness.Genesis, Part: harness.PartC, Line: lineOrchestration, Mutates: true, Run: probed(orchestrationRun)},
}

const (
	pathDecompose = "/orchestrate/decompose"
	pathRoute     = "/orchestrate/route"
	pathValidate  = "/orchestrate/validate"
	pathRun       = "/orchestrate/run"
)

// decomposeJudged decomposes text and judges the DAG and the envelope.
func (p probe) decomposeJudged(ctx context.Context, text string) (*harness.Reply[harness.Decomposition], error) {
	want := "status 200 with a well-formed acyclic task DAG"
	rep, err := p.decompose(ctx, text, want)
	if err != nil {
		return nil, err
	}
	if problems := append(judgeDecomposition(rep.Data), envelopeProblems(rep.Resp, rep.Metadata)...); len(problems) > 0 {
		return nil, p.failBody(pathDecompose, want, problemsText(problems), rep.Resp)
	}
	return rep, nil
}

// routeJudged routes a decomposition's tasks and judges the plan.
func (p probe) routeJudged(ctx context.Context, d *harness.Decomposition) (*harness.Reply[harness.Routing], error) {
	want := "status 200 with every task assigned to a registered agent or listed in unassigned_tasks"
	rep, err := p.g.Route(ctx, harness.RouteRequestFor(d))
	if err != nil {
		return nil, p.requestFailed(pathRoute, want, err)
	}
	if err := succeeded(p, pathRoute, want, rep); err != nil {
		return nil, err
	}
	problems := judgeRouting(rep.Data.RoutingPlan, taskIDs(d), p.s.Config().Expect.AgentNames)
	if problems = append(problems, envelopeProblems(rep.Resp, rep.Metadata)...); len(problems) > 0 {
		return nil, p.failBody(pathRoute, want, problemsText(problems), rep.Resp)
	}
	return rep, nil
}

// newPlan is the check's view of Genesis and the plan it judged for text:
// text decomposed and its tasks routed, the start of validation and a run.
func newPlan(ctx context.Context, s *harness.Stack, text string) (probe, *harness.Reply[harness.Decomposition], *harness.Reply[harness.Routing], error) {
	p, err := newProbe(s)
	if err != nil {
		return p, nil, nil, err
	}
	d, err := p.decomposeJudged(ctx, text)
	if err != nil {
		return p, nil, nil, err
	}
	r, err := p.routeJudged(ctx, d.Data)
	if err != nil {
		return p, nil, nil, err
	}
	return p, d, r, nil
}

// validateJudged validates a decomposition and its routing plan, as sent by
// the service.
func (p probe) validateJudged(ctx context.Context, d *harness.Reply[harness.Decomposition], r *harness.Reply[harness.Routing]) error {
	want := "status 200 with is_valid, solvability, completeness and redundancy passed, quality_score in 0..1, no issues"
	req := harness.ValidateRequest{DAG: d.RawData(), RoutingPlan: harness.Field(r.RawData(), "routing_plan")}
	rep, err := p.g.ValidatePlan(ctx, req)
	if err := answered(p, http.MethodPost, pathValidate, want, rep, err); err != nil {
		return err
	}
	return p.failProblems(pathValidate, want, append(judgeValidation(rep.Data), envelopeProblems(rep.Resp, rep.Metadata)...), rep.Resp)
}

// runJudged runs the whole pipeline for text and judges every stage of the
// answer. A run executes the plan on the agents: on a live target that is a
// change (a deploy agent deploys), so its checks are Mutates.
func (p probe) runJudged(ctx context.Context, text string) error {
	want := `status 200 with status "completed", a well-formed DAG, a complete routing, a valid plan and a completed result per task`
	rep, err := p.g.Run(ctx, harness.DecomposeRequest{UserRequest: text})
	if err := answered(p, http.MethodPost, pathRun, want, rep, err); err != nil {
		return err
	}
	run := rep.Data
	var problems []string
	if run.Status != "completed" {
		problems = append(problems, fmt.Sprintf("status %q", run.Status))
	}
	var ids []string
	if run.DAG == nil {
		problems = append(problems, "no dag")
	} else {
		problems = append(problems, prefixed("dag: ", judgeDecomposition(run.DAG))...)
		ids = taskIDs(run.DAG)
	}
	stages, _ := judgeRunStages(run, ids, p.s.Config().Expect.AgentNames)
	problems = append(problems, stages...)
	results, err := run.TaskResults()
	if err != nil {
		problems = append(problems, err.Error())
	}
	for _, id := range ids {
		r, ok := results[id]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("no result for task %s", id))
		case r.Status != "completed":
			problems = append(problems, fmt.Sprintf("task %s result status %q", id, r.Status))
		}
	}
	for id := range results {
		if err == nil && !slices.Contains(ids, id) {
			problems = append(problems, fmt.Sprintf("a result for unknown task %q", id))
		}
	}
	return p.failProblems(pathRun, want, append(problems, envelopeProblems(rep.Resp, rep.Metadata)...), rep.Resp)
}

// simpleFlow is the checklist's simple orchestration flow: decompose a
// simple request, route its tasks, validate the plan. Validation is
// contract part C: on a target whose profile is orchestration (A+B) the
// flow is decompose and route, as the profile declares; wherever the
// profile serves C, validation is judged and a 404 fails. Running the plan
// executes it on agents (a mutation): that is orchestration_run, a
// mutating check of its own, so the critical flow stays read-only.
func simpleFlow(ctx context.Context, s *harness.Stack) error {
	p, d, r, err := newPlan(ctx, s, simpleRequest)
	if err != nil {
		return err
	}
	if profile, _ := s.Profile(); profile.Serves(harness.PartC) {
		return p.validateJudged(ctx, d, r)
	}
	return nil
}

func taskDecomposition(ctx context.Context, p probe) error {
	d, err := p.decomposeJudged(ctx, richRequest)
	if err != nil {
		return err
	}
	// A request naming several phases gets several tasks with dependencies.
	want := "a multi-task DAG (at least 3 tasks, some dependencies) for a request naming design, build, test and deploy"
	deps := 0
	for _, ps := range d.Data.Dependencies {
		deps += len(ps)
	}
	if len(d.Data.Tasks) < 3 || deps == 0 {
		return p.failBody(pathDecompose, want, fmt.Sprintf("%d tasks, %d dependencies", len(d.Data.Tasks), deps), d.Resp)
	}
	// The contract's response headers.
	var missing []string
	for _, h := range []string{"X-Request-Id", "X-Schema-Version", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
		if d.Resp.Header.Get(h) == "" {
			missing = append(missing, h)
		}
	}
	if len(missing) > 0 {
		return p.failBody(pathDecompose, "response headers X-Request-Id, X-Schema-Version, X-RateLimit-Limit/Remaining/Reset", fmt.Sprintf("missing %v", missing), d.Resp)
	}
	return nil
}

func taskRouting(ctx context.Context, s *harness.Stack) error {
	p, _, r, err := newPlan(ctx, s, richRequest)
	if err != nil {
		return err
	}
	// On a healthy deployment, with all agents registered, every task of a
	// plain request finds an agent.
	if plan := r.Data.RoutingPlan; len(plan.UnassignedTasks) > 0 {
		return p.failBody(pathRoute, "every task of a plain request assigned (is_complete true)",
			fmt.Sprintf("unassigned %v", plan.UnassignedTasks), r.Resp)
	}
	return nil
}

func planValidation(ctx context.Context, s *harness.Stack) error {
	p, d, r, err := newPlan(ctx, s, richRequest)
	if err != nil {
		return err
	}
	return p.validateJudged(ctx, d, r)
}

func orchestrationRun(ctx context.Context, p probe) error {
	return p.runJudged(ctx, richRequest)
}
