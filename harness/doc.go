// Package harness gives smoke checks one view of a Genesis deployment and its
// monitoring stack, whether the stack was started for this run (ephemeral
// mode, under testcontainers-go) or already runs somewhere (live mode, by URL).
//
// Checks never branch on the mode. They ask the Stack what it has
// (Has(Grafana), CanMutate()) and talk to components through typed clients
// whose every call carries a deadline and returns evidence (URL, status, the
// first bytes of the body) on failure, so that a failed check can be acted on
// without reading its code.
//
// The harness never fails a test. Its calls (the E-suffixed ones among them)
// return an error with that evidence, so that a check can word its verdict
// and a proof can observe a failure without failing itself; there are no
// Foo/FooE pairs. checks.Require is the one place where a check's error
// becomes a test failure (or a skip, for NOT APPLICABLE and NOT JUDGED).
package harness
