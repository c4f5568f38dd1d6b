//go:build !critical

package smoke

import (
	"testing"
)

// TestSecuritySmoke: prompt injection, over-long requests and dangerous
// code are refused, and a cyclic plan is rejected with its cycle.
func TestSecuritySmoke(t *testing.T) { run(t) }

// TestErrorHandlingSmoke: errors come back in the contract's envelope with
// their category.
func TestErrorHandlingSmoke(t *testing.T) { run(t) }

// TestObservabilitySmoke: /metrics exposes the genesis series and
// Prometheus scrapes them.
func TestObservabilitySmoke(t *testing.T) { run(t) }
