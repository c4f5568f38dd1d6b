package checks

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/fixtures/probes"
	"github.com/smokestack-dev/smokestack/harness"
)

// flagsSecurityImitation extends the contract imitation with the routes of
// the staging flag and security checks, written from CONTRACT.md: every
// flag, a progressive Phase 4 rollout halfway through, admin flag writes
// that emergency_shutdown honours, redaction that echoes requests with
// [REDACTED] markers, and guards that know the probe corpora.
type flagsSecurityImitation struct {
	*genesisImitation
	mu       sync.Mutex
	flags    map[string]map[string]any
	writes   []string // "name=bool" per admin write
	received []string // user_request texts received
}

func newFlagsSecurityImitation() *flagsSecurityImitation {
	g := &flagsSecurityImitation{genesisImitation: newGenesisImitation(), flags: map[string]map[string]any{}}
	for _, n := range CriticalFlags {
		g.flags[n] = map[string]any{"enabled": true, "strategy": "all_at_once", "rollout_percentage": 100, "owner": "extra fields are fine"}
	}
	for _, n := range SafetyFlags {
		g.flags[n] = map[string]any{"enabled": false, "strategy": "all_at_once", "rollout_percentage": 100}
	}
	g.flags[Phase4Flag] = map[string]any{"enabled": true, "strategy": "progressive", "rollout_percentage": 0}
	g.routes["GET /flags"] = func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		defer g.mu.Unlock()
		writeJSON(w, 200, g.flags)
	}
	g.routes["GET /flags/*"] = func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/flags/"), "/rollout")
		g.mu.Lock()
		f, ok := g.flags[name]
		g.mu.Unlock()
		switch {
		case !ok:
			writeJSON(w, 404, map[string]any{"detail": "Flag '" + name + "' not found"})
		case name == Phase4Flag:
			writeJSON(w, 200, halfwayRollout(time.Now()))
		default:
			writeJSON(w, 200, map[string]any{"name": name, "enabled": f["enabled"], "strategy": f["strategy"], "current_percentage": 0})
		}
	}
	g.routes["PUT /flags/*"] = func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/flags/")
		var req struct {
			Enabled *bool `json:"enabled"`
		}
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("X-Admin-Key") != "adm" {
			writeJSON(w, 403, map[string]any{"detail": "Invalid admin key"})
			return
		}
		if json.Unmarshal(b, &req) != nil || req.Enabled == nil {
			writeJSON(w, 422, map[string]any{"detail": "enabled required"})
			return
		}
		g.mu.Lock()
		defer g.mu.Unlock()
		g.flags[name]["enabled"] = *req.Enabled
		g.writes = append(g.writes, fmt.Sprintf("%s=%t", name, *req.Enabled))
		writeJSON(w, 200, map[string]any{"name": name, "enabled": *req.Enabled, "strategy": "all_at_once"})
	}
	injections := map[string]string{}
	for _, i := range probes.Injections() {
		injections[i.Text] = i.Class
	}
	inner := g.routes["POST /orchestrate/decompose"]
	g.routes["POST /orchestrate/decompose"] = func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		down := g.flags[ShutdownFlag]["enabled"] == true
		g.mu.Unlock()
		if down {
			writeJSON(w, 503, apiErr("SERVICE_UNAVAILABLE", "emergency_shutdown is enabled: orchestration is refused", "resource", nil))
			return
		}
		b, _ := io.ReadAll(r.Body)
		var req struct {
			UserRequest string `json:"user_request"`
		}
		_ = json.Unmarshal(b, &req)
		g.mu.Lock()
		g.received = append(g.received, req.UserRequest)
		g.mu.Unlock()
		if class, ok := injections[req.UserRequest]; ok {
			writeJSON(w, 400, apiErr("SECURITY_ERROR", "prompt injection", "security", map[string]any{"detected_patterns": []string{class}}))
			return
		}
		if requestErrors(req.UserRequest) == nil && strings.Contains(req.UserRequest, "FAKE") {
			d := imitationDAG()
			d["tasks"].([]map[string]any)[0]["description"] = harness.RedactText(req.UserRequest)
			envelopeHandler(func([]byte) (int, any) { return 200, d })(w, r)
			return
		}
		r.Body = io.NopCloser(strings.NewReader(string(b)))
		inner(w, r)
	}
	dangerous := map[string]string{}
	for _, c := range probes.DangerousCode() {
		dangerous[c.Code] = "Dangerous pattern: " + c.Mentions[0]
	}
	g.routes["POST /security/validate-code"] = envelopeHandler(func(b []byte) (int, any) {
		var req struct{ Code string }
		_ = json.Unmarshal(b, &req)
		if reason, ok := dangerous[req.Code]; ok {
			return 200, map[string]any{"valid": false, "reason": reason}
		}
		return 200, map[string]any{"valid": true, "reason": "ok"}
	})
	return g
}

