package harness

// TestingT is the part of *testing.T that checks.Require and
// checks.SuccessWindowFor need. Taking an interface instead of *testing.T
// lets them be tested with a recorder that notes what a test was told.
type TestingT interface {
	Helper()
	Name() string
	Logf(format string, args ...any)
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
	Cleanup(func())
}
