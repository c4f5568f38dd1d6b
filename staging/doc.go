// Package staging is the checklist's staging validation: feature flags,
// security controls, error handling, performance baseline, component
// integration and alerting, as `go test ./staging -run TestSecurityControls` and so on.
// Checks that change the target (flag drills, breaker trips, upstream
// outages) run on an ephemeral stack, or live with SMOKE_ALLOW_MUTATION=1.
// The checks live in package checks, where the fault matrix proves them.
package staging
