package checks

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/harness"
)

// smokeGroups are the smoke groups judged against the contract imitation:
// every one but TestInfrastructure.
func smokeGroups() []Check {
	var out []Check
	for _, g := range [][]Check{ComponentInitialization, BasicOrchestrationCritical, BasicOrchestration,
		AgentCatalogue, AgentInvoke, SecuritySmoke, ErrorHandlingSmoke, ObservabilitySmoke} {
		out = append(out, g...)
	}
	return out
}

// skipsHere are the checks that are not applicable on a healthy staging
// imitation without Prometheus, with what the reason must name: the 401
// for a missing key (a production rule; the 403 for a wrong key is judged
// in every environment) and the PromQL check.
var skipsHere = map[string]string{
	"TestAgentInvoke/missing_key_401":                   "SMOKE_EXPECT_PRODUCTION",
	"TestObservabilitySmoke/prometheus_scrapes_genesis": "SMOKE_PROMETHEUS_URL",
}

// TestSmokeChecksPassOnAContractImitation: a service written from the
// contract alone, with extra fields everywhere, passes every check (no
// false alarm from a shape the contract allows).
func TestSmokeChecksPassOnAContractImitation(t *testing.T) {
	s := imitateGenesis(t, newGenesisImitation(), mutable)
	for _, c := range smokeGroups() {
		t.Run(c.ID(), func(t *testing.T) {
			v := Evaluate(context.Background(), s, c)
			if reason, ok := skipsHere[c.ID()]; ok {
				require.Equal(t, NotApplicable, v.Outcome, "%v", v.Err)
				assert.Contains(t, v.Err.Error(), reason, "the skip says how to enable the check")
				return
			}
			requirePass(t, v)
		})
	}
}

