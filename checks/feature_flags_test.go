package checks

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/harness/harnesstest"
)

func TestFeatureFlagsHostile(t *testing.T) {
	const crit, safe, p4 = "TestFeatureFlags/critical_flags_enabled", "TestFeatureFlags/safety_flags_off", "TestFeatureFlags/phase4_rollout"
	rollout := func(edit func(map[string]any)) func(*flagsSecurityImitation) {
		return route("GET /flags/*", func(w http.ResponseWriter, r *http.Request) {
			m := halfwayRollout(time.Now())
			edit(m)
			harnesstest.WriteJSON(w, 200, m)
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
		{"no flags", crit, route("GET /flags", harnesstest.JSON(200, map[string]any{})), "no flags"},
		{"flags HTML", crit, route("GET /flags", body(200, "text/html", "<html>login</html>")), "JSON"},
		{"flags 500", safe, route("GET /flags", harnesstest.JSON(500, map[string]any{"detail": "boom"})), "status 500"},
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
			inner := g.route("PUT /flags/*")
			g.routes["PUT /flags/*"] = func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				if strings.Contains(string(b), "false") {
					harnesstest.WriteJSON(w, 200, map[string]any{"name": ShutdownFlag, "enabled": false}) // claims it, does nothing
					return
				}
				r.Body = io.NopCloser(strings.NewReader(string(b)))
				inner(w, r)
			}
		}, "read back enabled false", nil)
		assert.Contains(t, v.Err.Error(), "MAY STILL BE SHUT DOWN")
	})
	t.Run("write ignored", func(t *testing.T) {
		hostile(t, id, route("PUT /flags/*", harnesstest.JSON(200, map[string]any{"name": ShutdownFlag, "enabled": true})), "read back enabled true", nil)
	})
	t.Run("shutdown not enforced, restored anyway", func(t *testing.T) {
		g, _ := hostile(t, id, func(g *flagsSecurityImitation) {
			inner := g.route("POST /orchestrate/decompose")
			g.routes["POST /orchestrate/decompose"] = func(w http.ResponseWriter, r *http.Request) {
				g.mu.Lock()
				g.flags[ShutdownFlag]["enabled"] = g.flags[ShutdownFlag]["enabled"] == true // unchanged: the guard is missing
				g.mu.Unlock()
				harnesstest.Envelope(func([]byte) (int, any) { return 200, harnesstest.DAG() })(w, r)
				_ = inner
			}
		}, "status 200", nil)
		assert.Equal(t, []string{"emergency_shutdown=true", "emergency_shutdown=false"}, g.writes, "the drill must switch it back off after failing")
		assert.Equal(t, false, g.flags[ShutdownFlag]["enabled"])
	})
	t.Run("503 without a reason", func(t *testing.T) {
		g, _ := hostile(t, id, func(g *flagsSecurityImitation) {
			inner := g.route("POST /orchestrate/decompose")
			g.routes["POST /orchestrate/decompose"] = func(w http.ResponseWriter, r *http.Request) {
				if g.flags[ShutdownFlag]["enabled"] == true {
					harnesstest.WriteJSON(w, 503, map[string]any{"detail": "Service Unavailable"})
					return
				}
				inner(w, r)
			}
		}, "status 503, reason", nil)
		assert.Equal(t, false, g.flags[ShutdownFlag]["enabled"])
	})
	t.Run("not serving after", func(t *testing.T) {
		hostile(t, id, func(g *flagsSecurityImitation) {
			inner := g.route("POST /orchestrate/decompose")
			calls := 0
			g.routes["POST /orchestrate/decompose"] = func(w http.ResponseWriter, r *http.Request) {
				calls++
				if g.flags[ShutdownFlag]["enabled"] == false && calls > 1 {
					harnesstest.WriteJSON(w, 503, harnesstest.APIError("SERVICE_UNAVAILABLE", "maintenance_mode is enabled", "resource", nil))
					return
				}
				inner(w, r)
			}
		}, "still refused after the drill", nil)
	})
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
