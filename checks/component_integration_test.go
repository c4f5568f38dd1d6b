package checks

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/smokestack-dev/smokestack/harness"
)

func TestErrorHandlingIntegrated(t *testing.T) {
	const id = "TestComponentIntegration/error_handling_integrated"
	requirePass(t, evaluateWith(t, newStagingImitation(), id, nil))

	hostileStaging(t, id, func(g *stagingImitation) { g.retriesExtra = 7 }, "retries.success is 10 in /resilience")
	hostileStaging(t, id, func(g *stagingImitation) { g.breakerState = "OPEN" }, "breaker llm is OPEN in /resilience")
	hostileStaging(t, id, func(g *stagingImitation) { g.category = "validation" }, `category "validation"`)
}

func TestObservabilityIntegrated(t *testing.T) {
	const id = "TestComponentIntegration/observability_integrated"
	requirePass(t, evaluateWith(t, newStagingImitation(), id, nil))

	hostileStaging(t, id, func(g *stagingImitation) { g.noTraceID = true }, `trace_id ""`)

	// Requests that are never counted.
	g := newStagingImitation()
	frozen := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			newStagingImitation().ServeHTTP(w, r)
			return
		}
		g.ServeHTTP(w, r)
	})
	requireFail(t, evaluateWith(t, frozen, id, nil), "genesis_http_requests_total")

	// Latency histograms fed random numbers (the seed repository's
	// monitoring): the count grows with every request, the values are not
	// what the requests took on the suite's clock.
	hostileStaging(t, id, func(g *stagingImitation) { g.randomLatency = true }, "genesis_http_request_duration_seconds", "moving with the latency of", "client's clock")

	// A histogram counted but never summed.
	hostileStaging(t, id, func(g *stagingImitation) { g.frozenLatencySum = true }, "sum did not grow")
}

func TestJudgeRun(t *testing.T) {
	one := 0.5
	d := &harness.Decomposition{DagID: "d", Tasks: []harness.Task{
		{TaskID: "a", Description: "Design", TaskType: "design", Priority: &one},
		{TaskID: "b", Description: "Build", TaskType: "implement", Priority: &one}},
		Dependencies: map[string][]string{"a": {}, "b": {"a"}}, RootTasks: []string{"a"}, LeafTasks: []string{"b"}}
	depth, total := 1, 2
	d.Metadata = &harness.DecompositionMetadata{Method: "llm", RecursionDepth: &depth, TotalTasks: &total}
	yes := true
	q := 0.9
	val := &harness.PlanValidation{IsValid: &yes, SolvabilityPassed: &yes, CompletenessPassed: &yes, RedundancyPassed: &yes, QualityScore: &q}
	routing := json.RawMessage(`{"routing_plan":{"is_complete":true,"assignments":{"a":"spec","b":"builder"},"explanations":{"a":"x","b":"y"},"unassigned_tasks":[],"workload":{"spec":1,"builder":1}}}`)
	run := func(status, results string) *harness.Run {
		return &harness.Run{DAG: d, Routing: routing, Validation: val, Status: status, Results: json.RawMessage(results)}
	}
	agents := harness.DefaultAgents

	problems, completed := judgeRun(run("completed", `{"a":{"agent":"spec","status":"completed"},"b":{"agent":"builder","status":"completed"}}`), agents)
	assert.Empty(t, problems)
	assert.Equal(t, 2, completed)

	problems, _ = judgeRun(run("completed", `{"a":{"agent":"spec","status":"completed"},"b":{"agent":"qa","status":"completed"}}`), agents)
	assert.Contains(t, strings.Join(problems, ";"), `task b ran on agent "qa" but was assigned to "builder"`)

	problems, _ = judgeRun(run("completed", `{"a":{"agent":"spec","status":"failed"},"b":{"agent":"builder","status":"completed"}}`), agents)
	joined := strings.Join(problems, ";")
	assert.Contains(t, joined, `status "completed" but 1 of 2 tasks completed`)
	assert.Contains(t, joined, "completed although its dependency a")

	problems, _ = judgeRun(run("completed", `{"a":{"agent":"spec","status":"completed"}}`), agents)
	assert.Contains(t, strings.Join(problems, ";"), "no result for task b")

	problems, _ = judgeRun(run("partial", `[{"task_id":"a","agent":"spec","status":"completed"},{"task_id":"b","agent":"builder","status":"skipped"}]`), agents)
	assert.Contains(t, strings.Join(problems, ";"), `status "partial"`)
}
