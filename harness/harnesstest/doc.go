// Package harnesstest gives other packages' tests a live stack of
// imitated components without Docker, the way net/http/httptest gives them
// a server: NewStack attaches a harness.Stack to one httptest server per
// component, and Genesis is one healthy imitation of the Genesis contract
// that a test makes hostile one route at a time.
//
// It is for tests only: no non-test file outside this package imports it
// (imports_test.go keeps it that way), so the suites never judge a real
// deployment against an imitation by mistake.
package harnesstest
