//go:build !critical

package smoke

import "testing"

// TestAgentInvoke: a harmless invoke succeeds, unknown tool 404, malformed
// body 422, and in production missing key 401 and wrong key 403.
func TestAgentInvoke(t *testing.T) { run(t) }
