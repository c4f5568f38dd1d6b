package checks

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/harness"
)

// genesisImitation is a small, healthy Genesis written from CONTRACT.md
// alone (not from the reference service): every route answers with the
// contract's shapes, plus fields the contract does not name, so the checks
// are shown to pass on any conforming service. Tests override one route at
// a time to make it hostile.
type genesisImitation struct {
	routes map[string]http.HandlerFunc // "METHOD /path" or "METHOD /prefix*"
	// production is what the imitation declares in /health (GENESIS_ENV):
	// like the contract's service it refuses a missing key (401) only in
	// production, and a wrong key (403) in every environment.
	production bool
}

// imitationAPIKey is the imitation's key. No test configures it, so any key
// a check sends is a wrong one, as with the real service's generated key.
const imitationAPIKey = "imitation-key-never-configured"

// declareProduction makes the imitation say GENESIS_ENV=production in
// /health, and enforce the missing-key rule that goes with it.
func (g *genesisImitation) declareProduction() *genesisImitation {
	g.production = true
	return g
}

func newGenesisImitation() *genesisImitation {
	g := &genesisImitation{routes: map[string]http.HandlerFunc{}}
	agents := harness.DefaultAgents
	components := map[string]any{}
	for _, c := range []string{"htdag", "halo", "aop", "error_handler", "security", "feature_flags", "otel"} {
		components[c] = map[string]any{"status": "ok", "note": "extra fields are fine"}
	}
	g.routes["GET /health"] = func(w http.ResponseWriter, r *http.Request) {
		env := "staging"
		if g.production {
			env = "production"
		}
		writeJSON(w, 200, map[string]any{"status": "healthy", "agents_registered": 15, "agents_loaded": 2,
			"lazy_loading": true, "timestamp": "2026-11-27T01:00:00.123456Z", "components": components, "environment": env, "uptime_s": 12})
	}
	g.routes["GET /a2a/version"] = jsonHandler(200, map[string]any{"name": "genesis-a2a-full", "version": "2.1.0", "framework": "MAF",
		"agents_registered": 15, "agents_loaded": 2, "lazy_loading": true, "status": "operational"})
	g.routes["GET /a2a/agents"] = jsonHandler(200, map[string]any{"total_registered": 15, "total_loaded": 2,
		"registered_agents": agents, "loaded_agents": agents[:2], "lazy_loading": true})
	var tools []map[string]any
	for _, a := range agents {
		tools = append(tools, map[string]any{"agent": a, "name": "do_" + a, "description": "does " + a})
	}
	tools = append(tools, map[string]any{"agent": "infrastructure", "name": "extract_intent", "description": "intent"},
		map[string]any{"agent": "infrastructure", "name": "validate_intent", "description": "validate"})
	g.routes["GET /a2a/card"] = jsonHandler(200, map[string]any{"name": "genesis-a2a-full", "version": "2.1.0", "description": "Genesis",
		"protocol": "A2A", "total_tools": len(tools), "lazy_loading": true, "tools": tools})
	g.routes["GET /a2a/agents/*"] = func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/a2a/agents/"), "/card")
		name = strings.ToLower(strings.TrimSpace(name))
		if !slices.Contains(agents, name) {
			writeJSON(w, 404, map[string]any{"detail": fmt.Sprintf("Agent '%s' not found. Available: %v", name, agents)})
			return
		}
		writeJSON(w, 200, map[string]any{"name": name, "version": "2.1.0", "description": "the " + name + " agent",
			"capabilities": []string{name}, "skills": []map[string]any{{"id": name + ".do", "name": "do"}},
			"defaultInputModes": []string{"text"}, "defaultOutputModes": []string{"text"}})
	}
	g.routes["POST /a2a/invoke"] = func(w http.ResponseWriter, r *http.Request) {
		switch key := r.Header.Get("X-API-Key"); {
		case key == "" && g.production:
			writeJSON(w, 401, map[string]any{"detail": "Missing API key. Include X-API-Key header."})
			return
		case key != "" && key != imitationAPIKey:
			writeJSON(w, 403, map[string]any{"detail": "Invalid API key"})
			return
		}
		var req struct {
			Tool      *string        `json:"tool"`
			Arguments map[string]any `json:"arguments"`
		}
		b, _ := io.ReadAll(r.Body)
		if json.Unmarshal(b, &req) != nil || req.Tool == nil {
			writeJSON(w, 422, map[string]any{"detail": []map[string]any{{"loc": []string{"body", "tool"}, "msg": "field required"}}})
			return
		}
		if *req.Tool != "extract_intent" && *req.Tool != "validate_intent" {
			writeJSON(w, 404, map[string]any{"detail": "Tool '" + *req.Tool + "' not found"})
			return
		}
		writeJSON(w, 200, map[string]any{"result": map[string]any{"intent": "create"}})
	}
	g.routes["POST /orchestrate/decompose"] = envelopeHandler(func(b []byte) (int, any) {
		var req struct {
			UserRequest string `json:"user_request"`
		}
		_ = json.Unmarshal(b, &req)
		if e := requestErrors(req.UserRequest); e != nil {
			return e.status, e.body
		}
		return 200, imitationDAG()
	})
	g.routes["POST /orchestrate/route"] = envelopeHandler(func(b []byte) (int, any) {
		var req struct {
			Tasks []struct {
				TaskID   string `json:"task_id"`
				TaskType string `json:"task_type"`
			} `json:"tasks"`
		}
		_ = json.Unmarshal(b, &req)
		byType := map[string]string{"design": "spec", "implement": "builder", "test": "qa", "deploy": "deploy",
			"marketing": "marketing", "support": "support", "analytics": "analyst", "security": "security"}
		as, ex, wl := map[string]string{}, map[string]string{}, map[string]int{}
		for _, t := range req.Tasks {
			as[t.TaskID] = byType[t.TaskType]
			ex[t.TaskID] = "matched " + t.TaskType
			wl[byType[t.TaskType]]++
		}
		return 200, map[string]any{"routing_plan": map[string]any{"is_complete": true, "assignments": as, "explanations": ex,
			"unassigned_tasks": []string{}, "workload": wl}, "routing_metadata": map[string]any{"rules_applied": []string{"type"}}}
	})
	g.routes["POST /orchestrate/validate"] = envelopeHandler(func(b []byte) (int, any) {
		var req struct {
			DAG struct {
				Tasks []struct {
					TaskID string `json:"task_id"`
				} `json:"tasks"`
				Dependencies map[string][]string `json:"dependencies"`
			} `json:"dag"`
		}
		_ = json.Unmarshal(b, &req)
		var ids []string
		for _, t := range req.DAG.Tasks {
			ids = append(ids, t.TaskID)
		}
		if c := findCycle(ids, req.DAG.Dependencies); c != nil {
			return 422, apiErr("DECOMPOSITION_ERROR", "cycle", "decomposition", map[string]any{"cycle": c})
		}
		return 200, validPlan()
	})
	g.routes["POST /orchestrate/run"] = envelopeHandler(func(b []byte) (int, any) {
		d := imitationDAG()
		results := map[string]any{}
		for _, id := range []string{"t1", "t2", "t3"} {
			results[id] = map[string]any{"task_id": id, "status": "completed", "agent": "builder"}
		}
		return 200, map[string]any{"dag": d, "routing": map[string]any{"is_complete": true,
			"assignments":      map[string]string{"t1": "spec", "t2": "builder", "t3": "deploy"},
			"explanations":     map[string]string{"t1": "design", "t2": "implement", "t3": "deploy"},
			"unassigned_tasks": []string{}, "workload": map[string]int{"spec": 1, "builder": 1, "deploy": 1}},
			"validation": validPlan(), "results": results, "status": "completed"}
	})
	flags := map[string]any{}
	for _, f := range append(slices.Clone(CriticalFlags), "emergency_shutdown") {
		flags[f] = map[string]any{"enabled": f != "emergency_shutdown", "strategy": "all_at_once", "rollout_percentage": 100}
	}
	g.routes["GET /flags"] = jsonHandler(200, flags)
	g.routes["GET /resilience"] = jsonHandler(200, map[string]any{"circuit_breakers": map[string]any{"llm": map[string]any{"state": "CLOSED", "failures": 0, "trips": 0}},
		"retries": map[string]any{"success": 0}, "degradations": map[string]any{}})
	g.routes["POST /security/validate-code"] = envelopeHandler(func(b []byte) (int, any) {
		var req struct{ Code string }
		_ = json.Unmarshal(b, &req)
		for _, bad := range []string{"import os", "eval(", "subprocess"} {
			if strings.Contains(req.Code, bad) {
				return 200, map[string]any{"valid": false, "reason": "Dangerous: " + bad}
			}
		}
		return 200, map[string]any{"valid": true, "reason": "ok"}
	})
	var exp strings.Builder
	for _, n := range GenesisMetrics {
		fmt.Fprintf(&exp, "# TYPE %s gauge\n", n)
		if n == "genesis_build_info" {
			fmt.Fprintf(&exp, "%s{version=\"2.1.0\"} 1\n", n)
		} else {
			fmt.Fprintf(&exp, "%s 0\n", n)
		}
	}
	g.routes["GET /metrics"] = body(200, "text/plain; version=0.0.4", exp.String())
	return g
}

