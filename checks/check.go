package checks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smokestack-dev/smokestack/harness"
)

// Check is one executable line of the checklist. Its identity (group,
// name, line, component) lives here, in the registry entry, and nowhere
// else: Evaluate stamps it on every failure the check returns.
type Check struct {
	Group     string            // the test function: "TestInfrastructure"
	Name      string            // the subtest: "a2a_health"
	Line      string            // the checklist line it enforces, quoted in failures
	Component harness.Component // what it judges
	// Part is the contract part of Genesis the check needs (harness.PartA,
	// B, C; NoPart when it reads no Genesis route). Outside the target's
	// profile the check is NOT APPLICABLE; inside it a 404 is a failure.
	Part harness.Part
	// Reads lists the components the check reads besides Component. A
	// component the user does not run makes the check NOT APPLICABLE.
	Reads []harness.Component
	// Mutates marks a check that changes the target (a flag drill, a
	// breaker trip, executing a plan on agents). The runner enforces it: it
	// runs alone, never beside other checks, and only where the stack
	// allows mutation; elsewhere it is NOT JUDGED and says why.
	Mutates bool
	// Alone marks a check that times the target (a latency budget): it
	// runs by itself, like a mutating check, so the load of the checks
	// beside it never counts as the target's slowness.
	Alone bool
	// ReadsLog marks a check that judges every line the service logged
	// since the deploy started, those the checks beside it provoke
	// included (a 500 logs an ERROR line): the runners judge it after
	// them, so that a round sees what its own requests made the service
	// log, not a log read before they were sent.
	ReadsLog bool
	Run      func(ctx context.Context, s *harness.Stack) error
}

// runsAlone says whether the runners keep the check apart from the others.
func (c Check) runsAlone() bool { return c.Mutates || c.Alone }

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

// NotApplicableError says the check does not apply to this target, as
// declared by the target's profile or the user's configuration, which the
// reason names. It is never used for a wrong answer.
type NotApplicableError struct{ Reason string }

func (e *NotApplicableError) Error() string { return "NOT APPLICABLE: " + e.Reason }

// NotJudgedError says the suite could not judge the check (mutation not
// allowed, evidence unavailable, a dependency down) and why. It is not a
// pass: a verdict with an expected check not judged holds.
type NotJudgedError struct {
	Reason string
	// Cause is what a runner may act on, such as ErrHostSaturated (measure
	// again on a quieter host); nil for most.
	Cause error
}

func (e *NotJudgedError) Error() string { return "NOT JUDGED: " + e.Reason }

func (e *NotJudgedError) Unwrap() error { return e.Cause }

// OutOfScope is how a check says NOT APPLICABLE: the reason names the
// declaration (profile, configuration) that puts it out of scope.
func OutOfScope(format string, args ...any) error {
	return &NotApplicableError{Reason: fmt.Sprintf(format, args...)}
}

// CannotJudge is how a check says NOT JUDGED: the reason names what was
// missing.
func CannotJudge(format string, args ...any) error {
	return &NotJudgedError{Reason: fmt.Sprintf(format, args...)}
}

// Outcome is a check's verdict.
type Outcome string

// The four outcomes, and Defect: what PROOFS.md calls a defect of the check
// itself (a panic, or a check that did not return by its deadline), which
// counts as a failure everywhere outside the fault matrix.
const (
	Pass          Outcome = "PASS"
	Fail          Outcome = "FAIL"
	NotApplicable Outcome = "NOT APPLICABLE"
	NotJudged     Outcome = "NOT JUDGED"
	Defect        Outcome = "DEFECT"
)

// Judged reports whether the outcome is a judgement of the target.
func (o Outcome) Judged() bool { return o == Pass || o == Fail || o == Defect }

// Reason is the text after the outcome: the why of a NOT APPLICABLE or NOT
// JUDGED, the headline of a failure.
func Reason(err error) string {
	var na *NotApplicableError
	var nj *NotJudgedError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &na):
		return na.Reason
	case errors.As(err, &nj):
		return nj.Reason
	}
	return strings.SplitN(err.Error(), "\n", 2)[0]
}

// Scope is the runner's decision before a check runs: nil to judge it, or
// why it is not applicable (profile, components) or cannot be judged
// (a component down at start, mutation not allowed). Checks do not decide
// this themselves.
func Scope(s *harness.Stack, c Check) error {
	profile, how := s.Profile()
	if !profile.Serves(c.Part) {
		return OutOfScope("the target's profile %s (contract parts %s; %s) does not include contract part %s, which %s needs",
			profile, profile.Parts(), how, c.Part, c.ID())
	}
	for _, comp := range c.Components() {
		if !s.Has(comp) {
			if s.Requires(comp) {
				return CannotJudge("%s is required but this run cannot reach it: %s", comp.Title(), s.Absent(comp))
			}
			return OutOfScope("%s", s.Absent(comp))
		}
	}
	for _, comp := range c.Components() {
		if why, down := s.Unreachable(comp); down && healthChecks[comp] != c.ID() {
			return CannotJudge("dependency down: %s at the start of the run; %s judges that", why, healthChecks[comp])
		}
	}
	if c.Mutates && !s.CanMutate() {
		return CannotJudge("this check changes the target and live mode is read-only: set %s=1 to allow it", harness.Env.AllowMutation)
	}
	return nil
}

