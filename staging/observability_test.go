//go:build !critical

package staging

import "testing"

// TestObservability: the service's own telemetry reaches where operators
// read it: metrics in Prometheus, structured logs, traces in the trace
// backend, one correlation id followed through answer, log and trace.
func TestObservability(t *testing.T) { run(t) }
