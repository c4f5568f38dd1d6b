package checks

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/smokestack-dev/smokestack/harness"
)

// ComponentInitialization is TestComponentInitialization (critical): each
// orchestration component is up, judged from what the service exposes —
// its entry in the /health `components` object when the service reports
// one, and a tiny round trip through the component itself.
var ComponentInitialization = []Check{
	// HTDAG planner: a decomposition answers with tasks.
	componentCheck("htdag", harness.PartB, probeHTDAG, HealthComponentUp),
	// HALO router: a one-task routing answers with an assignment.
	componentCheck("halo", harness.PartB, probeHALO, HealthComponentUp),
	// AOP validator: a valid two-task plan validates.
	componentCheck("aop", harness.PartC, probeAOP, HealthComponentUp),
	// Error handler: an invalid request gets the error envelope; /resilience reports breakers.
	componentCheck("error_handler", harness.PartB, probeErrorHandler, HealthComponentUp),
	// Security validator: a prompt injection is refused with SECURITY_ERROR.
	componentCheck("security", harness.PartB, probeSecurity, HealthComponentUp),
	// Feature flags: /flags lists the flags, the critical five among them.
	componentCheck("feature_flags", harness.PartC, probeFlags, HealthComponentUp),
	// OTEL: an orchestration answer carries a trace id, and (part C) the
	// exporter reports its spans delivered: "disabled" (no exporter) and
	// "degraded" (exports failing) both mean no trace reaches anything.
	componentCheck("otel", harness.PartB, probeOTEL, []string{"ok", "healthy", "up"}),
}

// HealthComponentUp are the /health component statuses that mean
// "initialised": ok, or degraded (working on a fallback, e.g. HTDAG's
// heuristic planner while the LLM breaker is open). "down", "disabled",
// "error" and anything else mean it is not.
var HealthComponentUp = []string{"ok", "healthy", "up", "degraded"}

// componentCheck builds the check of one component: its health entry (when
// the service reports components) and its round trip. The component is
// judged "not initialised" if either says so. When the service reports no
// components and the round trip's route is not served, it skips.
func componentCheck(component string, part harness.Part, roundTrip func(context.Context, probe) error, accepted []string) Check {
	return Check{Group: "TestComponentInitialization", Name: component, Component: harness.Genesis, Part: part, Line: lineComponents,
		Run: probed(func(ctx context.Context, p probe) error {
			// Both halves judge: a healthy entry never excuses a lost route.
			// The round trip first, so a lost route is what a failure names.
			if err := roundTrip(ctx, p); err != nil {
				return err
			}
			// The /health components object is part C: judged wherever the
			// profile serves C, and then it must be there.
			if profile, _ := p.s.Profile(); profile.Serves(harness.PartC) {
				return p.healthComponent(ctx, component, accepted)
			}
			return nil
		})}
}

// healthComponent judges /health components[component]. reported is false
// when the service reports no components object at all (the real service).
func (p probe) healthComponent(ctx context.Context, component string, accepted []string) error {
	const path = "/health"
	want := fmt.Sprintf("components.%s.status one of %s", component, strings.Join(accepted, "|"))
	hRep, err := p.g.Health(ctx)
	if err != nil {
		return p.requestFailed(path, want, err)
	}
	h, resp := hRep.Data, hRep.Resp
	if h.Components == nil {
		return p.failBody(path, want, "no components object (contract part C reports each component's status)", resp)
	}
	c, ok := h.Components[component]
	if !ok {
		names := make([]string, 0, len(h.Components))
		for n := range h.Components {
			names = append(names, n)
		}
		sort.Strings(names)
		return p.failBody(path, want, fmt.Sprintf("no %s among the reported components %v", component, names), resp)
	}
	if !slices.Contains(accepted, strings.ToLower(c.Status)) {
		return p.failBody(path, want, fmt.Sprintf("components.%s.status %q", component, c.Status), resp)
	}
	return nil
}

func probeHTDAG(ctx context.Context, p probe) error {
	want := "status 200 with data.tasks (at least one) and decomposition_metadata.method"
	rep, err := p.decompose(ctx, simpleRequest, want)
	if err != nil {
		return err
	}
	d := rep.Data
	if len(d.Tasks) == 0 || d.Metadata == nil || !slices.Contains(harness.DecompositionMethods, d.Metadata.Method) {
		method := "absent"
		if d.Metadata != nil {
			method = fmt.Sprintf("%q", d.Metadata.Method)
		}
		return p.failBody("/orchestrate/decompose", want, fmt.Sprintf("%d tasks, method %s", len(d.Tasks), method), rep.Resp)
	}
	return nil
}