// Components lists what the check reads: Component and Reads, with Genesis
// implied by a contract part and the containers check by the Docker engine.
func (c Check) Components() []harness.Component {
	var out []harness.Component
	add := func(x harness.Component) {
		if x == harness.Docker {
			x = harness.Containers
		}
		if x != "" && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	if c.Part != harness.NoPart {
		add(harness.Genesis)
	}
	add(c.Component)
	for _, r := range c.Reads {
		add(r)
	}
	return out
}

// Verdict is what running a check gave.
type Verdict struct {
	Check   Check
	Outcome Outcome
	Err     error
	Elapsed time.Duration
	// Notes are the readings the check reported on its way (Notef): what
	// a passing metric measured, for the log of a run.
	Notes []string
}

type notesKey struct{}

// notes collects a check's Notef lines; Evaluate gives each run one.
type notes struct {
	mu    sync.Mutex
	lines []string
}

// Notef records a reading of the running check (the value a success
// metric measured, the window it looked at) for the run's log: a check
// that passes says what it saw, not only that it passed (Require logs the
// notes of a pass; a failure's own text carries its numbers). Outside
// Evaluate it does nothing.
func Notef(ctx context.Context, format string, args ...any) {
	n, _ := ctx.Value(notesKey{}).(*notes)
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.lines = append(n.lines, harness.RedactText(fmt.Sprintf(format, args...)))
}

func (n *notes) get() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.lines...)
}

// graceAfterDeadline is how long past its deadline a check may take to
// return before it counts as hung.
const graceAfterDeadline = 2 * time.Second

// Evaluate runs a check with the stack's check deadline, turns a panic or a
// hang into a Defect verdict, and never fails the caller.
func Evaluate(ctx context.Context, s *harness.Stack, c Check) Verdict {
	if err := Scope(s, c); err != nil {
		return Verdict{Check: c, Err: err, Outcome: outcomeOf(err)}
	}
	timeout := s.Config().Timeouts.Check
	if c.Mutates {
		// The errors a drill provokes on purpose carry its correlation id
		// in the service's log: no_critical_errors_in_logs excuses them.
		ctx = harness.WithDrill(ctx, c.Name)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	n := &notes{}
	ctx = context.WithValue(ctx, notesKey{}, n)
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
	var f *Failure
	if errors.As(err, &f) {
		f.Check, f.Line = c.ID(), c.Line
		if f.Component == "" {
			f.Component = c.Component
		}
	}
	return Verdict{Check: c, Err: err, Elapsed: time.Since(start), Outcome: outcomeOf(err), Notes: n.get()}
}

func outcomeOf(err error) Outcome {
	var na *NotApplicableError
	var nj *NotJudgedError
	var defect *defectError
	switch {
	case err == nil:
		return Pass
	case errors.As(err, &defect):
		return Defect
	case errors.As(err, &na):
		return NotApplicable
	case errors.As(err, &nj):
		return NotJudged
	}
	return Fail
}

type defectError struct{ msg string }

func (d *defectError) Error() string { return "DEFECT OF THE CHECK: " + d.msg }

// Require runs the check as part of a test: a failure fails the test with
// the on-call message; NOT APPLICABLE and NOT JUDGED skip it with the
// outcome and the reason as the skip's first words, which smokestack gate
// reads back from go test -json.
func Require(t harness.TestingT, s *harness.Stack, c Check) {
	t.Helper()
	if s == nil {
		t.Fatalf("%s: no stack (TestMain did not open one)", c.ID())
		return
	}
	v := Evaluate(context.Background(), s, c)
	record(v)
	switch v.Outcome {
	case Pass:
		// What it read, on a pass only: the gate takes a failure's or a
		// skip's first line for its reason, and those carry their numbers.
		for _, n := range v.Notes {
			t.Logf("%s", n)
		}
		return
	case NotApplicable, NotJudged:
		t.Skipf("%s: %s", v.Outcome, harness.RedactText(Reason(v.Err)))
	default:
		t.Fatalf("%v", v.Err)
	}
}

// RunGroup runs every check of a group as subtests of t. Read-only checks
// run in parallel (on-call waits for the slowest, not the sum); checks that
// mutate the target or time it run first, one at a time, before any
// parallel one starts (go test holds parallel subtests until the parent
// returns).
func RunGroup(t *testing.T, s *harness.Stack, group []Check) {
	t.Helper()
	for _, c := range group {
		t.Run(c.Name, func(t *testing.T) {
			if !c.runsAlone() {
				t.Parallel()
			}
			Require(t, s, c)
		})
	}
}

// EvaluateAll evaluates read-only checks in parallel, the log readers
// (ReadsLog) after the others, then each mutating or timing check alone,
// so a drill never disturbs another check's verdict and a budget is
// measured on a quiet target. The result is keyed by check ID.
func EvaluateAll(ctx context.Context, s *harness.Stack, cs []Check) map[string]Verdict {
	out := make(map[string]Verdict, len(cs))
	var mu sync.Mutex
	together := func(cs []Check) {
		var wg sync.WaitGroup
		for _, c := range cs {
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
	}
	var first, logs, alone []Check
	for _, c := range cs {
		switch {
		case c.runsAlone():
			alone = append(alone, c)
		case c.ReadsLog:
			logs = append(logs, c)
		default:
			first = append(first, c)
		}
	}
	together(first)
	together(logs)
	for _, c := range alone {
		out[c.ID()] = Evaluate(ctx, s, c)
	}
	return out
}
