// Package proofs holds the fault matrix: the evidence that every check of
// the suite can fail. Each row names a fault (a knob of the reference
// service, a stopped or paused container, a broken config, a hostile
// imitation of a component) and the checks that must FAIL under it; every
// other check must keep its healthy verdict. Row zero is the healthy stack.
//
// The runner calls each check through checks.Evaluate, so it observes
// verdicts without failing itself, and prints a confusion table: checks x
// faults, with false passes (a broken deployment called healthy) and false
// alarms (a healthy part called broken) counted. A check that passes under
// its own fault is a defect of the check, and fails the run.
package proofs