func probeHALO(ctx context.Context, p probe) error {
	const path = "/orchestrate/route"
	want := "status 200 with routing_plan.assignments[smoke-1] naming a registered agent"
	req := harness.RouteRequest{DagID: "smoke-halo", Tasks: []harness.RouteTask{
		{TaskID: "smoke-1", Description: "Implement the signup API endpoint", TaskType: "implement"},
	}}
	rep, err := p.g.Route(ctx, req)
	if err != nil {
		return p.requestFailed(path, want, err)
	}
	if err := succeeded(p, path, want, rep); err != nil {
		return err
	}
	plan := rep.Data.RoutingPlan
	if plan == nil {
		return p.failBody(path, want, "no routing_plan", rep.Resp)
	}
	agent, ok := plan.Assignments["smoke-1"]
	if !ok || !slices.Contains(p.s.Config().Expect.AgentNames, agent) {
		return p.failBody(path, want, fmt.Sprintf("assignments %v, unassigned %v", plan.Assignments, plan.UnassignedTasks), rep.Resp)
	}
	return nil
}

// smallPlan is a valid two-task plan in the shapes decompose and route
// answer with: design first, then implement.
func smallPlan() harness.ValidateRequest {
	one, two := 0.9, 0.8
	dag := harness.Decomposition{
		DagID: "smoke-aop",
		Tasks: []harness.Task{
			{TaskID: "smoke-design", Description: "Design the signup page", TaskType: "design", Priority: &one, EstimatedComplexity: []byte("1")},
			{TaskID: "smoke-build", Description: "Implement the signup page", TaskType: "implement", Priority: &two, EstimatedComplexity: []byte("2")},
		},
		Dependencies: map[string][]string{"smoke-design": {}, "smoke-build": {"smoke-design"}},
		RootTasks:    []string{"smoke-design"},
		LeafTasks:    []string{"smoke-build"},
	}
	complete := true
	plan := harness.RoutingPlan{
		IsComplete:      &complete,
		Assignments:     map[string]string{"smoke-design": "spec", "smoke-build": "builder"},
		Explanations:    map[string]string{"smoke-design": "design task", "smoke-build": "implement task"},
		UnassignedTasks: []string{},
		Workload:        map[string]int{"spec": 1, "builder": 1},
	}
	return harness.ValidateRequest{DAG: dag, RoutingPlan: plan}
}

func probeAOP(ctx context.Context, p probe) error {
	const path = "/orchestrate/validate"
	want := "status 200 with is_valid true for a valid two-task plan"
	rep, err := p.g.ValidatePlan(ctx, smallPlan())
	if err := answered(p, http.MethodPost, path, want, rep, err); err != nil {
		return err
	}
	if v := rep.Data.IsValid; v == nil || !*v {
		return p.failBody(path, want, fmt.Sprintf("is_valid %s", showBool(v)), rep.Resp)
	}
	return nil
}

func showBool(b *bool) string {
	if b == nil {
		return "absent"
	}
	return fmt.Sprint(*b)
}

func probeErrorHandler(ctx context.Context, p probe) error {
	const path = "/orchestrate/decompose"
	want := "status 400 with an error envelope: code VALIDATION_ERROR, message, request_id, timestamp"
	rep, err := p.g.Decompose(ctx, harness.DecomposeRequest{UserRequest: tooShortRequest})
	if err != nil {
		return p.requestFailed(path, want, err)
	}
	e := rep.Error
	if rep.Resp.Status != http.StatusBadRequest || e == nil || e.Code != "VALIDATION_ERROR" || e.Message == "" || e.RequestID == "" || e.Timestamp == "" {
		return p.failBody(path, want, fmt.Sprintf("status %d, error %s", rep.Resp.Status, showAPIError(e)), rep.Resp)
	}
	// /resilience (part C): the breakers the error handler keeps.
	const rpath = "/resilience"
	rwant := "status 200 with circuit_breakers, each in state " + strings.Join(harness.BreakerStates, "|")
	if profile, _ := p.s.Profile(); !profile.Serves(harness.PartC) {
		return nil // /resilience is part C, outside the profile: the envelope above is the evidence
	}
	rRep, err := harness.Done(p.g.Resilience(ctx))
	resp := rRep.Response()
	if err := p.notFound(resp, http.MethodGet, rpath); err != nil {
		return err
	}
	if err != nil {
		return p.requestFailed(rpath, rwant, err)
	}
	r := rRep.Data
	if r.CircuitBreakers == nil {
		return p.failBody(rpath, rwant, "no circuit_breakers object", resp)
	}
	for n, b := range r.CircuitBreakers {
		if !slices.Contains(harness.BreakerStates, b.State) {
			return p.failBody(rpath, rwant, fmt.Sprintf("breaker %s in state %q", n, b.State), resp)
		}
	}
	return nil
}

