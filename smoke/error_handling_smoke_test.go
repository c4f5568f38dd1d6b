//go:build !critical

package smoke

import "testing"

// TestErrorHandlingSmoke: errors come back in the contract's envelope with
// their category.
func TestErrorHandlingSmoke(t *testing.T) { run(t) }
