package proofs

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smokestack-dev/smokestack/harness"
)

// TestVerdictNeverCached runs the command users type, `go test ./smoke
// -tags critical`, three times in live mode against this stack: twice
// healthy, then after the A2A service broke. go test caches passing runs;
// a cached PASS after the break would be a false verdict. The second run
// must really run, the third must fail. It also proves live mode: the
// critical suite passes attached to a stack by URL alone.
func TestVerdictNeverCached(t *testing.T) {
	ephemeralOnly(t, "breaks the stack on purpose: runs only on an ephemeral stack")
	run := func(label string) (string, error) {
		out, err := goTestLive(t, "./smoke", "-tags", "critical")
		t.Logf("%s run: %s", label, lastLines(out, 3))
		return out, err
	}

	for _, label := range []string{"first healthy", "second healthy"} {
		out, err := run(label)
		if err != nil {
			t.Fatalf("%s run of go test ./smoke -tags critical against a healthy live target failed: %v\n%s", label, err, out)
		}
		if strings.Contains(out, "(cached)") {
			t.Fatalf("%s run printed a cached verdict:\n%s", label, out)
		}
	}

	ctx := context.Background()
	if _, err := harness.Done(stack.Genesis().SetFaults(ctx, "health_unhealthy")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = stack.Genesis().SetFaults(context.Background(), "") })
	out, err := run("after the break")
	if err == nil || strings.Contains(out, "(cached)") {
		t.Fatalf("after the A2A service broke, go test ./smoke -tags critical still passed (cached: %t):\n%s",
			strings.Contains(out, "(cached)"), out)
	}
	if !strings.Contains(out, "a2a_health") {
		t.Fatalf("the failing run does not name the failed check a2a_health:\n%s", out)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// goTestLive runs `go test ARGS` from the module root in live mode against
// this package's stack (its URLs and keys, nothing else of SMOKE_*).
func goTestLive(t *testing.T, args ...string) (string, error) {
	t.Helper()
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SMOKE_") {
			env = append(env, kv)
		}
	}
	for k, v := range stack.LiveEnv() {
		env = append(env, k+"="+v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", append([]string{"test"}, args...)...)
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}
