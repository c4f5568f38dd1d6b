package proofs

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/smokestack-dev/smokestack/harness"
)

// flagFaults prove TestFeatureFlags: flag knobs of the reference service
// at run time, and a tampering proxy where no knob breaks exactly one
// thing (an inconsistent rollout, a flag write the service ignores).
func flagFaults() []Fault {
	// The breaker drill fails under a refusal without quoting the 503: its
	// decompositions never reach the LLM upstream, so the breaker stays
	// closed, and that is what it says.
	refusedSays := slices.DeleteFunc(slices.Clone(orchestrating), func(id string) bool { return id == breakerDrill })
	return []Fault{
		{Name: "flag_critical_off", Does: "knob flag.performance_optimizations_enabled=false: a critical flag off",
			Action: Knob("flag.performance_optimizations_enabled=false"), Fails: []string{ffCritical},
			Says: says("performance_optimizations_enabled disabled", ffCritical)},
		// Orchestration refused with 503 also logs ERROR lines for the
		// suite's ordinary (not drill) requests.
		{Name: "flag_orchestration_off", Does: "knob flag.orchestration_enabled=false: the critical flag off, orchestration refused with 503",
			Action: Knob("flag.orchestration_enabled=false"), Fails: union([]string{ffCritical}, orchestrating, []string{logErrors}),
			Says: merge(says("status 503", refusedSays...), says("orchestration_enabled disabled", ffCritical),
				says("orchestration_enabled is off", breakerDrill), says("status=503", logErrors))},
		{Name: "flag_emergency_shutdown_on", Does: "knob flag.emergency_shutdown=true: the deployment is shut down, orchestration refused with 503",
			Action: Knob("flag.emergency_shutdown=true"), Fails: union([]string{ffSafety, ffDrill}, orchestrating, []string{logErrors}),
			Says: merge(says("status 503", refusedSays...), says("emergency_shutdown ON", ffSafety), says("already enabled", ffDrill),
				says("emergency_shutdown is enabled", breakerDrill), says("status=503", logErrors))},
		// read_only_mode refuses /orchestrate/run, the request
		// traces_received traces.
		{Name: "flag_read_only_on", Does: "knob flag.read_only_mode=true: /orchestrate/run refused with 503",
			Action: Knob("flag.read_only_mode=true"), Fails: []string{ffSafety, runCheck, fullPipeline, tracesReceived},
			Says: merge(says("read_only_mode ON", ffSafety), says("status 503", runCheck, fullPipeline, tracesReceived))},
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