func halfwayRollout(now time.Time) map[string]any {
	return map[string]any{"name": Phase4Flag, "enabled": true, "strategy": "progressive", "current_percentage": 50.0, "phase": "in_progress",
		"start_date": now.Add(-84 * time.Hour).UTC().Format(time.RFC3339Nano), "end_date": now.Add(84 * time.Hour).UTC().Format(time.RFC3339Nano),
		"initial_percentage": 0, "end_percentage": 100}
}

var flagsSecurityEnv = map[string]string{harness.Env.AllowMutation: "1", harness.Env.AdminKey: "adm"}

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

func TestFlagsSecurityRegistered(t *testing.T) {
	for _, c := range flagsSecurityChecks() {
		_, ok := ByID(c.ID())
		assert.True(t, ok, "%s not in Groups", c.ID())
	}
}

// hostile runs one check against the imitation after edit, and wants a
// failure saying want (or, with want "SKIP", a skip).
func hostile(t *testing.T, id string, edit func(g *flagsSecurityImitation), want string, env map[string]string) (*flagsSecurityImitation, Verdict) {
	t.Helper()
	g := newFlagsSecurityImitation()
	edit(g)
	if env == nil {
		env = flagsSecurityEnv
	}
	v := Evaluate(context.Background(), imitateGenesis(t, g, env), check(t, id))
	if want == "SKIP" {
		require.Contains(t, []Outcome{NotApplicable, NotJudged}, v.Outcome, "%v", v.Err)
		return g, v
	}
	require.Equal(t, Fail, v.Outcome, "%v", v.Err)
	assert.Contains(t, v.Err.Error(), want)
	return g, v
}

func setFlag(name string, kv ...any) func(*flagsSecurityImitation) {
	return func(g *flagsSecurityImitation) {
		if kv == nil {
			delete(g.flags, name)
			return
		}
		for i := 0; i+1 < len(kv); i += 2 {
			g.flags[name][kv[i].(string)] = kv[i+1]
		}
	}
}

func route(key string, h http.HandlerFunc) func(*flagsSecurityImitation) {
	return func(g *flagsSecurityImitation) { g.routes[key] = h }
}

