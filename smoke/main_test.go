package smoke

import (
	"os"
	"testing"

	"github.com/smokestack-dev/smokestack/checks"
	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/verdict"
)

// stack is the deployment under test: started for this binary (ephemeral)
// or attached by URL (SMOKE_TARGET=live). See harness.MainFunc.
var stack *harness.Stack

// level is this binary's build level: critical, raised by the files that
// build only without -tags critical. The plan a run states comes from it.
var level = checks.Critical

func TestMain(m *testing.M) {
	os.Exit(checks.Main(m, &stack, checks.Smoke, level, verdict.SummaryText))
}

// run runs the registry's checks of the calling test function.
func run(t *testing.T) { checks.RunTest(t, stack, checks.Smoke, level) }
