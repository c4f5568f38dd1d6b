//go:build !critical

package staging

import (
	"testing"

	"github.com/smokestack-dev/smokestack/checks"
)

// TestSecurityControls: prompt injection, credential redaction (responses
// and, on an ephemeral stack, logs), DAG cycle detection and code
// validation, each over a probe corpus in both directions.
func TestSecurityControls(t *testing.T) { checks.RunGroup(t, stack, checks.SecurityControls) }
