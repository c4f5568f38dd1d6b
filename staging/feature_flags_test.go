//go:build !critical

package staging

import (
	"testing"
)

// TestFeatureFlags: the 5 critical flags enabled, the safety flags off, the
// Phase 4 progressive rollout consistent, and the emergency_shutdown drill
// (mutating: ephemeral, or live with SMOKE_ALLOW_MUTATION=1).
func TestFeatureFlags(t *testing.T) { run(t) }
