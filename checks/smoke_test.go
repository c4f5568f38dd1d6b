package checks

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/harness"
)

// smokeGroups are the groups of issue 4 (everything but TestInfrastructure).
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

// imitateGenesis attaches a live stack whose Genesis is g, with extra
// configuration (for example SMOKE_ALLOW_MUTATION, SMOKE_EXPECT_PRODUCTION).
func imitateGenesis(t *testing.T, g http.Handler, env map[string]string) *harness.Stack {
	t.Helper()
	srv := httptest.NewServer(g)
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close() })
	cfg, err := harness.LoadConfig(func(k string) (string, bool) {
		if v, ok := env[k]; ok {
			return v, true
		}
		switch k {
		case harness.Env.Target:
			return "live", true
		case harness.Env.Require:
			return "genesis", true
		case harness.Env.A2AURL:
			return srv.URL, true
		case harness.Env.HTTPTimeout:
			return "300ms", true
		case harness.Env.CheckTimeout:
			return "2s", true
		}
		return "", false
	})
	require.NoError(t, err)
	s, err := harness.Attach(cfg)
	require.NoError(t, err)
	return s
}

// mutable lets checks that change the target run (the orchestration run).
var mutable = map[string]string{harness.Env.AllowMutation: "1"}

func evaluateOn(t *testing.T, g http.Handler, id string) Verdict {
	t.Helper()
	return Evaluate(context.Background(), imitateGenesis(t, g, mutable), check(t, id))
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
			require.Equal(t, Pass, v.Outcome, "%v", v.Err)
		})
	}
}

