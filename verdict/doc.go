// Package verdict turns test results and live metrics into the decision
// on-call acts on. Gate reads `go test -json` and applies the checklist's
// pass-rate rule (>= 95 %, "21+/25"); Rollback adds the checklist's rollback
// triggers (P95 > 500 ms, error rate > 1 %) read from Prometheus.
//
// Missing evidence never yields a ship decision: no tests, a package that
// failed outside any test (its stack could not start), or a trigger whose
// query has no data makes the verdict HOLD, not SHIP.
package verdict
