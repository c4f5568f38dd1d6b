package smoke

import (
	"testing"

	"github.com/smokestack-dev/smokestack/checks"
)

// TestInfrastructure is the checklist's "Manual Health Checks": services
// healthy, monitoring containers Up, metrics visible in Prometheus.
func TestInfrastructure(t *testing.T) { checks.RunGroup(t, stack, checks.Infrastructure) }
