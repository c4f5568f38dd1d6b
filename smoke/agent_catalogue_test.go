//go:build !critical

package smoke

import (
	"testing"
)

// TestAgentCatalogue: /a2a/version, /a2a/agents, /a2a/card, every agent
// card, and a helpful 404 for an unknown agent.
func TestAgentCatalogue(t *testing.T) { run(t) }