// TestSmokeChecksFailOnHostileAnswers: 200s with the wrong shape, missing
// or mistyped fields, broken invariants — each a clear failure naming what
// is wrong, the URL and the checklist line.
func TestSmokeChecksFailOnHostileAnswers(t *testing.T) {
	envelope := func(data string) http.HandlerFunc {
		return body(200, "application/json", `{"data":`+data+`,"metadata":{"request_id":"r","timestamp":"2026-11-27T01:00:00Z","execution_time_ms":1}}`)
	}
	task := func(id, typ string, prio string) string {
		return `{"task_id":"` + id + `","description":"d","task_type":"` + typ + `","priority":` + prio + `,"estimated_complexity":1}`
	}
	dag := func(tasks, deps, roots, leaves string) string {
		return `{"dag_id":"x","tasks":[` + tasks + `],"dependencies":` + deps + `,"root_tasks":` + roots + `,"leaf_tasks":` + leaves +
			`,"decomposition_metadata":{"method":"heuristic","recursion_depth":1,"total_tasks":2}}`
	}
	two := task("a", "design", "0.5") + "," + task("b", "implement", "0.5")
	cases := []struct {
		name, route, check string
		h                  http.HandlerFunc
		says               string
	}{
		{"decompose: bare object, no envelope", "POST /orchestrate/decompose", "TestBasicOrchestration/task_decomposition",
			body(200, "application/json", dag(two, `{"b":["a"]}`, `["a"]`, `["b"]`)), "no data object"},
		{"decompose: tasks is a string", "POST /orchestrate/decompose", "TestBasicOrchestration/simple_orchestration_flow",
			envelope(`{"dag_id":"x","tasks":"none"}`), "cannot unmarshal"},
		{"decompose: priority is a string", "POST /orchestrate/decompose", "TestBasicOrchestration/task_decomposition",
			envelope(dag(task("a", "design", `"high"`), `{}`, `["a"]`, `["a"]`)), "cannot unmarshal"},
		{"decompose: no tasks", "POST /orchestrate/decompose", "TestComponentInitialization/htdag",
			envelope(`{"dag_id":"x","tasks":[],"dependencies":{},"decomposition_metadata":{"method":"heuristic"}}`), "0 tasks"},
		{"decompose: missing priority", "POST /orchestrate/decompose", "TestBasicOrchestration/task_decomposition",
			envelope(dag(`{"task_id":"a","description":"d","task_type":"design"}`, `{}`, `["a"]`, `["a"]`)), "no priority"},
		{"decompose: unknown task type", "POST /orchestrate/decompose", "TestBasicOrchestration/task_decomposition",
			envelope(dag(task("a", "cooking", "0.5"), `{}`, `["a"]`, `["a"]`)), `task_type "cooking"`},
		{"decompose: priority out of range", "POST /orchestrate/decompose", "TestBasicOrchestration/task_decomposition",
			envelope(dag(task("a", "design", "7"), `{}`, `["a"]`, `["a"]`)), "outside 0..1"},
		{"decompose: dangling dependency", "POST /orchestrate/decompose", "TestBasicOrchestration/simple_orchestration_flow",
			envelope(dag(two, `{"b":["a","ghost"]}`, `["a"]`, `["b"]`)), `unknown task "ghost"`},
		{"decompose: cycle", "POST /orchestrate/decompose", "TestBasicOrchestration/simple_orchestration_flow",
			envelope(dag(two, `{"a":["b"],"b":["a"]}`, `[]`, `[]`)), "dependency cycle"},
		{"decompose: wrong root tasks", "POST /orchestrate/decompose", "TestBasicOrchestration/task_decomposition",
			envelope(dag(two, `{"b":["a"]}`, `["b"]`, `["b"]`)), "root_tasks"},
		{"decompose: no metadata", "POST /orchestrate/decompose", "TestBasicOrchestration/task_decomposition",
			body(200, "application/json", `{"data":`+dag(two, `{"b":["a"]}`, `["a"]`, `["b"]`)+`}`), "no metadata object"},
		{"decompose: HTML page", "POST /orchestrate/decompose", "TestComponentInitialization/otel",
			body(200, "text/html", "<html>gateway</html>"), "content type"},
		{"decompose: no trace id", "POST /orchestrate/decompose", "TestComponentInitialization/otel",
			envelope(dag(two, `{"b":["a"]}`, `["a"]`, `["b"]`)), `trace_id ""`},
		{"route: no routing_plan", "POST /orchestrate/route", "TestBasicOrchestration/task_routing",
			envelope(`{"assignments":{}}`), "no routing_plan"},
		{"route: task lost", "POST /orchestrate/route", "TestBasicOrchestration/simple_orchestration_flow",
			envelope(`{"routing_plan":{"is_complete":true,"assignments":{"t1":"spec"},"explanations":{"t1":"x"},"unassigned_tasks":[],"workload":{"spec":1}}}`),
			"neither assigned nor listed"},
		{"route: unknown agent", "POST /orchestrate/route", "TestComponentInitialization/halo",
			envelope(`{"routing_plan":{"is_complete":true,"assignments":{"smoke-1":"gremlin"},"explanations":{"smoke-1":"x"},"unassigned_tasks":[],"workload":{"gremlin":1}}}`),
			"gremlin"},
		{"validate: invalid", "POST /orchestrate/validate", "TestBasicOrchestration/plan_validation",
			envelope(`{"is_valid":false,"solvability_passed":true,"completeness_passed":false,"redundancy_passed":true,"quality_score":0.4,"issues":["x"]}`),
			"is_valid false"},
		{"validate: cycle accepted", "POST /orchestrate/validate", "TestSecuritySmoke/cycle_rejected",
			envelope(`{"is_valid":true}`), "status 200"},
		{"run: partial", "POST /orchestrate/run", "TestBasicOrchestration/orchestration_run",
			envelope(`{"status":"partial"}`), `status "partial"`},
		{"version: wrong name and status", "GET /a2a/version", "TestAgentCatalogue/a2a_version",
			body(200, "application/json", `{"name":"other","version":"2.1.0","status":"degraded","agents_registered":15,"agents_loaded":1,"lazy_loading":true}`),
			`name "other"`},
		{"agents: total as string", "GET /a2a/agents", "TestAgentCatalogue/registered_agents",
			body(200, "application/json", `{"total_registered":"15"}`), "cannot unmarshal"},
		{"agents: one missing", "GET /a2a/agents", "TestAgentCatalogue/registered_agents",
			body(200, "application/json", `{"total_registered":14,"total_loaded":0,"registered_agents":["marketing"],"loaded_agents":[],"lazy_loading":true}`),
			"missing [builder"},
		{"card: total_tools lies", "GET /a2a/card", "TestAgentCatalogue/a2a_card",
			body(200, "application/json", `{"name":"g","version":"1","description":"d","protocol":"A2A","total_tools":3,"tools":[]}`),
			"total_tools 3 but 0 tools"},
		{"agent card: no skills", "GET /a2a/agents/*", "TestAgentCatalogue/agent_cards_complete",
			body(200, "application/json", `{"name":"marketing","version":"1","description":"d","capabilities":["x"],"skills":[],"defaultInputModes":["text"],"defaultOutputModes":["text"]}`),
			"no skills"},
		{"unknown agent: plain 404", "GET /a2a/agents/*", "TestAgentCatalogue/unknown_agent_404",
			body(404, "text/plain", "Not Found"), "without a detail"},
		{"unknown agent: 200", "GET /a2a/agents/*", "TestAgentCatalogue/unknown_agent_404",
			body(200, "application/json", `{}`), "status 200"},
		{"invoke: HTML 200", "POST /a2a/invoke", "TestAgentInvoke/harmless_invoke",
			body(200, "text/html", "<html/>"), "content type"},
		{"invoke: everything 200", "POST /a2a/invoke", "TestAgentInvoke/unknown_tool_404",
			body(200, "application/json", `{"result":1}`), "status 200"},
		{"invoke: malformed 500", "POST /a2a/invoke", "TestAgentInvoke/malformed_body_422",
			body(500, "application/json", `{"detail":"boom"}`), "status 500"},
		{"code validator: accepts everything", "POST /security/validate-code", "TestSecuritySmoke/dangerous_code_rejected",
			envelope(`{"valid":true,"reason":"fine"}`), "valid true"},
		{"code validator: valid missing", "POST /security/validate-code", "TestSecuritySmoke/dangerous_code_rejected",
			envelope(`{"reason":"fine"}`), "no valid field"},
		{"flags: enabled as string", "GET /flags", "TestComponentInitialization/feature_flags",
			body(200, "application/json", `{"orchestration_enabled":{"enabled":"yes"}}`), "cannot unmarshal"},
		{"flags: critical flag missing", "GET /flags", "TestComponentInitialization/feature_flags",
			body(200, "application/json", `{"orchestration_enabled":{"enabled":true,"strategy":"all_at_once"}}`), "missing security_hardening_enabled"},
		{"resilience: bad state", "GET /resilience", "TestComponentInitialization/error_handler",
			body(200, "application/json", `{"circuit_breakers":{"llm":{"state":"MELTED"}}}`), `"MELTED"`},
		{"health: component down", "GET /health", "TestComponentInitialization/aop",
			body(200, "application/json", `{"status":"healthy","components":{"aop":{"status":"down"}}}`), `components.aop.status "down"`},
		{"health: component missing", "GET /health", "TestComponentInitialization/otel",
			body(200, "application/json", `{"status":"healthy","components":{"aop":{"status":"ok"}}}`), "no otel among"},
		{"metrics: family missing", "GET /metrics", "TestObservabilitySmoke/genesis_metrics_exposed",
			body(200, "text/plain", "genesis_build_info{version=\"1\"} 1\n"), "missing genesis_http_requests_total"},
		{"metrics: not an exposition", "GET /metrics", "TestObservabilitySmoke/genesis_metrics_exposed",
			body(200, "text/plain", "{{{"), "parse"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := newGenesisImitation()
			g.routes[c.route] = c.h
			v := evaluateOn(t, g, c.check)
			requireFail(t, v)
			msg := v.Err.Error()
			assert.Contains(t, msg, c.says)
			assert.Contains(t, msg, c.check, "the headline names the check")
			assert.Contains(t, msg, "checklist:", "the failure quotes the checklist line")
			assert.Contains(t, msg, "http://127.0.0.1", "the failure names the URL")
		})
	}
}

