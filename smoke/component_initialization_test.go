package smoke

import (
	"testing"
)

// TestComponentInitialization (critical): HTDAG, HALO, AOP, error handler,
// security validator, feature flags and OTEL are up, judged from the
// service's health components and a tiny round trip through each.
func TestComponentInitialization(t *testing.T) { run(t) }
