package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smokestack-dev/smokestack/harness"
)

// Check is one executable line of the checklist.
type Check struct {
	Group     string            // the test function: "TestInfrastructure"
	Name      string            // the subtest: "a2a_health"
	Line      string            // the checklist line it enforces, quoted in failures
	Component harness.Component // what it judges
	// Mutates marks a check that changes the target (a flag drill, a
	// breaker trip, a synthetic alert). It runs alone — never beside other
	// checks, whose verdicts it would disturb — and only where the stack
	// allows mutation; its Run must skip otherwise (see RequireMutation).
	Mutates bool
	Run     func(ctx context.Context, s *harness.Stack) error
}

// ID is the check's go test selector: "TestInfrastructure/a2a_health".
func (c Check) ID() string { return c.Group + "/" + c.Name }

// Failure is a check's verdict "this deployment is broken", worded for a
// person on call: the first line is the headline, evidence follows.
type Failure struct {
	Check     string
	Component harness.Component
	URL       string
	Want      string
	Got       string
	Line      string
	Evidence  error // the request error or extra detail, may be nil
}

func (f *Failure) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s on %s %s: want %s, got %s", f.Check, f.Component.Title(), harness.RedactURL(f.URL), f.Want, f.Got)
	if f.Line != "" {
		fmt.Fprintf(&b, "\n    checklist: %s", f.Line)
	}
	if f.Evidence != nil {
		fmt.Fprintf(&b, "\n    evidence: %s", harness.RedactText(f.Evidence.Error()))
	}
	return b.String()
}

func (f *Failure) Unwrap() error { return f.Evidence }

// SkipError says the check cannot judge this stack (a component is absent,
// a mutation is not allowed) and why. It is never used for a wrong answer.
type SkipError struct{ Reason string }

func (s *SkipError) Error() string { return "skipped: " + s.Reason }

// Skip builds a SkipError.
func Skip(format string, args ...any) error { return &SkipError{Reason: fmt.Sprintf(format, args...)} }

// Outcome is a check's verdict.
type Outcome string

// Outcomes. Defect covers what PROOFS.md calls a defect of the check itself:
// a panic, or a check that did not return by its deadline.
const (
	Pass    Outcome = "pass"
	Fail    Outcome = "fail"
	Skipped Outcome = "skip"
	Defect  Outcome = "defect"
)

// Verdict is what running a check gave.
type Verdict struct {
	Check   Check
	Outcome Outcome
	Err     error
	Elapsed time.Duration
}

// graceAfterDeadline is how long past its deadline a check may take to
// return before it counts as hung.
const graceAfterDeadline = 2 * time.Second

// Evaluate runs a check with the stack's check deadline, turns a panic or a
// hang into a Defect verdict, and never fails the caller.
func Evaluate(ctx context.Context, s *harness.Stack, c Check) Verdict {
	timeout := s.Config().Timeouts.Check
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- &defectError{fmt.Sprintf("check panicked: %v", r)}
			}
		}()
		done <- c.Run(ctx, s)
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(timeout + graceAfterDeadline):
		err = &defectError{fmt.Sprintf("check did not return within its deadline %s (+%s grace)", timeout, graceAfterDeadline)}
	}
	v := Verdict{Check: c, Err: err, Elapsed: time.Since(start)}
	var skip *SkipError
	var defect *defectError
	switch {
	case err == nil:
		v.Outcome = Pass
	case errors.As(err, &defect):
		v.Outcome = Defect
	case errors.As(err, &skip):
		v.Outcome = Skipped
	default:
		v.Outcome = Fail
	}
	return v
}

type defectError struct{ msg string }

func (d *defectError) Error() string { return "DEFECT OF THE CHECK: " + d.msg }

// Require runs the check as part of a test: a failure fails the test with
// the on-call message, a skip skips it with the reason.
func Require(t harness.TestingT, s *harness.Stack, c Check) {
	t.Helper()
	if s == nil {
		t.Fatalf("%s: no stack (TestMain did not open one)", c.ID())
		return
	}
	v := Evaluate(context.Background(), s, c)
	switch v.Outcome {
	case Pass:
		return
	case Skipped:
		t.Skipf("%s", v.Err.(*SkipError).Reason)
	default:
		t.Fatalf("%v", v.Err)
	}
}

// RunGroup runs every check of a group as subtests of t. Read-only checks
// run in parallel (on-call waits for the slowest, not the sum); checks that
// mutate the target run first, one at a time, before any parallel one
// starts (go test holds parallel subtests until the parent returns).
func RunGroup(t *testing.T, s *harness.Stack, group []Check) {
	t.Helper()
	for _, c := range group {
		t.Run(c.Name, func(t *testing.T) {
			if !c.Mutates {
				t.Parallel()
			}
			Require(t, s, c)
		})
	}
}

// RequireMutation is how a mutating check starts: it skips, saying why,
// where the stack may not be changed (a live target without opt-in).
func RequireMutation(s *harness.Stack) error {
	if s.CanMutate() {
		return nil
	}
	return Skip("this check changes the target; live mode is read-only: set %s=1 to allow it", harness.Env.AllowMutation)
}

// EvaluateAll evaluates read-only checks in parallel, then each mutating
// check alone, so a drill never disturbs another check's verdict. The
// result is keyed by check ID.
func EvaluateAll(ctx context.Context, s *harness.Stack, cs []Check) map[string]Verdict {
	out := make(map[string]Verdict, len(cs))
	var mu sync.Mutex
	var wg sync.WaitGroup
	var mutating []Check
	for _, c := range cs {
		if c.Mutates {
			mutating = append(mutating, c)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := Evaluate(ctx, s, c)
			mu.Lock()
			out[c.ID()] = v
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, c := range mutating {
		out[c.ID()] = Evaluate(ctx, s, c)
	}
	return out
}