// TestSmokeChecksAreBoundedOnASlowService: a service that answers after
// the deadline fails every check within the check deadline, saying so.
func TestSmokeChecksAreBoundedOnASlowService(t *testing.T) {
	g := newGenesisImitation()
	slow := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
		g.ServeHTTP(w, r)
	}
	s := imitateGenesis(t, http.HandlerFunc(slow), mutable)
	for _, c := range smokeGroups() {
		if c.Component != harness.Genesis {
			continue
		}
		t.Run(c.ID(), func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			v := Evaluate(context.Background(), s, c)
			assert.Equal(t, Fail, v.Outcome, "%v", v.Err)
			assert.Less(t, time.Since(start), 3*time.Second, "bounded by the request deadline")
			if v.Err != nil {
				assert.Contains(t, v.Err.Error(), "no answer")
			}
		})
	}
}

func flagsSecurityChecks() []Check { return append(slices.Clone(FeatureFlags), SecurityControls...) }

// TestFlagsSecurityPassOnAContractImitation: a healthy service written
// from the contract passes every check, except the two that read the
// service's log (credential_redaction, logs_clean): a live target's log
// cannot be read without SMOKE_CONTAINERS, so they end NOT JUDGED, saying why.
func TestFlagsSecurityPassOnAContractImitation(t *testing.T) {
	g := newFlagsSecurityImitation()
	s := imitateGenesis(t, g, flagsSecurityEnv)
	for _, c := range flagsSecurityChecks() {
		v := Evaluate(context.Background(), s, c)
		switch c.ID() {
		case "TestSecurityControls/credential_redaction":
			require.Equal(t, NotJudged, v.Outcome, "%v", v.Err)
			assert.Contains(t, v.Err.Error(), "were clean")
			continue
		case "TestSecurityControls/logs_clean":
			require.Equal(t, NotJudged, v.Outcome, "%v", v.Err)
			assert.Contains(t, v.Err.Error(), "the service's log cannot be read")
			continue
		}
		assert.Equal(t, Pass, v.Outcome, "%s: %v", c.ID(), v.Err)
	}
	assert.Equal(t, []string{"emergency_shutdown=true", "emergency_shutdown=false"}, g.writes)
}