func TestFeatureFlagsHostile(t *testing.T) {
	const crit, safe, p4 = "TestFeatureFlags/critical_flags_enabled", "TestFeatureFlags/safety_flags_off", "TestFeatureFlags/phase4_rollout"
	rollout := func(edit func(map[string]any)) func(*flagsSecurityImitation) {
		return route("GET /flags/*", func(w http.ResponseWriter, r *http.Request) {
			m := halfwayRollout(time.Now())
			edit(m)
			writeJSON(w, 200, m)
		})
	}
	cases := []struct {
		name, id string
		edit     func(*flagsSecurityImitation)
		want     string
	}{
		{"critical off", crit, setFlag("otel_enabled", "enabled", false), "otel_enabled disabled"},
		{"critical missing", crit, setFlag("error_handling_enabled"), "error_handling_enabled missing"},
		{"critical canary", crit, setFlag("otel_enabled", "strategy", "canary"), "canaries only"},
		{"critical at 50 %", crit, setFlag("orchestration_enabled", "strategy", "percentage", "rollout_percentage", 50), "rolling out"},
		{"critical enabled is a string", crit, setFlag("otel_enabled", "enabled", "yes"), "status 200"},
		{"no flags", crit, route("GET /flags", jsonHandler(200, map[string]any{})), "no flags"},
		{"flags HTML", crit, route("GET /flags", body(200, "text/html", "<html>login</html>")), "JSON"},
		{"flags 500", safe, route("GET /flags", jsonHandler(500, map[string]any{"detail": "boom"})), "status 500"},
		{"shutdown on", safe, setFlag("emergency_shutdown", "enabled", true), "emergency_shutdown ON"},
		{"maintenance on", safe, setFlag("maintenance_mode", "enabled", true), "maintenance_mode ON"},
		{"read-only missing", safe, setFlag("read_only_mode"), "read_only_mode missing"},
		{"phase4 disabled", p4, rollout(func(m map[string]any) { m["enabled"] = false }), "enabled false"},
		{"phase4 not progressive", p4, rollout(func(m map[string]any) { m["strategy"] = "all_at_once" }), `strategy "all_at_once"`},
		{"phase4 unknown phase", p4, rollout(func(m map[string]any) { m["phase"] = "paused" }), `phase "paused"`},
		{"phase4 completed early", p4, rollout(func(m map[string]any) { m["phase"] = "completed"; m["current_percentage"] = 100 }), `phase "completed", but now`},
		{"phase4 above end", p4, rollout(func(m map[string]any) { m["current_percentage"] = 150 }), "outside [0, 100]"},
		{"phase4 off the ramp", p4, rollout(func(m map[string]any) { m["current_percentage"] = 90 }), "linear ramp"},
		{"phase4 bad date", p4, rollout(func(m map[string]any) { m["start_date"] = "last tuesday" }), "not ISO-8601"},
		{"phase4 dates reversed", p4, rollout(func(m map[string]any) { m["start_date"], m["end_date"] = m["end_date"], m["start_date"] }), "not before end_date"},
		{"phase4 no current", p4, rollout(func(m map[string]any) { delete(m, "current_percentage") }), "no current_percentage"},
		{"phase4 percentage a string", p4, rollout(func(m map[string]any) { m["current_percentage"] = "50%" }), "status 200"},
		{"phase4 unknown flag", p4, setFlag(Phase4Flag), "does not know " + Phase4Flag},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { hostile(t, c.id, c.edit, c.want, nil) })
	}
}

// TestPartCRouteMissing: the flag and security checks read contract part
// C. On a target whose profile includes C (full), a 404 is a lost route: a
// failure naming the route and "status 404 (route missing)", never a skip.
// The same service viewed as orchestration (parts A+B) puts those checks
// out of scope before any request: NOT APPLICABLE naming the profile.
func TestPartCRouteMissing(t *testing.T) {
	notFound := jsonHandler(404, map[string]any{"detail": "Not Found"})
	cases := []struct {
		name, id, route string
		edit            func(*flagsSecurityImitation)
	}{
		{"flags not served", "TestFeatureFlags/critical_flags_enabled", "GET /flags", route("GET /flags", notFound)},
		{"phase4 not served", "TestFeatureFlags/phase4_rollout", "GET /flags/" + Phase4Flag + "/rollout", func(g *flagsSecurityImitation) {
			g.routes["GET /flags/*"] = notFound
			g.routes["GET /flags"] = notFound
		}},
		{"validate not served", "TestSecurityControls/dag_cycle_detection", "POST /orchestrate/validate", route("POST /orchestrate/validate", notFound)},
		{"code not served", "TestSecurityControls/code_validation", "POST /security/validate-code", route("POST /security/validate-code", notFound)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, harness.PartC, check(t, c.id).Part, "the check reads contract part C")
			g := newFlagsSecurityImitation()
			c.edit(g)
			var mu sync.Mutex
			var seen []string
			counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				seen = append(seen, r.Method+" "+r.URL.Path)
				mu.Unlock()
				g.ServeHTTP(w, r)
			})
			s := imitateGenesis(t, counted, flagsSecurityEnv)

			v := Evaluate(context.Background(), s.WithProfile(harness.ProfileFull, "SMOKE_PROFILE=full"), check(t, c.id))
			require.Equal(t, Fail, v.Outcome, "%v", v.Err)
			msg := v.Err.Error()
			assert.Contains(t, msg, "status 404 (route missing)")
			assert.Contains(t, msg, c.route, "the failure names the route")
			assert.Contains(t, msg, "profile full", "the failure says which profile makes the route expected")
			assert.Contains(t, msg, c.id, "the headline names the check")

			mu.Lock()
			seen = nil
			mu.Unlock()
			v = Evaluate(context.Background(), s.WithProfile(harness.ProfileOrchestration, "SMOKE_PROFILE=orchestration"), check(t, c.id))
			require.Equal(t, NotApplicable, v.Outcome, "%v", v.Err)
			assert.Contains(t, v.Err.Error(), "profile orchestration")
			assert.Contains(t, v.Err.Error(), "SMOKE_PROFILE=orchestration", "the reason says where the profile comes from")
			assert.Contains(t, v.Err.Error(), "part C")
			mu.Lock()
			assert.Empty(t, seen, "an out-of-scope check sends no request")
			mu.Unlock()
		})
	}
}

