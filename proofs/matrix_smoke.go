package proofs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"

	"github.com/smokestack-dev/smokestack/harness"
)

// Check IDs of the smoke groups beyond TestInfrastructure.
const (
	ciHTDAG        = "TestComponentInitialization/htdag"
	ciHALO         = "TestComponentInitialization/halo"
	ciAOP          = "TestComponentInitialization/aop"
	ciErrorHandler = "TestComponentInitialization/error_handler"
	ciSecurity     = "TestComponentInitialization/security"
	ciFlags        = "TestComponentInitialization/feature_flags"
	ciOTEL         = "TestComponentInitialization/otel"

	flowSimple    = "TestBasicOrchestration/simple_orchestration_flow"
	decomposition = "TestBasicOrchestration/task_decomposition"
	routing       = "TestBasicOrchestration/task_routing"
	validation    = "TestBasicOrchestration/plan_validation"
	runCheck      = "TestBasicOrchestration/orchestration_run"

	a2aVersion   = "TestAgentCatalogue/a2a_version"
	agentsList   = "TestAgentCatalogue/registered_agents"
	a2aCard      = "TestAgentCatalogue/a2a_card"
	agentCards   = "TestAgentCatalogue/agent_cards_complete"
	unknownAgent = "TestAgentCatalogue/unknown_agent_404"

	invokeOK      = "TestAgentInvoke/harmless_invoke"
	invokeUnknown = "TestAgentInvoke/unknown_tool_404"
	invokeBadBody = "TestAgentInvoke/malformed_body_422"
	invoke401     = "TestAgentInvoke/missing_key_401"
	invoke403     = "TestAgentInvoke/wrong_key_403"

	injection   = "TestSecuritySmoke/prompt_injection_rejected"
	lengthLimit = "TestSecuritySmoke/request_length_limited"
	codeGuard   = "TestSecuritySmoke/dangerous_code_rejected"
	cycleCheck  = "TestSecuritySmoke/cycle_rejected"

	errorCategory = "TestErrorHandlingSmoke/error_envelope_category"

	metricsExposed   = "TestObservabilitySmoke/genesis_metrics_exposed"
	prometheusScrape = "TestObservabilitySmoke/prometheus_scrapes_genesis"
)

// componentChecks read /health components: a hanging /health fails them all.
var componentChecks = []string{ciHTDAG, ciHALO, ciAOP, ciErrorHandler, ciSecurity, ciFlags, ciOTEL}

// decomposing are the checks that judge a decomposition of their own.
var decomposing = []string{flowSimple, decomposition, routing, validation}

// orchestrating are the checks that need an orchestration route to answer
// (every check that posts to /orchestrate/*).
var orchestrating = append([]string{ciHTDAG, ciHALO, ciAOP, ciErrorHandler, ciSecurity, ciOTEL, runCheck,
	injection, lengthLimit, cycleCheck, errorCategory}, decomposing...)

// says maps each check to the text its failure must contain.
func says(text string, ids ...string) map[string]string {
	out := make(map[string]string, len(ids))
	for _, id := range ids {
		out[id] = text
	}
	return out
}

