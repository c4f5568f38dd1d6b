//go:build !critical

package smoke

import "testing"

// TestObservabilitySmoke: /metrics exposes the genesis series and
// Prometheus scrapes them.
func TestObservabilitySmoke(t *testing.T) { run(t) }
