//go:build !critical

package staging

import (
	"testing"
)

// TestAlerting: alert rules loaded and healthy (and the last reload
// successful), every series a rule selects exists, Prometheus sends to the
// Alertmanager, the always-firing Watchdog reaches a receiver, and
// promtool/amtool accept the configuration on disk.
func TestAlerting(t *testing.T) { run(t) }
