//go:build !critical

package smoke

import (
	"testing"
)

// TestSecuritySmoke: prompt injection, over-long requests and dangerous
// code are refused, and a cyclic plan is rejected with its cycle.
func TestSecuritySmoke(t *testing.T) { run(t) }
