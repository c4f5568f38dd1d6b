//go:build !critical

package staging

import (
	"testing"
)

// TestComponentIntegration: the full pipeline end to end, error handling integrated (envelope, metrics, /resilience), observability integrated (request and trace ids, request and stage metrics).
func TestComponentIntegration(t *testing.T) { run(t) }
