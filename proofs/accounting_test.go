package proofs

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/harness"
)

// The accounting proofs: a verdict of PASS or SHIP needs every expected
// check judged. Each case feeds the real command a real (or really cut)
// go test -json stream and requires HOLD or FAIL — never PASS or SHIP — for
// the reason the case exists.

var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
)

// cli is the smokestack command, built once (buildCLI): exit codes
// survive (go run turns every non-zero exit into 1).
func cli(t *testing.T) string {
	t.Helper()
	cliOnce.Do(buildCLI)
	require.NoError(t, cliErr)
	return cliPath
}

// buildCLI builds the command into a directory of its own (removeCLI).
// TestMain starts it while the package's stack starts, mostly a wait for
// containers, so that the first serial proof to run the command does not
// wait for its link (2.7 s here; 9 s with a cold build cache).
func buildCLI() {
	dir, err := os.MkdirTemp("", "smokestack-cli-")
	if err != nil {
		cliErr = err
		return
	}
	cliPath = filepath.Join(dir, "smokestack")
	out, err := exec.Command("go", "build", "-o", cliPath, "../cmd/smokestack").CombinedOutput()
	if err != nil {
		cliErr = errors.New(string(out))
	}
}

// removeCLI removes what buildCLI built, once it is done.
func removeCLI() {
	cliOnce.Do(func() {}) // waits for a build under way; none is started
	if cliPath != "" {
		_ = os.RemoveAll(filepath.Dir(cliPath))
	}
}

// judgeStream runs `smokestack SUB` over a stream and returns its output
// and exit code.
func judgeStream(t *testing.T, sub string, stream []byte, env ...string) (string, int) {
	t.Helper()
	return runCLI(t, stream, env, sub)
}

// runCLI runs the built command with args, stdin and exactly env as its
// SMOKE_* settings, and returns its output (stdout and stderr) and exit code.
func runCLI(t *testing.T, stdin []byte, env []string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cli(t), args...)
	cmd.Stdin = bytes.NewReader(stdin)
	cmd.Env = append(cleanEnv(), env...)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &exit):
		return string(out), exit.ExitCode()
	}
	t.Fatalf("smokestack %v: %v", args, err)
	return "", -1
}

func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SMOKE_") {
			env = append(env, kv)
		}
	}
	return env
}

// goTestJSON runs go test -json on the smoke suite with exactly env as its
// SMOKE_* settings.
func goTestJSON(t *testing.T, env []string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", append([]string{"test", "-json"}, args...)...)
	cmd.Dir = ".."
	cmd.Env = append(cleanEnv(), env...)
	out, _ := cmd.Output()
	return out
}

func liveEnv() []string {
	var env []string
	for k, v := range stack.LiveEnv() {
		env = append(env, k+"="+v)
	}
	return env
}

const (
	exitPass = 0
	exitFail = 1
	exitHold = 3
)

func TestAccountingNeverGreenWithoutEvidence(t *testing.T) {
	ephemeralOnly(t, "needs the ephemeral stack this package starts")
	prom := harness.Env.PrometheusURL + "=" + stack.URL(harness.Prometheus)

	healthy := goTestJSON(t, liveEnv(), "./smoke", "-tags", "critical")
	t.Run("healthy_run_passes", func(t *testing.T) {
		out, code := judgeStream(t, "gate", healthy)
		require.Equal(t, exitPass, code, out)
		assert.Contains(t, out, "PASS")
	})

	t.Run("truncated_stream_holds", func(t *testing.T) {
		for _, frac := range []float64{0.1, 0.3, 0.5, 0.7, 0.9, 0.98} {
			cut := healthy[:int(float64(len(healthy))*frac)]
			out, code := judgeStream(t, "gate", cut)
			assert.Equal(t, exitHold, code, "cut at %.0f%% (%d bytes): %s", 100*frac, len(cut), out)
			out, code = judgeStream(t, "verdict", cut, prom)
			assert.Equal(t, exitHold, code, "verdict, cut at %.0f%%: %s", 100*frac, out)
		}
		if len(healthy) > 5000 {
			out, code := judgeStream(t, "gate", healthy[:5000])
			assert.Equal(t, exitHold, code, "head -c 5000: %s", out)
		}
	})

	t.Run("killed_run_holds", func(t *testing.T) {
		// A run killed mid-way: checks started ("run") and never ended.
		lines := bytes.SplitAfter(healthy, []byte("\n"))
		var kept [][]byte
		ended := 0
		for _, l := range lines {
			if bytes.Contains(l, []byte(`"Action":"pass"`)) && bytes.Contains(l, []byte(`"Test":"TestInfrastructure/`)) {
				ended++
				if ended > 2 {
					break
				}
			}
			kept = append(kept, l)
		}
		out, code := judgeStream(t, "gate", bytes.Join(kept, nil))
		assert.Equal(t, exitHold, code, out)
	})

	t.Run("misspelt_variable_holds", func(t *testing.T) {
		env := append(liveEnv(), "SMOKE_A2A_ULR=http://127.0.0.1:9")
		stream := goTestJSON(t, env, "./smoke", "-tags", "critical")
		out, code := judgeStream(t, "gate", stream)
		assert.Equal(t, exitHold, code, out)
		assert.Contains(t, out, "SMOKE_A2A_ULR")
		out, code = judgeStream(t, "verdict", stream, prom)
		assert.Equal(t, exitHold, code, out)
		assert.Contains(t, out, "SMOKE_A2A_ULR", "the verdict quotes the real error line, not an info line")
	})

	t.Run("required_component_without_url_holds", func(t *testing.T) {
		env := []string{harness.Env.Target + "=live", harness.Env.A2AURL + "=" + stack.URL(harness.Genesis)}
		stream := goTestJSON(t, env, "./smoke", "-tags", "critical")
		out, code := judgeStream(t, "gate", stream)
		assert.Equal(t, exitHold, code, out)
		assert.Contains(t, out, harness.Env.PrometheusURL)
	})

	t.Run("harness_cannot_start_holds", func(t *testing.T) {
		stream := goTestJSON(t, []string{harness.Env.Target + "=bogus"}, "./smoke", "-tags", "critical")
		out, code := judgeStream(t, "gate", stream)
		assert.Equal(t, exitHold, code, out)
		assert.Contains(t, out, harness.Env.Target)
		out, code = judgeStream(t, "verdict", stream, prom)
		assert.Equal(t, exitHold, code, out)
		assert.NotContains(t, out, "TESTCONTAINERS_HOST_OVERRIDE", "an info line is not the reason")
	})

	t.Run("not_json_is_bad_input", func(t *testing.T) {
		out, code := judgeStream(t, "gate", []byte("ok  \tgithub.com/smokestack-dev/smokestack/smoke\t1.2s\n"))
		assert.Equal(t, 2, code, out)
		assert.Contains(t, out, "-json")
	})

	t.Run("critical_failure_fails", func(t *testing.T) {
		breakStack(t, context.Background(), "health_unhealthy")
		stream := goTestJSON(t, liveEnv(), "./smoke", "-tags", "critical")
		out, code := judgeStream(t, "gate", stream)
		assert.Equal(t, exitFail, code, out)
		assert.Contains(t, out, "a2a_health")
	})
}
