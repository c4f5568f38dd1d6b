//go:build !critical

package staging

import (
	"testing"
)

// TestErrorHandling: error categorization, circuit breaker trips and recovers (drill on the LLM planner), graceful degradation to the heuristic planner, retries of transient upstream errors.
func TestErrorHandling(t *testing.T) { run(t) }
