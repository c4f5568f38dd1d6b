//go:build !critical

package smoke

import (
	"testing"

	"github.com/smokestack-dev/smokestack/checks"
)

// TestSecuritySmoke: prompt injection, over-long requests and dangerous
// code are refused, and a cyclic plan is rejected with its cycle.
func TestSecuritySmoke(t *testing.T) { checks.RunGroup(t, stack, checks.SecuritySmoke) }

// TestErrorHandlingSmoke: errors come back in the contract's envelope with
// their category.
func TestErrorHandlingSmoke(t *testing.T) { checks.RunGroup(t, stack, checks.ErrorHandlingSmoke) }

// TestObservabilitySmoke: /metrics exposes the genesis series and
// Prometheus scrapes them.
func TestObservabilitySmoke(t *testing.T) { checks.RunGroup(t, stack, checks.ObservabilitySmoke) }
