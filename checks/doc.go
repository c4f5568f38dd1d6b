// Package checks holds every check of the smoke checklist as data: a name
// that is its go test selector, the checklist line it enforces, and a Run
// function that returns an error instead of failing a test.
//
// Test packages (smoke, staging) turn a group into subtests with Require;
// the fault matrix (package proofs) calls the same Run functions under
// faults and observes their verdicts without failing itself. One
// definition, so what is proven is exactly what runs.
package checks