// smokeFaults prove the smoke checks beyond TestInfrastructure: the
// reference service's knobs at run time, and, where no knob breaks what a
// check judges (the shape invariants of an answer, production auth on a
// staging stack), a tampering proxy swapped in for Genesis that forwards
// everything and rewrites one route's answers.
func smokeFaults() []Fault {
	faults := []Fault{}
	for _, c := range []string{"htdag", "halo", "aop", "error_handler", "security", "feature_flags", "otel"} {
		faults = append(faults, Fault{Name: "component_down_" + c, Does: "knob component_down=" + c + ": /health reports it down",
			Action: Knob("component_down=" + c), Fails: []string{"TestComponentInitialization/" + c},
			Says: says(`components.`+c+`.status "down"`, "TestComponentInitialization/"+c)})
	}
	return append(faults, []Fault{
		{Name: "tracing_off", Does: "knob tracing_off: no spans, no metadata.trace_id",
			Action: Knob("tracing_off"), Fails: []string{ciOTEL}, Says: says(`trace_id ""`, ciOTEL)},
		{Name: "orchestration_errors", Does: "knob error_rate=1: every orchestration request answers 500",
			Action: Knob("error_rate=1"), Fails: orchestrating, Says: says("status 500", orchestrating...)},
		{Name: "decompose_cycle", Does: "proxy: decompose answers a DAG whose first task depends on its last (a cycle)",
			Action: Tampered(onData("POST", "/orchestrate/decompose", addCycle)), Fails: decomposing, Says: says("dependency cycle", decomposing...)},
		{Name: "decompose_dangling_dependency", Does: "proxy: a decomposed task depends on a task that does not exist",
			Action: Tampered(onData("POST", "/orchestrate/decompose", addDanglingDependency)), Fails: decomposing, Says: says(`unknown task "task_that_does_not_exist"`, decomposing...)},
		{Name: "decompose_bad_task_type", Does: `proxy: a decomposed task has task_type "cooking"`,
			Action: Tampered(onData("POST", "/orchestrate/decompose", badTaskType)), Fails: decomposing, Says: says(`task_type "cooking"`, decomposing...)},
		{Name: "decompose_headers_stripped", Does: "proxy: decompose answers without X-Request-Id and rate-limit headers",
			Action: Tampered(tamper{match: route("POST", "/orchestrate/decompose"), response: stripHeaders}), Fails: decomposing, Says: says("X-Request-Id", decomposing...)},
		{Name: "route_drops_task", Does: "proxy: routing forgets a task (neither assigned nor unassigned)",
			Action: Tampered(onData("POST", "/orchestrate/route", dropAssignment)), Fails: []string{ciHALO, flowSimple, routing, validation},
			Says: says("neither assigned nor listed", flowSimple, routing, validation)},
		{Name: "validate_says_invalid", Does: "proxy: plan validation answers is_valid false",
			Action: Tampered(onData("POST", "/orchestrate/validate", setInvalid)), Fails: []string{ciAOP, flowSimple, validation}, Says: says("is_valid false", ciAOP, flowSimple, validation)},
		{Name: "run_partial", Does: `proxy: a run answers status "partial" with one task failed`,
			Action: Tampered(onData("POST", "/orchestrate/run", makePartial)), Fails: []string{runCheck}, Says: says(`status "partial"`, runCheck)},
		{Name: "flags_missing", Does: "proxy: /flags lists no flags",
			Action: Tampered(tamper{match: route("GET", "/flags"), response: jsonAnswer(200, `{}`)}), Fails: []string{ciFlags, ffCritical, ffSafety}, Says: says("no flags", ciFlags, ffCritical, ffSafety)},
		{Name: "resilience_garbled", Does: `proxy: /resilience reports a breaker in state "BROKEN"`,
			Action: Tampered(tamper{match: route("GET", "/resilience"), response: jsonAnswer(200, `{"circuit_breakers":{"llm":{"state":"BROKEN","failures":0,"trips":0}}}`)}),
			Fails:  []string{ciErrorHandler}, Says: says(`"BROKEN"`, ciErrorHandler)},
		{Name: "version_wrong", Does: "knob version_wrong: /a2a/version reports 0.0.0-fault, degraded",
			Action: Knob("version_wrong"), Fails: []string{a2aVersion}, Says: says(`version "0.0.0-fault"`, a2aVersion)},
		{Name: "card_incomplete", Does: "knob card_incomplete: the card loses the infrastructure tools, agent cards their skills",
			Action: Knob("card_incomplete"), Fails: []string{a2aCard, agentCards}, Says: map[string]string{a2aCard: "no extract_intent tool", agentCards: "no skills"}},
		{Name: "unknown_agent_unhelpful", Does: `proxy: an unknown agent's card is 404 {"detail":"Not Found"}, naming no agents`,
			Action: Tampered(tamper{match: prefix("GET", "/a2a/agents/smokestack-"), response: jsonAnswer(404, `{"detail":"Not Found"}`)}),
			Fails:  []string{unknownAgent}, Says: says("does not name", unknownAgent)},
		{Name: "invoke_result_missing", Does: `proxy: invoke answers 200 {"result": null}`,
			Action: Tampered(tamper{match: route("POST", "/a2a/invoke"), response: ifStatus(200, jsonAnswer(200, `{"result":null}`))}),
			Fails:  []string{invokeOK}, Says: says("no result", invokeOK)},
		{Name: "invoke_unknown_tool_200", Does: "proxy: invoke answers 200 for an unknown tool",
			Action: Tampered(tamper{match: route("POST", "/a2a/invoke"), response: ifStatus(404, jsonAnswer(200, `{"result":{"status":"success"}}`))}),
			Fails:  []string{invokeUnknown}, Says: says("status 200", invokeUnknown)},
		{Name: "invoke_malformed_500", Does: "proxy: invoke answers 500 for a malformed body",
			Action: Tampered(tamper{match: route("POST", "/a2a/invoke"), response: ifStatus(422, jsonAnswer(500, `{"detail":"Internal Server Error"}`))}),
			Fails:  []string{invokeBadBody}, Says: says("status 500", invokeBadBody)},
		{Name: "production_auth_enforced", Does: "positive control: proxy declares production in /health and enforces the key on invoke (401 missing, 403 wrong)",
			Action: Tampered(declareProduction, enforceKey), Passes: []string{invoke401, invoke403}},
		{Name: "invoke_auth_off", Does: "knob invoke_auth_off: /a2a/invoke accepts missing and wrong keys in every environment",
			Action: Knob("invoke_auth_off"), Fails: []string{invoke403, a2aAuthKeyed}, Says: says("status", invoke403)},
		{Name: "production_auth_off", Does: "proxy: declares production in /health, and the service's auth is off (knob invoke_auth_off)",
			Action: Combined(Knob("invoke_auth_off"), Tampered(declareProduction)),
			Fails:  []string{invoke401, invoke403, a2aAuthKeyed}, Says: says("status 200", invoke401, invoke403)},
		{Name: "injection_guard_off", Does: "knob injection_guard_off: prompt injections are accepted",
			Action: Knob("injection_guard_off"), Fails: []string{ciSecurity, injection, errorCategory, scInjection}, Says: says("status 200", ciSecurity, injection, errorCategory, scInjection)},
		{Name: "length_limit_off", Does: "knob length_limit_off: a 5001-character request is accepted",
			Action: Knob("length_limit_off"), Fails: []string{lengthLimit}, Says: says("status 200", lengthLimit)},
		{Name: "code_guard_off", Does: "knob code_guard_off: dangerous code passes validation",
			Action: Knob("code_guard_off"), Fails: []string{codeGuard, scCode}, Says: says("valid true", codeGuard, scCode)},
		{Name: "cycle_check_off", Does: "knob cycle_check_off: AOP accepts a cyclic DAG",
			Action: Knob("cycle_check_off"), Fails: []string{cycleCheck, scCycles}, Says: says("status 200", cycleCheck, scCycles)},
		{Name: "categories_off", Does: `knob categories_off: every error's category is "unknown"`,
			Action: Knob("categories_off"), Fails: []string{errorCategory}, Says: says(`category "unknown"`, errorCategory)},
		{Name: "metrics_family_missing", Does: "proxy: /metrics without the genesis_errors_total family",
			Action: Tampered(tamper{match: route("GET", "/metrics"), response: dropFamily("genesis_errors_total")}), Fails: []string{metricsExposed}, Says: says("missing genesis_errors_total", metricsExposed)},
	}...)
}