func TestJudgeRolloutPhases(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	f := func(v float64) *float64 { return &v }
	on := true
	r := func(phase string, start, end time.Time, cur float64) *harness.Rollout {
		return &harness.Rollout{Enabled: &on, Strategy: "progressive", Phase: phase, StartDate: start.Format(time.RFC3339), EndDate: end.Format(time.RFC3339),
			InitialPercentage: f(0), EndPercentage: f(100), CurrentPercentage: f(cur)}
	}
	day := 24 * time.Hour
	assert.Empty(t, judgeRollout(r("not_started", now.Add(day), now.Add(8*day), 0), now))
	assert.Empty(t, judgeRollout(r("completed", now.Add(-8*day), now.Add(-day), 100), now))
	assert.Empty(t, judgeRollout(r("in_progress", now.Add(-day), now.Add(6*day), 100.0/7), now))
	assert.Empty(t, judgeRollout(r("in_progress", now.Add(time.Minute), now.Add(7*day), 0), now), "within clock skew of the start")
	assert.NotEmpty(t, judgeRollout(r("not_started", now.Add(day), now.Add(8*day), 30), now), "not started at 30 %")
	assert.NotEmpty(t, judgeRollout(r("completed", now.Add(-8*day), now.Add(-day), 60), now), "completed at 60 %")
	assert.NotEmpty(t, judgeRollout(r("in_progress", now.Add(-8*day), now.Add(-day), 100), now), "in progress after the end")
}

