package proofs

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/checks"
	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/verdict"
)

// TestRollbackDrill runs the rollback procedure as on-call would, through
// the built command against this package's stack in live mode: refused
// without SMOKE_ALLOW_MUTATION=1; then the rollback (flags switched and
// read back, orchestration refused, the critical checks re-run, the log
// line with every field), and -restore, after which the flags are as they
// were; then the same under a flag write the service ignores — by a knob
// that forces the flag, and by a proxy that answers the write without
// passing it on — where the rollback must exit 1, not 0.
func TestRollbackDrill(t *testing.T) {
	ephemeralOnly(t, "the drill switches the stack's flags: it runs on the ephemeral stack this package starts")
	ctx := context.Background()
	names := []string{checks.ShutdownFlag, checks.Phase4Flag}
	flags := func(t *testing.T) map[string]bool {
		t.Helper()
		out := map[string]bool{}
		for _, n := range names {
			on, err := checks.ReadFlag(ctx, stack, n)
			require.NoError(t, err)
			out[n] = on
		}
		return out
	}
	before := flags(t)
	require.Equal(t, map[string]bool{checks.ShutdownFlag: false, checks.Phase4Flag: true}, before, "the drill starts from a serving stack")
	admin := stack.Config().AdminKey.Value()
	// Whatever happens below, the stack is left as it was found.
	t.Cleanup(func() {
		_, _ = stack.Genesis().SetFaults(ctx, "")
		for n, on := range before {
			_, _ = stack.Genesis().SetFlag(ctx, n, on, stack.Config().AdminKey)
		}
	})
	dir := t.TempDir()
	logPath := filepath.Join(dir, "logs", "rollback.log")
	verdictPath := filepath.Join(dir, "verdict.json")
	writeVerdict(t, verdictPath)
	orchestration := func(t *testing.T) int {
		t.Helper()
		rep, err := stack.Genesis().Decompose(ctx, harness.DecomposeRequest{UserRequest: "Build a simple landing page with a signup form"})
		require.NoError(t, err)
		return rep.Resp.Status
	}

	t.Run("refused_without_mutation", func(t *testing.T) {
		env := append(liveEnv(), harness.Env.AllowMutation+"=0")
		out, code := rollbackCLI(t, env, "-reason", "drill", "-log", logPath)
		assert.Equal(t, 2, code, out)
		assert.Contains(t, out, harness.Env.AllowMutation+"=1")
		assert.Equal(t, before, flags(t), "nothing changed")
		assert.NoFileExists(t, logPath, "nothing logged")
	})

	t.Run("rollback_then_restore", func(t *testing.T) {
		t0 := time.Now()
		out, code := rollbackCLI(t, liveEnv(), "-reason", "drill: p95 latency over 500ms", "-who", "drill-bot", "-verdict", verdictPath, "-log", logPath)
		require.Equal(t, 0, code, out)
		for _, want := range []string{"ROLLED BACK", "emergency_shutdown: false -> true", "phase_4_deployment: true -> false",
			"refused TestBasicOrchestration/simple_orchestration_flow", "the checklist's 15m0s target", "next: checklist steps 2 and 3"} {
			assert.Contains(t, out, want)
		}
		assert.NotContains(t, out, admin, "the admin key is never printed")
		assert.Equal(t, map[string]bool{checks.ShutdownFlag: true, checks.Phase4Flag: false}, flags(t))
		assert.Equal(t, http.StatusServiceUnavailable, orchestration(t), "orchestration refused while shut down")

		e := lastLogLine(t, logPath, admin)
		assert.Equal(t, "rollback", e["action"])
		at, err := time.Parse(time.RFC3339Nano, e["time"].(string))
		require.NoError(t, err)
		assert.WithinDuration(t, t0, at, time.Minute)
		assert.Equal(t, "drill: p95 latency over 500ms", e["reason"])
		assert.Equal(t, "drill-bot", e["who"])
		assert.Equal(t, stack.URL(harness.Genesis), e["target"])
		v, _ := e["verdict"].(map[string]any)
		require.NotNil(t, v, "the triggering verdict is summarised")
		assert.Equal(t, "verdict", v["kind"])
		assert.Equal(t, "ROLLBACK", v["decision"])
		assert.Equal(t, []any{"TestInfrastructure/a2a_health"}, v["failed"])
		assert.Equal(t, map[string]any{checks.ShutdownFlag: false, checks.Phase4Flag: true}, e["flags_before"])
		assert.Equal(t, map[string]any{checks.ShutdownFlag: true, checks.Phase4Flag: false}, e["flags_after"])
		assert.Len(t, e["writes"], 2)
		assert.Equal(t, true, e["orchestration"].(map[string]any)["ok"])
		ver, _ := e["verification"].(map[string]any)
		require.NotNil(t, ver, "the verification ran")
		assert.Equal(t, true, ver["ran"])
		var critical int
		for _, g := range checks.CriticalGroups {
			critical += len(g)
		}
		assert.Len(t, ver["checks"], critical, "every critical check re-run")
		assert.Greater(t, ver["refused_by_shutdown"], 0.0)
		assert.Equal(t, 0.0, ver["failed"])
		assert.Greater(t, e["elapsed_seconds"], 0.0)
		assert.Equal(t, 900.0, e["target_seconds"])
		assert.Equal(t, true, e["within_target"])
		assert.Equal(t, "rolled_back", e["result"])
		assert.Equal(t, 0.0, e["exit_code"])

		out, code = rollbackCLI(t, liveEnv(), "-restore", "-log", logPath)
		require.Equal(t, 0, code, out)
		assert.Contains(t, out, "RESTORED")
		assert.Equal(t, before, flags(t), "the flags are as they were before the drill")
		assert.Equal(t, http.StatusOK, orchestration(t), "orchestration serves again")
		r := lastLogLine(t, logPath, admin)
		assert.Equal(t, "restore", r["action"])
		assert.Equal(t, e["time"], r["restores"])
		assert.Equal(t, "restored", r["result"])
		out, code = rollbackCLI(t, liveEnv(), "-restore", "-log", logPath)
		assert.Equal(t, 0, code, out)
		assert.Contains(t, out, "nothing to restore")
	})

	// A write the service ignores: the rollback says FAILED (exit 1), logs
	// the attempt, and -restore puts back what it did change.
	ignored := []struct {
		name  string
		apply Action
		says  string
	}{
		{"write_ignored_knob", Knob("flag.emergency_shutdown=false"), "the answer says enabled false"},
		{"write_ignored_proxy", Tampered(tamper{match: route("PUT", "/flags/emergency_shutdown"), serve: echoFlagWrite}), "enabled false for"},
	}
	for _, f := range ignored {
		t.Run(f.name, func(t *testing.T) {
			require.NoError(t, f.apply.Apply(ctx, stack))
			out, code := rollbackCLI(t, liveEnv(), "-reason", "drill: "+f.name, "-log", logPath)
			// The knob forces the flag whatever is written: lift it before
			// the restore, which then writes the flag back for real.
			require.NoError(t, f.apply.Restore(ctx, stack))
			assert.Equal(t, 1, code, "a write the service ignores is a failed rollback: %s", out)
			assert.Contains(t, out, "ROLLBACK FAILED")
			assert.Contains(t, out, "NOT shut down")
			assert.Contains(t, out, f.says)
			assert.NotContains(t, out, admin)
			e := lastLogLine(t, logPath, admin)
			assert.Equal(t, "failed", e["result"], "the failed attempt is logged")
			assert.Equal(t, 1.0, e["exit_code"])
			assert.NotEmpty(t, e["errors"])

			out, code = rollbackCLI(t, liveEnv(), "-restore", "-log", logPath)
			require.Equal(t, 0, code, out)
			assert.Equal(t, before, flags(t), "restored as before the drill")
			assert.Equal(t, http.StatusOK, orchestration(t))
		})
	}
}

// rollbackCLI runs `smokestack rollback ARGS` with exactly env as its
// SMOKE_* settings.
func rollbackCLI(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	return runCLI(t, nil, env, append([]string{"rollback"}, args...)...)
}

// lastLogLine is the last JSON line of the rollback log; the log must not
// hold the admin key.
func lastLogLine(t *testing.T, path, admin string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NotContains(t, string(data), admin, "the admin key is never logged")
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	var e map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &e))
	return e
}

// writeVerdict writes the report a smokestack verdict -json would write for
// a run whose critical check failed.
func writeVerdict(t *testing.T, path string) {
	t.Helper()
	rec := verdict.Record{Kind: verdict.KindVerdict, Time: time.Now().UTC(), Decision: verdict.Rollback, Gate: verdict.GateFail, ExitCode: 1,
		Checks:  []verdict.CheckRecord{{ID: "TestInfrastructure/a2a_health", Outcome: verdict.Fail, Critical: true}, {ID: "TestAgentCatalogue/a2a_card", Outcome: verdict.Pass}},
		Reasons: []string{"critical check TestInfrastructure/a2a_health failed"}}
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, rec.WriteJSON(f))
}
