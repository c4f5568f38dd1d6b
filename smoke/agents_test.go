//go:build !critical

package smoke

import (
	"testing"
)

// TestAgentCatalogue: /a2a/version, /a2a/agents, /a2a/card, every agent
// card, and a helpful 404 for an unknown agent.
func TestAgentCatalogue(t *testing.T) { run(t) }

// TestAgentInvoke: a harmless invoke succeeds, unknown tool 404, malformed
// body 422, and in production missing key 401 and wrong key 403.
func TestAgentInvoke(t *testing.T) { run(t) }
