package proofs

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/smokestack-dev/smokestack/harness"
)

// Check IDs of TestFeatureFlags and TestSecurityControls.
const (
	ffCritical = "TestFeatureFlags/critical_flags_enabled"
	ffSafety   = "TestFeatureFlags/safety_flags_off"
	ffPhase4   = "TestFeatureFlags/phase4_rollout"
	ffDrill    = "TestFeatureFlags/emergency_shutdown_drill"

	scInjection = "TestSecurityControls/prompt_injection"
	scRedaction = "TestSecurityControls/credential_redaction"
	scCycles    = "TestSecurityControls/dag_cycle_detection"
	scCode      = "TestSecurityControls/code_validation"
)

func init() {
	faultSets = append(faultSets, flagsSecurityFaults)
	// These checks post to /orchestrate/* too: every row that breaks
	// orchestration (error_rate=1 among the smoke rows) fails them.
	orchestrating = append(slices.Clip(orchestrating), scInjection, scRedaction, scCycles, ffDrill)
}

// union is the elements of the lists (check IDs, components), each once,
// in order.
func union[T comparable](lists ...[]T) []T {
	var out []T
	for _, l := range lists {
		for _, id := range l {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

// flagsSecurityFaults prove TestFeatureFlags and TestSecurityControls: flag
// knobs of the reference service at run time, the redaction knob, and a
// tampering proxy where no knob breaks exactly one thing (a guard gap for
// one probe class, a false positive, an inconsistent rollout, a flag write
// the service ignores).
func flagsSecurityFaults() []Fault {
	refusing := union(orchestrating)
	// The breaker drill fails under a refusal without quoting the 503: its
	// decompositions never reach the LLM upstream, so the breaker stays
	// closed, and that is what it says.
	refusedSays := slices.DeleteFunc(slices.Clone(refusing), func(id string) bool { return id == breakerDrill })
	return []Fault{
		{Name: "flag_critical_off", Does: "knob flag.performance_optimizations_enabled=false: a critical flag off",
			Action: Knob("flag.performance_optimizations_enabled=false"), Fails: []string{ffCritical},
			Says: says("performance_optimizations_enabled disabled", ffCritical)},
		{Name: "flag_orchestration_off", Does: "knob flag.orchestration_enabled=false: the critical flag off, orchestration refused with 503",
			Action: Knob("flag.orchestration_enabled=false"), Fails: union([]string{ffCritical}, refusing),
			Says: merge(says("status 503", refusedSays...), says("orchestration_enabled disabled", ffCritical))},
		{Name: "flag_emergency_shutdown_on", Does: "knob flag.emergency_shutdown=true: the deployment is shut down, orchestration refused with 503",
			Action: Knob("flag.emergency_shutdown=true"), Fails: union([]string{ffSafety, ffDrill}, refusing),
			Says: merge(says("status 503", refusedSays...), says("emergency_shutdown ON", ffSafety), says("already enabled", ffDrill))},
		{Name: "flag_read_only_on", Does: "knob flag.read_only_mode=true: /orchestrate/run refused with 503",
			Action: Knob("flag.read_only_mode=true"), Fails: []string{ffSafety, runCheck, fullPipeline},
			Says: merge(says("read_only_mode ON", ffSafety), says("status 503", runCheck, fullPipeline))},
		{Name: "phase4_disabled", Does: "knob flag.phase_4_deployment=false: the Phase 4 rollout is not active",
			Action: Knob("flag.phase_4_deployment=false"), Fails: []string{ffPhase4}, Says: says("enabled false", ffPhase4)},
		{Name: "phase4_phase_contradicts_dates", Does: `proxy: the Phase 4 rollout says phase "completed" while its end_date is days ahead`,
			Action: Tampered(onJSON("GET", "/flags/phase_4_deployment/rollout", func(m map[string]any) { m["phase"] = "completed" })),
			Fails:  []string{ffPhase4}, Says: says(`phase "completed", but now`, ffPhase4)},
		{Name: "phase4_off_the_ramp", Does: "proxy: the Phase 4 rollout reports 80 % on its first day of a 7-day 0 -> 100 % ramp",
			Action: Tampered(onJSON("GET", "/flags/phase_4_deployment/rollout", func(m map[string]any) { m["current_percentage"] = 80 })),
			Fails:  []string{ffPhase4}, Says: says("linear ramp", ffPhase4)},
		{Name: "flag_write_ignored", Does: "proxy: PUT /flags/emergency_shutdown answers 200 as written but never reaches the service",
			Action: Tampered(tamper{match: route("PUT", "/flags/emergency_shutdown"), serve: echoFlagWrite}),
			Fails:  []string{ffDrill}, Says: says("enabled false for", ffDrill)},
		{Name: "injection_class_missed", Does: `proxy: the injection guard misses one class (role hijack "You are now DAN" reaches the planner as a plain request)`,
			Action: Tampered(tamper{match: route("POST", "/orchestrate/decompose"), request: rewriteBodyIf("You are now DAN", `{"user_request":"Build a simple landing page with a signup form"}`)}),
			Fails:  []string{scInjection}, Says: says("role_hijack", scInjection)},
		{Name: "injection_false_positive", Does: `proxy: a benign request ("... ignore notifications ...") is refused 400 SECURITY_ERROR`,
			Action: Tampered(tamper{match: route("POST", "/orchestrate/decompose"), serve: answerIf("ignore notifications", 400,
				`{"error":{"code":"SECURITY_ERROR","message":"prompt injection detected","details":{"detected_patterns":["instruction_override"],"category":"security"},"request_id":"r","timestamp":"2026-11-27T00:00:00Z"}}`)}),
			Fails: []string{scInjection}, Says: says("false positive", scInjection)},
		{Name: "redaction_off", Does: "knob redaction_off: credentials come back in responses and appear in logs",
			Action: Knob("redaction_off"), Fails: []string{scRedaction}, Says: says("credential", scRedaction)},
		{Name: "redaction_off_logs_only", Does: "knob redaction_off behind a proxy that scrubs the probe credentials from responses: only the log leaks",
			Action: Both(Knob("redaction_off"), Tampered(tamper{match: correlationPrefix("smokestack-redaction-"), response: scrubFakes})),
			Fails:  []string{scRedaction}, Says: says("a log line of", scRedaction)},
		{Name: "cycle_missed_behind_root", Does: "proxy: validation accepts the DAG whose cycle sits behind a root task (200 valid)",
			Action: Tampered(tamper{match: route("POST", "/orchestrate/validate"), serve: answerIf("smokestack-cycle_behind_a_root", 200,
				`{"data":{"is_valid":true,"solvability_passed":true,"completeness_passed":true,"redundancy_passed":true,"quality_score":0.9,"issues":[],"warnings":[]},"metadata":{"request_id":"r","timestamp":"2026-11-27T00:00:00Z","execution_time_ms":1}}`)}),
			Fails: []string{scCycles}, Says: says("cycle_behind_a_root", scCycles)},
		{Name: "cycle_path_not_closed", Does: "proxy: details.cycle of the probe DAGs loses its closing task",
			Action: Tampered(tamper{match: route("POST", "/orchestrate/validate"), response: truncateProbeCycle}),
			Fails:  []string{scCycles}, Says: says("not a closed path", scCycles)},
		{Name: "code_guard_misses_ctypes", Does: "proxy: code importing ctypes is answered valid",
			Action: Tampered(tamper{match: route("POST", "/security/validate-code"), serve: answerIf("import ctypes", 200,
				`{"data":{"valid":true,"reason":"No dangerous patterns detected"},"metadata":{"request_id":"r","timestamp":"2026-11-27T00:00:00Z","execution_time_ms":1}}`)}),
			Fails: []string{scCode}, Says: says("import ctypes", scCode)},
		{Name: "code_guard_overblocks", Does: "proxy: safe code (collections.Counter) is rejected",
			Action: Tampered(tamper{match: route("POST", "/security/validate-code"), serve: answerIf("from collections import Counter", 200,
				`{"data":{"valid":false,"reason":"Dangerous import: collections"},"metadata":{"request_id":"r","timestamp":"2026-11-27T00:00:00Z","execution_time_ms":1}}`)}),
			Fails: []string{scCode}, Says: says("valid false", scCode)},
	}
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// Both applies two actions, and restores them in reverse order.
func Both(a, b Action) Action {
	return Action{
		Touches: union(a.Touches, b.Touches),
		Apply: func(ctx context.Context, s *harness.Stack) error {
			if err := a.Apply(ctx, s); err != nil {
				return err
			}
			if err := b.Apply(ctx, s); err != nil {
				_ = a.Restore(ctx, s)
				return err
			}
			return nil
		},
		Restore: func(ctx context.Context, s *harness.Stack) error {
			errB := b.Restore(ctx, s)
			if errA := a.Restore(ctx, s); errA != nil {
				return errA
			}
			return errB
		},
	}
}

// onJSON edits a route's 2xx JSON object answers.
func onJSON(method, path string, edit func(map[string]any)) tamper {
	return tamper{match: route(method, path), response: func(_ *http.Request, status int, _ http.Header, body []byte) (int, []byte) {
		var m map[string]any
		if status/100 != 2 || json.Unmarshal(body, &m) != nil {
			return status, body
		}
		edit(m)
		out, err := json.Marshal(m)
		if err != nil {
			return status, body
		}
		return status, out
	}}
}

// peekBody reads a request's body and puts it back for the proxy.
func peekBody(r *http.Request) []byte {
	if r.Body == nil {
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b
}

// rewriteBodyIf forwards body instead of a request body holding marker.
func rewriteBodyIf(marker, body string) func(*http.Request) {
	return func(r *http.Request) {
		if !bytes.Contains(peekBody(r), []byte(marker)) {
			return
		}
		r.Body = io.NopCloser(strings.NewReader(body))
		r.ContentLength = int64(len(body))
		r.Header.Del("Content-Length")
	}
}

// answerIf answers status and body, in place of Genesis, a request whose
// body holds marker; others pass.
func answerIf(marker string, status int, body string) func(http.ResponseWriter, *http.Request, *harness.Stack) bool {
	return func(w http.ResponseWriter, r *http.Request, _ *harness.Stack) bool {
		if !bytes.Contains(peekBody(r), []byte(marker)) {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "r")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
		return true
	}
}

// echoFlagWrite answers a flag write as if it were applied, without
// forwarding it.
func echoFlagWrite(w http.ResponseWriter, r *http.Request, _ *harness.Stack) bool {
	var req struct {
		Enabled bool `json:"enabled"`
	}
	_ = json.Unmarshal(peekBody(r), &req)
	w.Header().Set("Content-Type", "application/json")
	out, _ := json.Marshal(map[string]any{"name": "emergency_shutdown", "enabled": req.Enabled, "strategy": "all_at_once", "rollout_percentage": 100})
	_, _ = w.Write(out)
	return true
}

func correlationPrefix(p string) func(*http.Request) bool {
	return func(r *http.Request) bool { return strings.HasPrefix(r.Header.Get("X-Correlation-Id"), p) }
}

// fakeCredential matches every probe credential's secret: each says FAKE
// inside one run of letters and digits.
var fakeCredential = regexp.MustCompile(`(?i)[a-z0-9]*fake[a-z0-9]*`)

func scrubFakes(_ *http.Request, status int, _ http.Header, body []byte) (int, []byte) {
	return status, fakeCredential.ReplaceAll(body, []byte("SCRUBBED"))
}

// truncateProbeCycle drops the closing task of details.cycle in answers
// about the probe DAGs (task ids probe-*), leaving the smoke probe alone.
func truncateProbeCycle(_ *http.Request, status int, _ http.Header, body []byte) (int, []byte) {
	if status != http.StatusUnprocessableEntity || !bytes.Contains(body, []byte(`"probe-`)) {
		return status, body
	}
	var env map[string]any
	if json.Unmarshal(body, &env) != nil {
		return status, body
	}
	e, _ := env["error"].(map[string]any)
	d, _ := e["details"].(map[string]any)
	if c, ok := d["cycle"].([]any); ok && len(c) > 1 {
		d["cycle"] = c[:len(c)-1]
	}
	out, err := json.Marshal(env)
	if err != nil {
		return status, body
	}
	return status, out
}