func showAPIError(e *harness.APIError) string {
	if e == nil {
		return "absent"
	}
	return fmt.Sprintf("{code %q, message %q, category %q, request_id %q}", e.Code, e.Message, e.Category(), e.RequestID)
}

// decomposeRefused sends text for decomposition and wants it refused with
// status 400 and the error code.
func (p probe) decomposeRefused(ctx context.Context, text, code, want string) error {
	rep, err := p.g.Decompose(ctx, harness.DecomposeRequest{UserRequest: text})
	if err != nil {
		return p.requestFailed(pathDecompose, want, err)
	}
	if rep.Resp.Status != http.StatusBadRequest || rep.Error == nil || rep.Error.Code != code {
		return p.failBody(pathDecompose, want, fmt.Sprintf("status %d, error %s", rep.Resp.Status, showAPIError(rep.Error)), rep.Resp)
	}
	return nil
}

func probeSecurity(ctx context.Context, p probe) error {
	return p.decomposeRefused(ctx, injectionRequest, "SECURITY_ERROR", "status 400 with error code SECURITY_ERROR for a prompt injection")
}

// CriticalFlags are the checklist's five flags that must exist (and, in
// the staging checks, be enabled).
var CriticalFlags = []string{"orchestration_enabled", "security_hardening_enabled", "error_handling_enabled", "otel_enabled", "performance_optimizations_enabled"}

func probeFlags(ctx context.Context, p probe) error {
	const path = "/flags"
	want := "status 200 with every flag's enabled (bool) and strategy (" + strings.Join(harness.FlagStrategies, "|") + "), the critical five among them"
	flagsRep, err := harness.Done(p.g.Flags(ctx))
	resp := flagsRep.Response()
	if resp != nil && resp.Status == http.StatusNotFound {
		return p.notFound(resp, http.MethodGet, path)
	}
	if err != nil {
		return p.requestFailed(path, want, err)
	}
	flags := *flagsRep.Data
	var bad, missing []string
	for n, f := range flags {
		if f.Enabled == nil || !slices.Contains(harness.FlagStrategies, f.Strategy) {
			bad = append(bad, fmt.Sprintf("%s {enabled %s, strategy %q}", n, showBool(f.Enabled), f.Strategy))
		}
	}
	for _, n := range CriticalFlags {
		if _, ok := flags[n]; !ok {
			missing = append(missing, n)
		}
	}
	sort.Strings(bad)
	switch {
	case len(flags) == 0:
		return p.failBody(path, want, "no flags", resp)
	case len(missing) > 0:
		return p.failBody(path, want, fmt.Sprintf("%d flags, missing %s", len(flags), strings.Join(missing, ", ")), resp)
	case len(bad) > 0:
		return p.failBody(path, want, "malformed flags: "+problemsText(bad), resp)
	}
	return nil
}

func probeOTEL(ctx context.Context, p probe) error {
	want := "status 200 with metadata.trace_id, a 32-hex W3C trace id"
	rep, err := p.decompose(ctx, simpleRequest, want)
	if err != nil {
		return err
	}
	if rep.Metadata == nil || !validTraceID(rep.Metadata.TraceID) {
		got := "no metadata"
		if rep.Metadata != nil {
			got = fmt.Sprintf("trace_id %q", rep.Metadata.TraceID)
		}
		return p.failBody("/orchestrate/decompose", want, got, rep.Resp)
	}
	return nil
}
