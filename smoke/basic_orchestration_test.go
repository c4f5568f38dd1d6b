package smoke

import "testing"

// TestBasicOrchestration: the simple orchestration flow (critical), and,
// outside the critical build, each pipeline stage judged on its own.
func TestBasicOrchestration(t *testing.T) { run(t) }