// ---- the tampering proxy -------------------------------------------------------------

// tamper changes the traffic of the requests it matches: the request before
// it is forwarded, and the answer before it is returned.
type tamper struct {
	match    func(r *http.Request) bool
	request  func(r *http.Request)
	response func(r *http.Request, status int, h http.Header, body []byte) (int, []byte)
	// serve answers in place of Genesis when it returns true.
	serve func(w http.ResponseWriter, r *http.Request, s *harness.Stack) bool
}

// Tampered swaps Genesis for a reverse proxy to it that applies tampers:
// every other request and answer passes unchanged, so only the checks that
// judge the tampered route can notice.
func Tampered(tampers ...tamper) Action {
	return Proxied(harness.Genesis, func(s *harness.Stack, rp *httputil.ReverseProxy) http.Handler {
		rp.ModifyResponse = func(resp *http.Response) error {
			for _, t := range tampers {
				if t.response == nil || !t.match(resp.Request) {
					continue
				}
				body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
				resp.Body.Close()
				if err != nil {
					return err
				}
				status, out := t.response(resp.Request, resp.StatusCode, resp.Header, body)
				resp.StatusCode = status
				resp.Status = fmt.Sprintf("%d %s", status, http.StatusText(status))
				resp.Body = io.NopCloser(bytes.NewReader(out))
				resp.ContentLength = int64(len(out))
				resp.Header.Set("Content-Length", strconv.Itoa(len(out)))
			}
			return nil
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for _, t := range tampers {
				if !t.match(r) {
					continue
				}
				if t.serve != nil && t.serve(w, r, s) {
					return
				}
				if t.request != nil {
					t.request(r)
				}
			}
			// Let the proxy's transport negotiate (and undo) compression,
			// so a tamper sees the plain body.
			r.Header.Del("Accept-Encoding")
			rp.ServeHTTP(w, r)
		})
	})
}

