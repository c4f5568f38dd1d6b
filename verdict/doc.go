// Package verdict turns test results and live metrics into the decision
// on-call acts on. Parse reads `go test -json`, including the plan each
// smokestack suite states before it runs (checks.PlanPrefix lines: which
// checks it will judge, which are not applicable or not judged by
// configuration, which are critical); Gate.Judge compares what ran with
// that plan and applies the checklist's rules: PASS, FAIL or HOLD. Decide
// adds the rollback triggers (P95 > 500 ms, error rate > 1 %) read from
// Prometheus: SHIP, ROLLBACK or HOLD. Every report of a decision, for a
// person or for CI (text, JSON, JUnit XML), is rendered from one Record,
// so they cannot disagree, and every writer redacts what it quotes.
//
// Missing evidence never passes: a cut or killed stream, a package that
// stated no plan or could not run (its error line is quoted), a planned
// check that never ended or ended NOT JUDGED, a critical check NOT JUDGED,
// or a trigger whose query has no data makes the verdict HOLD.
package verdict
