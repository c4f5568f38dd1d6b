package harnesstest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/smokestack-dev/smokestack/harness"
)

// GenesisAPIKey is the key Genesis accepts. A test that configures it
// (SMOKE_API_KEY) reaches the tools; any other key a check sends is a wrong
// one, as with the real service's generated key.
const GenesisAPIKey = "imitation-key-never-configured"

// Genesis is a small, healthy Genesis written from CONTRACT.md alone (not
// from the reference service): every route of parts A, B and C answers with
// the contract's shapes, plus fields the contract does not name, so a check
// is shown to pass on any conforming service. It declares
// GENESIS_ENV=staging: it refuses a wrong key (403) but lets a missing one
// in; Production() gives the routes of a production Genesis.
//
// overrides replace or add routes. A key is "METHOD /path" for that method
// and exact path; a key ending in "*" ("GET /flags/*") matches every path
// with that prefix, after the exact keys. A nil handler takes the route
// away. An unknown route answers 404 with FastAPI's {"detail":"Not Found"}
// as the contract's service does. So a test makes one route hostile, or
// lost, and the rest stay healthy; a test that wraps a healthy route calls
// Genesis(nil).ServeHTTP inside its override.
func Genesis(overrides map[string]http.HandlerFunc) http.Handler {
	routes := genesisRoutes(false)
	for k, h := range overrides {
		if h == nil {
			delete(routes, k)
			continue
		}
		routes[k] = h
	}
	return routes
}

// Production is the overrides that make Genesis declare
// GENESIS_ENV=production in /health and enforce what goes with it: a
// missing key is refused (401) as well as a wrong one.
func Production() map[string]http.HandlerFunc {
	r := genesisRoutes(true)
	return map[string]http.HandlerFunc{"GET /health": r["GET /health"], "POST /a2a/invoke": r["POST /a2a/invoke"]}
}

// genesisRouter finds a request's route: the exact "METHOD /path" first,
// then the "METHOD /prefix*" keys.
type genesisRouter map[string]http.HandlerFunc

func (g genesisRouter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h, ok := g[r.Method+" "+r.URL.Path]; ok {
		h(w, r)
		return
	}
	for k, h := range g {
		if p, ok := strings.CutSuffix(k, "*"); ok && strings.HasPrefix(r.Method+" "+r.URL.Path, p) {
			h(w, r)
			return
		}
	}
	WriteJSON(w, 404, map[string]any{"detail": "Not Found"})
}

// contractFlags are the flags /flags lists: the checklist's critical five
// (on) and emergency_shutdown (off), from CONTRACT.md's flag section.
var contractFlags = []string{"orchestration_enabled", "security_hardening_enabled", "error_handling_enabled",
	"otel_enabled", "performance_optimizations_enabled", "emergency_shutdown"}

// contractMetrics are the families /metrics exposes: those CONTRACT.md
// requires that exist from start-up (the labelled event counters have no
// series before their first event).
var contractMetrics = []string{
	"genesis_http_requests_total", "genesis_http_request_duration_seconds",
	"genesis_htdag_decomposition_duration_seconds", "genesis_halo_routing_duration_seconds",
	"genesis_aop_validation_duration_seconds", "genesis_operation_duration_seconds",
	"genesis_orchestration_tasks_total", "genesis_errors_total",
	"genesis_circuit_breaker_state", "genesis_retries_total",
	"genesis_feature_flag_enabled", "genesis_agents_registered", "genesis_agents_loaded",
	"genesis_spans_exported_total", "genesis_build_info",
}

