package smoke

import (
	"testing"
)

// TestInfrastructure is the checklist's "Manual Health Checks": services
// healthy, monitoring containers Up, metrics visible in Prometheus.
func TestInfrastructure(t *testing.T) { run(t) }
