//go:build !critical

package staging

import (
	"testing"
)

// TestSecurityControls: prompt injection, credential redaction (responses
// and, on an ephemeral stack, logs), DAG cycle detection and code
// validation, each over a probe corpus in both directions.
func TestSecurityControls(t *testing.T) { run(t) }