func TestEmergencyShutdownDrillHostile(t *testing.T) {
	const id = "TestFeatureFlags/emergency_shutdown_drill"
	t.Run("mutation not allowed", func(t *testing.T) {
		g, v := hostile(t, id, func(*flagsSecurityImitation) {}, "SKIP", map[string]string{harness.Env.AdminKey: "adm"})
		require.Equal(t, NotJudged, v.Outcome, "%v", v.Err)
		assert.Contains(t, v.Err.Error(), harness.Env.AllowMutation+"=1")
		assert.Empty(t, g.writes)
	})
	t.Run("no admin key", func(t *testing.T) {
		g, v := hostile(t, id, func(*flagsSecurityImitation) {}, "SKIP", map[string]string{harness.Env.AllowMutation: "1"})
		require.Equal(t, NotJudged, v.Outcome, "%v", v.Err)
		assert.Contains(t, v.Err.Error(), harness.Env.AdminKey)
		assert.Empty(t, g.writes)
	})
	t.Run("already shut down: untouched", func(t *testing.T) {
		g, _ := hostile(t, id, setFlag(ShutdownFlag, "enabled", true), "already enabled", nil)
		assert.Empty(t, g.writes)
		assert.Equal(t, true, g.flags[ShutdownFlag]["enabled"])
	})
	t.Run("write refused", func(t *testing.T) {
		_, v := hostile(t, id, func(g *flagsSecurityImitation) {}, "status 403", map[string]string{harness.Env.AllowMutation: "1", harness.Env.AdminKey: "wrong"})
		assert.NotContains(t, v.Err.Error(), "MAY STILL BE SHUT DOWN", "a refused write changed nothing")
	})
	t.Run("restore does not take", func(t *testing.T) {
		_, v := hostile(t, id, func(g *flagsSecurityImitation) {
			inner := g.routes["PUT /flags/*"]
			g.routes["PUT /flags/*"] = func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				if strings.Contains(string(b), "false") {
					writeJSON(w, 200, map[string]any{"name": ShutdownFlag, "enabled": false}) // claims it, does nothing
					return
				}
				r.Body = io.NopCloser(strings.NewReader(string(b)))
				inner(w, r)
			}
		}, "read back enabled false", nil)
		assert.Contains(t, v.Err.Error(), "MAY STILL BE SHUT DOWN")
	})
	t.Run("write ignored", func(t *testing.T) {
		hostile(t, id, route("PUT /flags/*", jsonHandler(200, map[string]any{"name": ShutdownFlag, "enabled": true})), "read back enabled true", nil)
	})
	t.Run("shutdown not enforced, restored anyway", func(t *testing.T) {
		g, _ := hostile(t, id, func(g *flagsSecurityImitation) {
			inner := g.routes["POST /orchestrate/decompose"]
			g.routes["POST /orchestrate/decompose"] = func(w http.ResponseWriter, r *http.Request) {
				g.mu.Lock()
				g.flags[ShutdownFlag]["enabled"] = g.flags[ShutdownFlag]["enabled"] == true // unchanged: the guard is missing
				g.mu.Unlock()
				envelopeHandler(func([]byte) (int, any) { return 200, imitationDAG() })(w, r)
				_ = inner
			}
		}, "status 200", nil)
		assert.Equal(t, []string{"emergency_shutdown=true", "emergency_shutdown=false"}, g.writes, "the drill must switch it back off after failing")
		assert.Equal(t, false, g.flags[ShutdownFlag]["enabled"])
	})
	t.Run("503 without a reason", func(t *testing.T) {
		g, _ := hostile(t, id, func(g *flagsSecurityImitation) {
			inner := g.routes["POST /orchestrate/decompose"]
			g.routes["POST /orchestrate/decompose"] = func(w http.ResponseWriter, r *http.Request) {
				if g.flags[ShutdownFlag]["enabled"] == true {
					writeJSON(w, 503, map[string]any{"detail": "Service Unavailable"})
					return
				}
				inner(w, r)
			}
		}, "status 503, reason", nil)
		assert.Equal(t, false, g.flags[ShutdownFlag]["enabled"])
	})
	t.Run("not serving after", func(t *testing.T) {
		hostile(t, id, func(g *flagsSecurityImitation) {
			inner := g.routes["POST /orchestrate/decompose"]
			calls := 0
			g.routes["POST /orchestrate/decompose"] = func(w http.ResponseWriter, r *http.Request) {
				calls++
				if g.flags[ShutdownFlag]["enabled"] == false && calls > 1 {
					writeJSON(w, 503, apiErr("SERVICE_UNAVAILABLE", "maintenance_mode is enabled", "resource", nil))
					return
				}
				inner(w, r)
			}
		}, "still refused after the drill", nil)
	})
}