// TestOrchestrationRunIsAMutation: a live target that does not allow
// mutation is not made to execute a plan; the flow judges the rest.
func TestOrchestrationRunIsAMutation(t *testing.T) {
	g := newGenesisImitation()
	ran := false
	run := g.routes["POST /orchestrate/run"]
	g.routes["POST /orchestrate/run"] = func(w http.ResponseWriter, r *http.Request) { ran = true; run(w, r) }
	s := imitateGenesis(t, g, nil)
	v := Evaluate(context.Background(), s, check(t, "TestBasicOrchestration/orchestration_run"))
	require.Equal(t, NotJudged, v.Outcome, "%v", v.Err)
	assert.Contains(t, v.Err.Error(), "SMOKE_ALLOW_MUTATION=1")
	v = Evaluate(context.Background(), s, check(t, "TestBasicOrchestration/simple_orchestration_flow"))
	require.Equal(t, Pass, v.Outcome, "%v", v.Err)
	assert.False(t, ran, "the run route was called on a read-only live target")
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
			require.Equal(t, Fail, v.Outcome, "%v", v.Err)
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

// TestProfileDecidesNotA404: the same deployment serving only parts A and
// B is judged by its declared profile. Declared orchestration, the part C
// checks are NOT APPLICABLE naming the profile and the flow judges
// decomposition and routing; declared (or discovered) full, the same 404s
// fail naming the missing route — a route lost from a full deployment is
// never read as "not served".
func TestProfileDecidesNotA404(t *testing.T) {
	g := newGenesisImitation()
	for _, r := range []string{"POST /orchestrate/validate", "POST /orchestrate/run", "GET /flags", "GET /resilience", "POST /security/validate-code"} {
		delete(g.routes, r)
	}
	g.routes["GET /health"] = body(200, "application/json", `{"status":"healthy","agents_registered":15,"agents_loaded":0,"lazy_loading":true,"timestamp":"2026-11-27T01:00:00Z"}`)
	full := imitateGenesis(t, g, mutable)
	partC := []string{"TestBasicOrchestration/plan_validation", "TestBasicOrchestration/orchestration_run",
		"TestComponentInitialization/aop", "TestComponentInitialization/feature_flags",
		"TestSecuritySmoke/dangerous_code_rejected", "TestSecuritySmoke/cycle_rejected"}
	orch := full.WithProfile(harness.ProfileOrchestration, "SMOKE_PROFILE=orchestration")
	for _, id := range partC {
		v := Evaluate(context.Background(), orch, check(t, id))
		require.Equal(t, NotApplicable, v.Outcome, "%s: %v", id, v.Err)
		assert.Contains(t, v.Err.Error(), "profile orchestration", id)
		assert.Contains(t, v.Err.Error(), "part C", id)
	}
	for _, id := range []string{"TestBasicOrchestration/simple_orchestration_flow", "TestComponentInitialization/error_handler", "TestComponentInitialization/htdag"} {
		v := Evaluate(context.Background(), orch, check(t, id))
		require.Equal(t, Pass, v.Outcome, "%s: %v", id, v.Err)
	}
	fullView := full.WithProfile(harness.ProfileFull, "SMOKE_PROFILE=full")
	for _, id := range append(partC, "TestComponentInitialization/error_handler", "TestComponentInitialization/htdag", "TestBasicOrchestration/simple_orchestration_flow") {
		v := Evaluate(context.Background(), fullView, check(t, id))
		require.Equal(t, Fail, v.Outcome, "%s: %v", id, v.Err)
	}
	v := Evaluate(context.Background(), fullView, check(t, "TestBasicOrchestration/plan_validation"))
	assert.Contains(t, v.Err.Error(), "status 404 (route missing)")
	assert.Contains(t, v.Err.Error(), "/orchestrate/validate")
	// Part B missing fails wherever the profile serves B.
	delete(g.routes, "POST /orchestrate/decompose")
	v = Evaluate(context.Background(), orch, check(t, "TestBasicOrchestration/simple_orchestration_flow"))
	require.Equal(t, Fail, v.Outcome, "%v", v.Err)
	assert.Contains(t, v.Err.Error(), "status 404")
}

// TestAuthChecksInProduction: a wrong key must be refused with 403 in every
// environment; a missing key must be refused with 401 where the target is
// production (declared by /health or by configuration) and is not
// applicable elsewhere, saying how to declare production.
func TestAuthChecksInProduction(t *testing.T) {
	const missing, wrong = "TestAgentInvoke/missing_key_401", "TestAgentInvoke/wrong_key_403"
	// open lets anybody in, whatever key they send.
	open := func(g *genesisImitation) *genesisImitation {
		g.routes["POST /a2a/invoke"] = body(200, "application/json", `{"result":{"intent":"create"}}`)
		return g
	}
	production := map[string]string{harness.Env.ExpectProduction: "1"}
	cases := []struct {
		name    string
		g       *genesisImitation
		env     map[string]string
		id      string
		outcome Outcome
		says    []string
	}{
		{"declared production, enforcing: missing key", newGenesisImitation().declareProduction(), nil, missing, Pass, nil},
		{"declared production, enforcing: wrong key", newGenesisImitation().declareProduction(), nil, wrong, Pass, nil},
		{"configured production, enforcing: wrong key", newGenesisImitation(), production, wrong, Pass, nil},
		{"staging, enforcing: wrong key judged anyway", newGenesisImitation(), nil, wrong, Pass, nil},
		{"staging: missing key not applicable", newGenesisImitation(), nil, missing, NotApplicable,
			[]string{"not declared production", `environment "staging"`, harness.Env.ExpectProduction + "=1"}},
		{"declared production, open: missing key", open(newGenesisImitation().declareProduction()), nil, missing, Fail,
			[]string{"status 401", "no X-API-Key in production", "got status 200"}},
		{"declared production, open: wrong key", open(newGenesisImitation().declareProduction()), nil, wrong, Fail,
			[]string{"status 403", "wrong X-API-Key in every environment", "got status 200"}},
		{"configured production, staging service lets a key-less call in", newGenesisImitation(), production, missing, Fail,
			[]string{"status 401", "got status 200"}},
		{"staging, open: wrong key fails in every environment", open(newGenesisImitation()), nil, wrong, Fail,
			[]string{"status 403", "wrong X-API-Key in every environment", "got status 200", "/a2a/invoke"}},
		{"refused without a detail", func() *genesisImitation {
			g := newGenesisImitation()
			g.routes["POST /a2a/invoke"] = body(403, "text/plain", "Forbidden")
			return g
		}(), nil, wrong, Fail, []string{"status 403 without a detail"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := Evaluate(context.Background(), imitateGenesis(t, c.g, c.env), check(t, c.id))
			require.Equal(t, c.outcome, v.Outcome, "%v", v.Err)
			for _, s := range c.says {
				assert.Contains(t, v.Err.Error(), s)
			}
			if c.outcome == Fail {
				assert.Contains(t, v.Err.Error(), c.id, "the headline names the check")
			}
		})
	}
}

func TestCyclePathJudgement(t *testing.T) {
	m := []string{"a", "b", "c"}
	assert.True(t, isCyclePath([]string{"b", "c", "a", "b"}, m))
	assert.False(t, isCyclePath([]string{"a", "b", "c"}, m), "not closed")
	assert.False(t, isCyclePath([]string{"a", "b", "a"}, m), "misses c")
	assert.False(t, isCyclePath(nil, m))
	assert.Equal(t, []string{"a", "b", "a"}, findCycle([]string{"a", "b"}, map[string][]string{"a": {"b"}, "b": {"a"}}))
	assert.Nil(t, findCycle([]string{"a", "b"}, map[string][]string{"b": {"a"}}))
	assert.True(t, strings.Contains(strings.Join(judgeDecomposition(&harness.Decomposition{}), ";"), "no tasks"))
}
