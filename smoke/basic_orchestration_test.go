package smoke

import (
	"testing"

	"github.com/smokestack-dev/smokestack/checks"
)

// basicOrchestrationNormal holds the non-critical subtests of
// TestBasicOrchestration; basic_orchestration_normal_test.go fills it in
// builds without -tags critical.
var basicOrchestrationNormal []checks.Check

// TestBasicOrchestration: the simple orchestration flow (critical), and,
// outside the critical build, each pipeline stage judged on its own.
func TestBasicOrchestration(t *testing.T) {
	group := append(append([]checks.Check{}, checks.BasicOrchestrationCritical...), basicOrchestrationNormal...)
	checks.RunGroup(t, stack, group)
}
