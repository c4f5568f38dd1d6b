package smoke

import (
	"os"
	"testing"

	"github.com/smokestack-dev/smokestack/harness"
)

// stack is the deployment under test: started for this binary (ephemeral)
// or attached by URL (SMOKE_TARGET=live). See harness.Main.
var stack *harness.Stack

func TestMain(m *testing.M) { os.Exit(harness.Main(m, &stack)) }
