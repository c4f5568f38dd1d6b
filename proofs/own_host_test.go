package proofs

import "testing"

// TestHostLoadFaults runs after the fault matrix (its file sorts after
// matrix_test.go, and go test runs a package's tests in file order; none of
// them parallel to it), when the other packages of a go test ./... are long
// done: its rows load the whole machine, and a timing check beside them
// would fail for that.
func TestHostLoadFaults(t *testing.T) {
	ephemeralOnly(t, "host load faults start stacks of their own: ephemeral mode only (SMOKE_TARGET unset)")
	for _, f := range HostLoadFaults() {
		t.Run(f.Name, func(t *testing.T) { judgeStartupFault(t, f) })
	}
}
