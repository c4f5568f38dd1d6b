//go:build !critical

package staging

import (
	"testing"

	"github.com/smokestack-dev/smokestack/checks"
)

// TestPerformanceBaseline: HTDAG, HALO and AOP P95 budgets over a bounded sample, and host memory, CPU and disk from node-exporter through Prometheus.
func TestPerformanceBaseline(t *testing.T) { checks.RunGroup(t, stack, checks.PerformanceBaseline) }
