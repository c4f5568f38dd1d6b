package harness

// TestingT is the part of *testing.T the harness needs. Taking an interface
// instead of *testing.T lets the harness be tested with a recorder and lets
// proofs observe a failure without failing themselves.
type TestingT interface {
	Helper()
	Name() string
	Logf(format string, args ...any)
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
	Cleanup(func())
}
