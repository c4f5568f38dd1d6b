package proofs

import "testing"

// TestHostLoadFaults runs after the fault matrix and the other proofs that
// run side by side (afterBesides), when the other packages of a go test
// ./... are long done: its rows load the whole machine, and a timing check
// beside them would fail for that.
func TestHostLoadFaults(t *testing.T) {
	ephemeralOnly(t, "host load faults start stacks of their own: ephemeral mode only (SMOKE_TARGET unset)")
	afterBesides(t)
	for _, f := range HostLoadFaults() {
		t.Run(f.Name, func(t *testing.T) { judgeStartupFault(t, f) })
	}
}