func genesisRoutes(production bool) genesisRouter {
	g := genesisRouter{}
	agents := harness.DefaultAgents
	components := map[string]any{}
	for _, c := range []string{"htdag", "halo", "aop", "error_handler", "security", "feature_flags", "otel"} {
		components[c] = map[string]any{"status": "ok", "note": "extra fields are fine"}
	}
	env := "staging"
	if production {
		env = "production"
	}
	g["GET /health"] = JSON(200, map[string]any{"status": "healthy", "agents_registered": 15, "agents_loaded": 2,
		"lazy_loading": true, "timestamp": "2026-11-27T01:00:00.123456Z", "components": components, "environment": env, "uptime_s": 12})
	g["GET /a2a/version"] = JSON(200, map[string]any{"name": "genesis-a2a-full", "version": "2.1.0", "framework": "MAF",
		"agents_registered": 15, "agents_loaded": 2, "lazy_loading": true, "status": "operational"})
	g["GET /a2a/agents"] = JSON(200, map[string]any{"total_registered": 15, "total_loaded": 2,
		"registered_agents": agents, "loaded_agents": agents[:2], "lazy_loading": true})
	var tools []map[string]any
	for _, a := range agents {
		tools = append(tools, map[string]any{"agent": a, "name": "do_" + a, "description": "does " + a})
	}
	tools = append(tools, map[string]any{"agent": "infrastructure", "name": "extract_intent", "description": "intent"},
		map[string]any{"agent": "infrastructure", "name": "validate_intent", "description": "validate"})
	g["GET /a2a/card"] = JSON(200, map[string]any{"name": "genesis-a2a-full", "version": "2.1.0", "description": "Genesis",
		"protocol": "A2A", "total_tools": len(tools), "lazy_loading": true, "tools": tools})
	g["GET /a2a/agents/*"] = func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/a2a/agents/"), "/card")
		name = strings.ToLower(strings.TrimSpace(name))
		if !slices.Contains(agents, name) {
			WriteJSON(w, 404, map[string]any{"detail": fmt.Sprintf("Agent '%s' not found. Available: %v", name, agents)})
			return
		}
		WriteJSON(w, 200, map[string]any{"name": name, "version": "2.1.0", "description": "the " + name + " agent",
			"capabilities": []string{name}, "skills": []map[string]any{{"id": name + ".do", "name": "do"}},
			"defaultInputModes": []string{"text"}, "defaultOutputModes": []string{"text"}})
	}
	g["POST /a2a/invoke"] = func(w http.ResponseWriter, r *http.Request) {
		switch key := r.Header.Get("X-API-Key"); {
		case key == "" && production:
			WriteJSON(w, 401, map[string]any{"detail": "Missing API key. Include X-API-Key header."})
			return
		case key != "" && key != GenesisAPIKey:
			WriteJSON(w, 403, map[string]any{"detail": "Invalid API key"})
			return
		}
		var req struct {
			Tool      *string        `json:"tool"`
			Arguments map[string]any `json:"arguments"`
		}
		b, _ := io.ReadAll(r.Body)
		if json.Unmarshal(b, &req) != nil || req.Tool == nil {
			WriteJSON(w, 422, map[string]any{"detail": []map[string]any{{"loc": []string{"body", "tool"}, "msg": "field required"}}})
			return
		}
		if *req.Tool != "extract_intent" && *req.Tool != "validate_intent" {
			WriteJSON(w, 404, map[string]any{"detail": "Tool '" + *req.Tool + "' not found"})
			return
		}
		WriteJSON(w, 200, map[string]any{"result": map[string]any{"intent": "create"}})
	}
	g["POST /orchestrate/decompose"] = Envelope(func(b []byte) (int, any) {
		var req struct {
			UserRequest string `json:"user_request"`
		}
		_ = json.Unmarshal(b, &req)
		if status, body := requestErrors(req.UserRequest); body != nil {
			return status, body
		}
		return 200, DAG()
	})
	g["POST /orchestrate/route"] = Envelope(func(b []byte) (int, any) {
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
	g["POST /orchestrate/validate"] = Envelope(func(b []byte) (int, any) {
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
		if c := harness.FindCycle(ids, req.DAG.Dependencies); c != nil {
			return 422, APIError("DECOMPOSITION_ERROR", "cycle", "decomposition", map[string]any{"cycle": c})
		}
		return 200, ValidPlan()
	})
	g["POST /orchestrate/run"] = Envelope(func(b []byte) (int, any) {
		results := map[string]any{}
		for _, id := range []string{"t1", "t2", "t3"} {
			results[id] = map[string]any{"task_id": id, "status": "completed", "agent": "builder"}
		}
		return 200, map[string]any{"dag": DAG(), "routing": map[string]any{"is_complete": true,
			"assignments":      map[string]string{"t1": "spec", "t2": "builder", "t3": "deploy"},
			"explanations":     map[string]string{"t1": "design", "t2": "implement", "t3": "deploy"},
			"unassigned_tasks": []string{}, "workload": map[string]int{"spec": 1, "builder": 1, "deploy": 1}},
			"validation": ValidPlan(), "results": results, "status": "completed"}
	})
	flags := map[string]any{}
	for _, f := range contractFlags {
		flags[f] = map[string]any{"enabled": f != "emergency_shutdown", "strategy": "all_at_once", "rollout_percentage": 100}
	}
	g["GET /flags"] = JSON(200, flags)
	g["GET /resilience"] = JSON(200, map[string]any{"circuit_breakers": map[string]any{"llm": map[string]any{"state": "CLOSED", "failures": 0, "trips": 0}},
		"retries": map[string]any{"success": 0}, "degradations": map[string]any{}})
	g["POST /security/validate-code"] = Envelope(func(b []byte) (int, any) {
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
	for _, n := range contractMetrics {
		fmt.Fprintf(&exp, "# TYPE %s gauge\n", n)
		if n == "genesis_build_info" {
			fmt.Fprintf(&exp, "%s{version=\"2.1.0\"} 1\n", n)
		} else {
			fmt.Fprintf(&exp, "%s 0\n", n)
		}
	}
	text := exp.String()
	g["GET /metrics"] = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		w.WriteHeader(200)
		_, _ = w.Write([]byte(text))
	}
	return g
}

// WriteJSON answers with status and v encoded as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// JSON is a handler answering every request with status and v as JSON.
func JSON(status int, v any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { WriteJSON(w, status, v) }
}

// APIError is the contract's error envelope for parts B and C.
func APIError(code, msg, category string, details map[string]any) map[string]any {
	if details == nil {
		details = map[string]any{}
	}
	details["category"] = category
	return map[string]any{"error": map[string]any{"code": code, "message": msg, "details": details,
		"request_id": "req-1", "timestamp": "2026-11-27T01:00:00Z"}}
}

// requestErrors is the contract's input validation of a user request: its
// status and error body, or a nil body when the request is fine.
func requestErrors(text string) (int, map[string]any) {
	switch {
	case len(text) < 10:
		return 400, APIError("VALIDATION_ERROR", "too short", "validation", nil)
	case len(text) > 5000:
		return 400, APIError("VALIDATION_ERROR", "too long", "validation", nil)
	}
	low := strings.ToLower(text)
	for _, p := range []string{"ignore all previous", "<|im_start|>", "new prompt:"} {
		if strings.Contains(low, p) {
			return 400, APIError("SECURITY_ERROR", "injection", "security", map[string]any{"detected_patterns": []string{p}})
		}
	}
	return 0, nil
}

// Envelope wraps a B/C operation: request id header, envelope with
// metadata on success, the error body as is otherwise.
func Envelope(op func(body []byte) (int, any)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		status, out := op(b)
		for k, v := range map[string]string{"X-Request-Id": "req-1", "X-Schema-Version": "v1.0.0",
			"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "99", "X-RateLimit-Reset": "1700000000"} {
			w.Header().Set(k, v)
		}
		if status/100 != 2 {
			WriteJSON(w, status, out)
			return
		}
		WriteJSON(w, status, map[string]any{"data": out, "metadata": map[string]any{"request_id": "req-1",
			"timestamp": "2026-11-27T01:00:00Z", "execution_time_ms": 1.5, "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"}})
	}
}

// DAG is a healthy decomposition: three tasks in a chain.
func DAG() map[string]any {
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

// ValidPlan is a healthy validation of a plan.
func ValidPlan() map[string]any {
	return map[string]any{"is_valid": true, "solvability_passed": true, "completeness_passed": true, "redundancy_passed": true,
		"quality_score": 0.9, "issues": []string{}, "warnings": []string{"extra"}}
}
