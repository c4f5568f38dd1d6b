package proofs

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/smokestack-dev/smokestack/harness"
)

// invokeFaults prove TestAgentInvoke: a tampering proxy for the shape of
// invoke's answers and for production auth on a staging stack, and the
// auth knob.
func invokeFaults() []Fault {
	return []Fault{
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
			Action: Knob("invoke_auth_off"), Fails: []string{invoke403, a2aAuthKeyed},
			Says: merge(says("status", invoke403), says("reached tool lookup (404)", a2aAuthKeyed))},
		{Name: "production_auth_off", Does: "proxy: declares production in /health, and the service's auth is off (knob invoke_auth_off)",
			Action: Combined(Knob("invoke_auth_off"), Tampered(declareProduction)),
			Fails:  []string{invoke401, invoke403, a2aAuthKeyed},
			Says:   merge(says("status 200", invoke401, invoke403), says("reached tool lookup (404)", a2aAuthKeyed))},
	}
}

// invokeDefectFaults prove the A2A contract's invoke checks with the
// reference service's knobs for the real service's defects.
func invokeDefectFaults() []Fault {
	return []Fault{
		{Name: "a2a_auth_production_only", Does: "knob auth_production_only: a key-less invoke passes outside GENESIS_ENV=production (the stack runs staging) although a key is configured",
			Action: Knob("auth_production_only"), Fails: []string{a2aAuthKeyed}, Says: says("404", a2aAuthKeyed)},
		{Name: "a2a_error_traces", Does: "knob error_traces: A2A error bodies carry a Python traceback with /app/a2a_service.py",
			Action: Knob("error_traces"), Fails: []string{a2aCleanErrors}, Says: says("Traceback", a2aCleanErrors)},
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
