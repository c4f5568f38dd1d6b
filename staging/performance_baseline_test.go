//go:build !critical

package staging

import (
	"testing"
)

// TestPerformanceBaseline: HTDAG, HALO and AOP P95 budgets over a bounded sample, and host memory, CPU and disk from node-exporter through Prometheus.
func TestPerformanceBaseline(t *testing.T) { run(t) }
