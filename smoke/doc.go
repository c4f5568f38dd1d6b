// Package smoke is the checklist's smoke suite, run right after every
// deploy: `go test ./smoke -tags critical` for the critical subset,
// `go test ./smoke` for the whole suite. Test names mirror the checklist's
// pytest classes, so `-run TestInfrastructure/a2a_health` selects one line.
// The checks themselves live in package checks, where the fault matrix
// proves each can fail.
package smoke
