package proofs

import (
	"net/http"
	"slices"
)

// orchestrationFaults prove TestBasicOrchestration: where no knob breaks
// what a check judges (the shape invariants of an answer), a tampering
// proxy swapped in for Genesis that forwards everything and rewrites one
// route's answers.
func orchestrationFaults() []Fault {
	return []Fault{
		{Name: "decompose_cycle", Does: "proxy: decompose answers a DAG whose first task depends on its last (a cycle)",
			Action: Tampered(onData("POST", "/orchestrate/decompose", addCycle)), Fails: slices.Concat(decomposing, stageBudgets),
			Says: merge(says("dependency cycle", decomposing...), says("status 422", stageBudgets...))},
		{Name: "decompose_dangling_dependency", Does: "proxy: a decomposed task depends on a task that does not exist",
			Action: Tampered(onData("POST", "/orchestrate/decompose", addDanglingDependency)), Fails: decomposing, Says: says(`unknown task "task_that_does_not_exist"`, decomposing...)},
		{Name: "decompose_bad_task_type", Does: `proxy: a decomposed task has task_type "cooking"`,
			Action: Tampered(onData("POST", "/orchestrate/decompose", badTaskType)), Fails: slices.Concat(decomposing, stageBudgets),
			Says: merge(says(`task_type "cooking"`, decomposing...), says("status 400", stageBudgets...))},
		{Name: "decompose_headers_stripped", Does: "proxy: decompose answers without X-Request-Id and rate-limit headers",
			Action: Tampered(tamper{match: route("POST", "/orchestrate/decompose"), response: stripHeaders}), Fails: decomposing, Says: says("X-Request-Id", decomposing...)},
		{Name: "route_drops_task", Does: "proxy: routing forgets a task (neither assigned nor unassigned)",
			Action: Tampered(onData("POST", "/orchestrate/route", dropAssignment)), Fails: []string{flowSimple, routing, validation, ciHALO, fullPipeline},
			Says: merge(says("neither assigned nor listed", flowSimple, routing, validation, fullPipeline), says("unassigned []", ciHALO))},
		{Name: "validate_says_invalid", Does: "proxy: plan validation answers is_valid false",
			Action: Tampered(onData("POST", "/orchestrate/validate", setInvalid)), Fails: []string{flowSimple, validation, ciAOP, fullPipeline},
			Says: says("is_valid false", flowSimple, validation, ciAOP, fullPipeline)},
		{Name: "run_partial", Does: `proxy: a run answers status "partial" with one task failed`,
			Action: Tampered(onData("POST", "/orchestrate/run", makePartial)), Fails: []string{runCheck, fullPipeline}, Says: says(`status "partial"`, runCheck, fullPipeline)},
	}
}

func tasksOf(data map[string]any) []map[string]any {
	var out []map[string]any
	list, _ := data["tasks"].([]any)
	for _, t := range list {
		if m, ok := t.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// addCycle makes the first task depend on the last, which (transitively)
// depends on the first in a chained plan; for a one-task plan, on itself.
func addCycle(data map[string]any) {
	tasks := tasksOf(data)
	deps, _ := data["dependencies"].(map[string]any)
	if len(tasks) == 0 || deps == nil {
		return
	}
	first, last := tasks[0]["task_id"], tasks[len(tasks)-1]["task_id"]
	id, _ := first.(string)
	list, _ := deps[id].([]any)
	deps[id] = append(list, last)
	if len(tasks) > 1 {
		// Make sure last reaches first: last depends on first directly.
		lid, _ := last.(string)
		ll, _ := deps[lid].([]any)
		deps[lid] = append(ll, first)
	}
}

func addDanglingDependency(data map[string]any) {
	tasks := tasksOf(data)
	deps, _ := data["dependencies"].(map[string]any)
	if len(tasks) == 0 || deps == nil {
		return
	}
	id, _ := tasks[len(tasks)-1]["task_id"].(string)
	list, _ := deps[id].([]any)
	deps[id] = append(list, "task_that_does_not_exist")
}

func badTaskType(data map[string]any) {
	if tasks := tasksOf(data); len(tasks) > 0 {
		tasks[len(tasks)-1]["task_type"] = "cooking"
	}
}

func stripHeaders(_ *http.Request, status int, h http.Header, body []byte) (int, []byte) {
	for _, k := range []string{"X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
		h.Del(k)
	}
	return status, body
}

// dropAssignment removes one task's assignment and explanation, without
// listing it as unassigned.
func dropAssignment(data map[string]any) {
	plan, _ := data["routing_plan"].(map[string]any)
	if plan == nil {
		return
	}
	as, _ := plan["assignments"].(map[string]any)
	for id := range as {
		delete(as, id)
		if ex, ok := plan["explanations"].(map[string]any); ok {
			delete(ex, id)
		}
		break
	}
}

func setInvalid(data map[string]any) {
	data["is_valid"] = false
}

func makePartial(data map[string]any) {
	data["status"] = "partial"
	if results, ok := data["results"].(map[string]any); ok {
		for _, r := range results {
			if m, ok := r.(map[string]any); ok {
				m["status"] = "failed"
				break
			}
		}
	}
}
