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
// Helpers come in pairs in the terratest manner: FooE returns an error and is
// what proofs call; Foo takes a TestingT and fails the test.
package harness