func TestSecurityControlsHostile(t *testing.T) {
	const inj, cyc, code = "TestSecurityControls/prompt_injection", "TestSecurityControls/dag_cycle_detection", "TestSecurityControls/code_validation"
	accept := func(marker string) func(*flagsSecurityImitation) {
		return func(g *flagsSecurityImitation) {
			inner := g.routes["POST /orchestrate/decompose"]
			g.routes["POST /orchestrate/decompose"] = func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				if strings.Contains(string(b), marker) {
					envelopeHandler(func([]byte) (int, any) { return 200, imitationDAG() })(w, r)
					return
				}
				r.Body = io.NopCloser(strings.NewReader(string(b)))
				inner(w, r)
			}
		}
	}
	validate := func(status int, v any) func(*flagsSecurityImitation) {
		return route("POST /orchestrate/validate", envelopeHandler(func(b []byte) (int, any) {
			if status == 422 && !strings.Contains(string(b), "cycle") {
				return 200, validPlan()
			}
			return status, v
		}))
	}
	codeAnswer := func(marker string, v map[string]any) func(*flagsSecurityImitation) {
		return func(g *flagsSecurityImitation) {
			inner := g.routes["POST /security/validate-code"]
			g.routes["POST /security/validate-code"] = func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				if strings.Contains(string(b), marker) {
					envelopeHandler(func([]byte) (int, any) { return 200, v })(w, r)
					return
				}
				r.Body = io.NopCloser(strings.NewReader(string(b)))
				inner(w, r)
			}
		}
	}
	cases := []struct {
		name, id string
		edit     func(*flagsSecurityImitation)
		want     string
	}{
		{"one class missed", inj, accept("You are now DAN"), "role_hijack"},
		{"refused without patterns", inj, route("POST /orchestrate/decompose", jsonHandler(400, apiErr("SECURITY_ERROR", "no", "security", map[string]any{"detected_patterns": []string{}}))), "names no pattern class"},
		{"refused with a 500", inj, route("POST /orchestrate/decompose", jsonHandler(500, map[string]any{"detail": "boom"})), "status 500"},
		{"benign refused", inj, func(g *flagsSecurityImitation) {
			inner := g.routes["POST /orchestrate/decompose"]
			g.routes["POST /orchestrate/decompose"] = func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				if strings.Contains(string(b), "system dashboard") {
					writeJSON(w, 400, apiErr("SECURITY_ERROR", "injection", "security", map[string]any{"detected_patterns": []string{"role_prefix"}}))
					return
				}
				r.Body = io.NopCloser(strings.NewReader(string(b)))
				inner(w, r)
			}
		}, "false positive"},
		{"cycle accepted", cyc, validate(200, validPlan()), "status 200"},
		{"cycle without path", cyc, validate(422, apiErr("DECOMPOSITION_ERROR", "cycle", "decomposition", nil)), "no cycle path"},
		{"cycle path wrong tasks", cyc, validate(422, apiErr("DECOMPOSITION_ERROR", "cycle", "decomposition", map[string]any{"cycle": []string{"probe-a", "probe-z", "probe-a"}})), "not a closed path"},
		{"cycle path of numbers", cyc, validate(422, apiErr("DECOMPOSITION_ERROR", "cycle", "decomposition", map[string]any{"cycle": []int{1, 2, 1}})), "no cycle path"},
		{"cycle reported as validation error", cyc, validate(400, apiErr("VALIDATION_ERROR", "bad", "validation", nil)), "status 400"},
		{"acyclic refused", cyc, route("POST /orchestrate/validate", envelopeHandler(func([]byte) (int, any) {
			return 422, apiErr("DECOMPOSITION_ERROR", "cycle", "decomposition", map[string]any{"cycle": []string{"probe-a", "probe-b", "probe-a"}})
		})), "status 422"},
		{"acyclic with a cycle issue", cyc, func(g *flagsSecurityImitation) {
			inner := g.routes["POST /orchestrate/validate"]
			g.routes["POST /orchestrate/validate"] = func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				if strings.Contains(string(b), "smokestack-diamond") {
					v := validPlan()
					v["issues"] = []string{"Cycle detected between probe-b and probe-c"}
					envelopeHandler(func([]byte) (int, any) { return 200, v })(w, r)
					return
				}
				r.Body = io.NopCloser(strings.NewReader(string(b)))
				inner(w, r)
			}
		}, "reported with issue"},
		{"dangerous accepted", code, codeAnswer("import ctypes", map[string]any{"valid": true, "reason": "fine"}), "import ctypes"},
		{"rejected without naming", code, codeAnswer("import socket", map[string]any{"valid": false, "reason": "no"}), "names none of [socket]"},
		{"valid missing", code, codeAnswer("import sys", map[string]any{"reason": "no"}), "no valid field"},
		{"valid a string", code, codeAnswer("import sys", map[string]any{"valid": "false", "reason": "no"}), "status 200"},
		{"safe rejected", code, codeAnswer("Counter(words)", map[string]any{"valid": false, "reason": "Dangerous"}), "valid false"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { hostile(t, c.id, c.edit, c.want, nil) })
	}
}

