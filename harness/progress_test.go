package harness

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
)

// consoleChild, set in a child go test's environment, makes
// TestConsoleReachesPlainGoTest print its line instead of spawning.
const consoleChild = "SMOKESTACK_CONSOLE_CHILD"

// A plain go test of a passing package drops the package's output; the
// console lines must reach whoever watches go test anyway (a CI log is a
// pipe, not a terminal), once; with -v the output is shown as it comes and
// the console stays silent (no line twice).
func TestConsoleReachesPlainGoTest(t *testing.T) {
	if mode := os.Getenv(consoleChild); mode != "" {
		consoleOn.Store(mode == "suite") // as MainFunc does in a suite binary
		Progressf("console line from the child")
		t.Log("log line from the child")
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("NOT JUDGED: the go command's streams are found through /proc, Linux only")
	}
	if testing.Short() {
		t.Skip("NOT JUDGED: -short: this test runs go test again")
	}
	for _, c := range []struct {
		mode       string // "suite": a suite binary (MainFunc); "unit": a unit test
		flag       string
		console    int // times the console line shows
		logVisible bool
	}{
		{"suite", "-v=false", 1, false},
		{"suite", "-v", 0, true}, // the output shows as it comes: the callers print their lines there
		{"unit", "-v=false", 0, false},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		cmd := exec.CommandContext(ctx, "go", "test", "-count=1", c.flag, "-run", "^TestConsoleReachesPlainGoTest$", ".")
		cmd.Env = append(os.Environ(), consoleChild+"="+c.mode)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out // pipes, as in CI
		err := cmd.Run()
		cancel()
		if err != nil {
			t.Fatalf("go test %s: %v\n%s", c.flag, err, out.String())
		}
		got := out.String()
		if n := strings.Count(got, "smokestack: console line from the child"); n != c.console {
			t.Errorf("%s: go test %s: the console line shows %d times, want %d:\n%s", c.mode, c.flag, n, c.console, got)
		}
		if strings.Contains(got, "log line from the child") != c.logVisible {
			t.Errorf("go test %s: the test's own log visible = %v, want %v (is the output buffered as expected?):\n%s", c.flag, !c.logVisible, c.logVisible, got)
		}
	}
}