func route(method, path string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Method == method && r.URL.Path == path }
}

func prefix(method, path string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Method == method && strings.HasPrefix(r.URL.Path, path) }
}

// jsonAnswer replaces the answer with status and body.
func jsonAnswer(status int, body string) func(*http.Request, int, http.Header, []byte) (int, []byte) {
	return func(_ *http.Request, _ int, h http.Header, _ []byte) (int, []byte) {
		h.Set("Content-Type", "application/json")
		return status, []byte(body)
	}
}

// ifStatus applies f only to answers with status code; others pass.
func ifStatus(code int, f func(*http.Request, int, http.Header, []byte) (int, []byte)) func(*http.Request, int, http.Header, []byte) (int, []byte) {
	return func(r *http.Request, status int, h http.Header, body []byte) (int, []byte) {
		if status != code {
			return status, body
		}
		return f(r, status, h, body)
	}
}

// onData edits the `data` object of a route's 2xx envelope answers.
func onData(method, path string, edit func(data map[string]any)) tamper {
	return tamper{match: route(method, path), response: func(_ *http.Request, status int, _ http.Header, body []byte) (int, []byte) {
		if status/100 != 2 {
			return status, body
		}
		var env map[string]any
		if json.Unmarshal(body, &env) != nil {
			return status, body
		}
		data, ok := env["data"].(map[string]any)
		if !ok {
			return status, body
		}
		edit(data)
		out, err := json.Marshal(env)
		if err != nil {
			return status, body
		}
		return status, out
	}}
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

// dropFamily removes a metric family's lines from an exposition.
func dropFamily(name string) func(*http.Request, int, http.Header, []byte) (int, []byte) {
	return func(_ *http.Request, status int, _ http.Header, body []byte) (int, []byte) {
		var out []string
		for _, line := range strings.Split(string(body), "\n") {
			fields := strings.Fields(strings.TrimPrefix(strings.TrimPrefix(line, "# HELP "), "# TYPE "))
			if len(fields) > 0 && (fields[0] == name || strings.HasPrefix(fields[0], name+"{")) {
				continue
			}
			out = append(out, line)
		}
		return status, []byte(strings.Join(out, "\n"))
	}
}

// declareProduction makes /health declare environment "production".
var declareProduction = tamper{match: route("GET", "/health"), response: func(_ *http.Request, status int, _ http.Header, body []byte) (int, []byte) {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return status, body
	}
	m["environment"] = "production"
	out, err := json.Marshal(m)
	if err != nil {
		return status, body
	}
	return status, out
}}

// enforceKey answers invoke as production Genesis does: 401 without a key,
// 403 with a wrong one; the right key is forwarded.
var enforceKey = tamper{match: route("POST", "/a2a/invoke"), serve: func(w http.ResponseWriter, r *http.Request, s *harness.Stack) bool {
	key := r.Header.Get("X-API-Key")
	status, detail := 0, ""
	switch {
	case key == "":
		status, detail = http.StatusUnauthorized, "Missing API key"
	case key != s.Config().APIKey.Value():
		status, detail = http.StatusForbidden, "Invalid API key"
	default:
		return false
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"detail":%q}`, detail)
	return true
}}