func (g *genesisImitation) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h, ok := g.routes[r.Method+" "+r.URL.Path]; ok {
		h(w, r)
		return
	}
	for k, h := range g.routes {
		if p, ok := strings.CutSuffix(k, "*"); ok && strings.HasPrefix(r.Method+" "+r.URL.Path, p) {
			h(w, r)
			return
		}
	}
	writeJSON(w, 404, map[string]any{"detail": "Not Found"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func jsonHandler(status int, v any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { writeJSON(w, status, v) }
}

type imitationError struct {
	status int
	body   any
}

func apiErr(code, msg, category string, details map[string]any) map[string]any {
	if details == nil {
		details = map[string]any{}
	}
	details["category"] = category
	return map[string]any{"error": map[string]any{"code": code, "message": msg, "details": details,
		"request_id": "req-1", "timestamp": "2026-11-27T01:00:00Z"}}
}

func requestErrors(text string) *imitationError {
	switch {
	case len(text) < 10:
		return &imitationError{400, apiErr("VALIDATION_ERROR", "too short", "validation", nil)}
	case len(text) > 5000:
		return &imitationError{400, apiErr("VALIDATION_ERROR", "too long", "validation", nil)}
	}
	low := strings.ToLower(text)
	for _, p := range []string{"ignore all previous", "<|im_start|>", "new prompt:"} {
		if strings.Contains(low, p) {
			return &imitationError{400, apiErr("SECURITY_ERROR", "injection", "security", map[string]any{"detected_patterns": []string{p}})}
		}
	}
	return nil
}

// envelopeHandler wraps a B/C operation: request id header, envelope with
// metadata on success, the error body as is otherwise.
func envelopeHandler(op func(body []byte) (int, any)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		status, out := op(b)
		for k, v := range map[string]string{"X-Request-Id": "req-1", "X-Schema-Version": "v1.0.0",
			"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "99", "X-RateLimit-Reset": "1700000000"} {
			w.Header().Set(k, v)
		}
		if status/100 != 2 {
			writeJSON(w, status, out)
			return
		}
		writeJSON(w, status, map[string]any{"data": out, "metadata": map[string]any{"request_id": "req-1",
			"timestamp": "2026-11-27T01:00:00Z", "execution_time_ms": 1.5, "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"}})
	}
}

func imitationDAG() map[string]any {
	return map[string]any{"dag_id": "dag-1",
		"tasks": []map[string]any{
			{"task_id": "t1", "description": "Design it", "task_type": "design", "status": "pending", "priority": 0.9, "estimated_complexity": 2},
			{"task_id": "t2", "description": "Build it", "task_type": "implement", "status": "pending", "priority": 0.8, "estimated_complexity": "medium"},
			{"task_id": "t3", "description": "Ship it", "task_type": "deploy", "status": "pending", "priority": 0.7, "estimated_complexity": 1},
		},
		"dependencies": map[string][]string{"t1": {}, "t2": {"t1"}, "t3": {"t2"}},
		"root_tasks":   []string{"t1"}, "leaf_tasks": []string{"t3"},
		"decomposition_metadata": map[string]any{"method": "heuristic", "recursion_depth": 1, "total_tasks": 3}}
}

func validPlan() map[string]any {
	return map[string]any{"is_valid": true, "solvability_passed": true, "completeness_passed": true, "redundancy_passed": true,
		"quality_score": 0.9, "issues": []string{}, "warnings": []string{"extra"}}
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

// imitate attaches a live stack whose components are httptest servers
// answering with the given handlers: wrong shapes without Docker.
func imitate(t *testing.T, handlers map[harness.Component]http.HandlerFunc) *harness.Stack {
	t.Helper()
	return imitateWith(t, handlers, nil)
}

// imitateWith is imitate with more settings (SMOKE_* name to value).
func imitateWith(t *testing.T, handlers map[harness.Component]http.HandlerFunc, env map[string]string) *harness.Stack {
	t.Helper()
	cfg, err := harness.LoadConfig(func(k string) (string, bool) {
		if v, ok := env[k]; ok {
			return v, true
		}
		switch k {
		case harness.Env.Target:
			return "live", true
		case harness.Env.HTTPTimeout:
			return "300ms", true
		case harness.Env.CheckTimeout:
			return "2s", true
		}
		return "", false
	})
	if err == nil {
		t.Fatal("a live config without URLs must be refused")
	}
	cfg.URLs = map[harness.Component]string{}
	cfg.Require = []harness.Component{}
	for c, h := range handlers {
		cfg.Require = append(cfg.Require, c)
		srv := httptest.NewServer(h)
		t.Cleanup(func() { srv.CloseClientConnections(); srv.Close() })
		cfg.URLs[c] = srv.URL
	}
	s, err := harness.Attach(cfg)
	require.NoError(t, err)
	return s
}

func body(status int, ct, b string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(b))
	}
}

func check(t *testing.T, id string) Check {
	c, ok := ByID(id)
	require.True(t, ok, id)
	return c
}