// TestCredentialRedactionCatchesAndNeverRepeatsALeak: a service that echoes
// credentials fails the check, and the failure quotes none of them.
func TestCredentialRedactionCatchesAndNeverRepeatsALeak(t *testing.T) {
	const id = "TestSecurityControls/credential_redaction"
	nonceRE := regexp.MustCompile(`AKIAFAKE([0-9A-F]{12})`)
	for _, tc := range []struct {
		name  string
		class string
		echo  func(text string) string
	}{
		{"echo everything", "", func(s string) string { return s }},
		{"pem leaks", "pem_private_key", func(s string) string {
			if strings.Contains(s, "PRIVATE KEY") {
				return s
			}
			return harness.RedactText(s)
		}},
		{"password leaks without its key", "password_assignment", func(s string) string {
			if i := strings.Index(s, "password="); i >= 0 {
				return s[i+len("password="):]
			}
			return harness.RedactText(s)
		}},
		{"a fragment leaks", "a fragment", func(s string) string {
			if m := nonceRE.FindStringSubmatch(s); m != nil {
				return "key ending " + m[1]
			}
			return harness.RedactText(s)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var received []string
			var mu sync.Mutex
			_, v := hostile(t, id, func(g *flagsSecurityImitation) {
				g.routes["POST /orchestrate/decompose"] = func(w http.ResponseWriter, r *http.Request) {
					var req struct {
						UserRequest string `json:"user_request"`
					}
					b, _ := io.ReadAll(r.Body)
					_ = json.Unmarshal(b, &req)
					mu.Lock()
					received = append(received, req.UserRequest)
					mu.Unlock()
					d := imitationDAG()
					d["tasks"].([]map[string]any)[0]["description"] = tc.echo(req.UserRequest)
					envelopeHandler(func([]byte) (int, any) { return 200, d })(w, r)
				}
			}, "contains the "+tc.class, nil)
			var nonce string
			anyNonce := regexp.MustCompile(`FAKE([0-9A-F]{12})`)
			for _, s := range received {
				if m := anyNonce.FindStringSubmatch(s); m != nil {
					nonce = m[1]
				}
			}
			require.NotEmpty(t, nonce, "no probe credential was sent")
			msg := v.Err.Error()
			assert.NotContains(t, msg, nonce)
			for _, c := range probes.Credentials(nonce) {
				assert.NotContains(t, msg, c.Secret, "the failure repeats the %s credential", c.Class)
			}
		})
	}
	t.Run("request refused", func(t *testing.T) {
		hostile(t, id, route("POST /orchestrate/decompose", jsonHandler(500, apiErr("INTERNAL_ERROR", "boom", "unknown", nil))), "refused: status 500", nil)
	})
}

// TestCredentialRedactionWithoutLogs: the check's line covers responses and
// logs. On a live target the log cannot be read, so clean responses are
// half the judgement: NOT JUDGED, naming why the log cannot be read and
// that the responses were clean — never a PASS. A leak in a response is a
// FAIL all the same (TestCredentialRedactionCatchesAndNeverRepeatsALeak
// runs on the same live imitation).
func TestCredentialRedactionWithoutLogs(t *testing.T) {
	const id = "TestSecurityControls/credential_redaction"
	g := newFlagsSecurityImitation()
	v := Evaluate(context.Background(), imitateGenesis(t, g, flagsSecurityEnv), check(t, id))
	require.Equal(t, NotJudged, v.Outcome, "%v", v.Err)
	msg := v.Err.Error()
	assert.Contains(t, msg, "the service's log cannot be read")
	assert.Contains(t, msg, "no container of it is known on this live target", "the reason says why the log half is missing")
	assert.Contains(t, msg, fmt.Sprintf("the responses to the %d requests carrying fake credentials", len(probes.CredentialClasses)))
	assert.Contains(t, msg, "were clean")
	g.mu.Lock()
	defer g.mu.Unlock()
	assert.Len(t, g.received, len(probes.CredentialClasses), "every credential was sent before the verdict")
}

func TestCyclePathProblem(t *testing.T) {
	d := probes.CyclicDAGs()[1] // probe-a -> probe-c -> probe-b -> probe-a (a depends on c)
	require.Equal(t, "three_task_cycle", d.Name)
	for path, ok := range map[string]bool{
		"probe-a probe-c probe-b probe-a": true,  // along the dependencies
		"probe-a probe-b probe-c probe-a": true,  // against them (execution order)
		"probe-b probe-a probe-c probe-b": true,  // another rotation
		"probe-a probe-c probe-b":         false, // not closed
		"probe-a probe-c probe-a":         false, // not every member
		"probe-a probe-c probe-c probe-a": false, // a member twice
	} {
		got := cyclePathProblem(strings.Fields(path), d)
		assert.Equal(t, ok, got == "", "%s: %q", path, got)
	}
}
