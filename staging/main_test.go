package staging

import (
	"os"
	"testing"

	"github.com/smokestack-dev/smokestack/harness"
)

// stack is the deployment under test (see harness.Main).
var stack *harness.Stack

func TestMain(m *testing.M) { os.Exit(harness.Main(m, &stack)) }
