package checks

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smokestack-dev/smokestack/harness"
)

// Main runs a suite's test binary: it opens the stack (harness.MainFunc),
// states the plan — what this run expects to judge, from the registry, the
// build level, the profile, the required components and -run/-skip — runs
// the tests, and ends with a summary of the four outcomes. It exits
// non-zero when a check it expected to judge was not judged: missing
// evidence is never a green run. render words the summary; the suites pass
// verdict.SummaryText, the gate's own report, which this package cannot
// import. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(checks.Main(m, &stack, checks.Smoke, level, verdict.SummaryText)) }
func Main(m *testing.M, stack **harness.Stack, suite Suite, level Tag, render func(Summary) string) int {
	return harness.MainFunc(m, stack, func(s *harness.Stack) int {
		sel := Selector{Run: flagValue("test.run"), Skip: flagValue("test.skip")}
		plan, err := NewPlan(s, suite, level, sel)
		if err != nil {
			fmt.Printf("%s%v\n", harness.ErrorPrefix, err)
			return 2
		}
		if wait := s.Config().Timeouts.Wait; wait > 0 {
			waitForCritical(s, plan, wait)
		}
		if preflight(s, plan) {
			if plan, err = NewPlan(s, suite, level, sel); err != nil {
				fmt.Printf("%s%v\n", harness.ErrorPrefix, err)
				return 2
			}
		}
		// The machine-readable plan goes to go test -json streams (the
		// binary runs with -test.v=test2json there); people get one line.
		if flagValue("test.v") == "test2json" {
			for _, l := range plan.Lines() {
				fmt.Println(l)
			}
		} else if testing.Verbose() {
			fmt.Println("smokestack: " + plan.Describe())
		}
		resetRecord()
		start := time.Now()
		code := m.Run()
		sum := Summarize(plan, recorded(), time.Since(start), code)
		// go test shows a passing package's output only with -v or -json:
		// a plain passing run gets its summary on the console instead.
		var out io.Writer = os.Stdout
		if code == 0 && sum.OK() {
			if c := harness.Console(); c != nil {
				defer c.Close()
				out = c
			}
		}
		fmt.Fprint(out, render(sum))
		if code == 0 && !sum.OK() {
			code = 1
		}
		// The push reports the run; it never changes its verdict. A push
		// that fails is said, for whoever watches the dashboard go stale.
		if url := s.Config().PushgatewayURL; url != "" && flagValue("test.list") == "" {
			if err := PushSummary(context.Background(), url, suite, sum, code == 0); err != nil {
				fmt.Printf("smokestack: %v\n", err)
			} else {
				fmt.Fprintf(out, "smokestack: results pushed to the Pushgateway at %s (job smokestack, suite %s)\n", harness.RedactURL(url), suite)
			}
		}
		return code
	})
}

// waitGap is the pause between two tries of waitForCritical.
var waitGap = 5 * time.Second

// waitForCritical is SMOKE_WAIT: for a deployment still rolling out, it
// retries the read-only critical checks of the plan until every one passes
// or wait is up, printing each try, the way kubectl wait and goss
// --retry-timeout do. Then the suite runs as usual and judges what it sees:
// waiting never turns a failure into a pass.
func waitForCritical(s *harness.Stack, plan Plan, wait time.Duration) {
	var cs []Check
	for _, c := range plan.Checks {
		if chk, ok := ByID(c.ID); ok && c.Critical && c.Plan == PlanJudge && !chk.Mutates {
			cs = append(cs, chk)
		}
	}
	if len(cs) == 0 {
		return
	}
	say := func(format string, args ...any) {
		line := fmt.Sprintf("wait: "+format, args...)
		fmt.Println("smokestack: " + line)
		harness.Progressf("%s", line)
	}
	deadline := time.Now().Add(wait)
	for try := 1; ; try++ {
		ctx, cancel := context.WithDeadline(context.Background(), deadline.Add(s.Config().Timeouts.Check))
		vs := EvaluateAll(ctx, s, cs)
		cancel()
		var failing []string
		for _, c := range cs {
			if vs[c.ID()].Outcome != Pass {
				failing = append(failing, c.ID())
			}
		}
		sort.Strings(failing)
		switch {
		case len(failing) == 0:
			say("try %d: all %d critical checks pass; running the suite", try, len(cs))
			return
		case !time.Now().Add(waitGap).Before(deadline):
			say("try %d: %d of %d critical checks pass; %s=%s is up, running the suite anyway (not passing: %s)",
				try, len(cs)-len(failing), len(cs), harness.Env.Wait, wait, strings.Join(failing, ", "))
			return
		}
		say("try %d: %d of %d critical checks pass, next try in %s (not passing: %s)", try, len(cs)-len(failing), len(cs), waitGap, strings.Join(failing, ", "))
		time.Sleep(waitGap)
	}
}

// preflight reaches every component of a live target once before any
// check, saying each that does not answer on one line, and marks those
// whose health check the plan judges (Preflight). It reports whether it
// marked any. An ephemeral stack has just been seen answering: no
// pre-flight.
func preflight(s *harness.Stack, plan Plan) bool {
	if s.Mode() != harness.Live {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.Config().Timeouts.HTTP+time.Second)
	defer cancel()
	lines, marked := Preflight(ctx, s, plan.Judges)
	for _, l := range lines {
		fmt.Println("smokestack: " + l)
		harness.Progressf("%s", l)
	}
	return marked
}

// Preflight asks every component of the stack once whether anything
// answers (harness.Preflight). A component that does not is one line; when
// judged says its health check runs, that check fails for it and the checks
// that read it are NOT JUDGED, naming it, instead of a row of identical
// refused connections. It replaces what an earlier call marked.
func Preflight(ctx context.Context, s *harness.Stack, judged func(id string) bool) (lines []string, marked bool) {
	down := s.Preflight(ctx)
	mark := map[harness.Component]string{}
	for _, c := range harness.SortedComponents(down) {
		why := down[c].Error()
		line := "pre-flight: " + why
		if hc, ok := healthChecks[c]; ok && judged(hc) {
			mark[c] = why
			line += "; " + hc + " judges it, the other checks that read it are NOT JUDGED"
		}
		lines = append(lines, line)
	}
	s.SetUnreachable(mark)
	return lines, len(mark) > 0
}

func flagValue(name string) string {
	if f := flag.Lookup(name); f != nil {
		return f.Value.String()
	}
	return ""
}

// RunTest runs, as subtests of t, every check of the registry whose test
// function is t's and whose build level is at most level: the body of every
// suite test function.
func RunTest(t *testing.T, s *harness.Stack, suite Suite, level Tag) {
	t.Helper()
	var group []Check
	for _, c := range SuiteChecks(suite, level) {
		if c.Group == t.Name() {
			group = append(group, c)
		}
	}
	if len(group) == 0 {
		t.Fatalf("%s: no checks of suite %s at level %s are registered for this test", t.Name(), suite, level)
	}
	RunGroup(t, s, group)
}

var (
	recordMu sync.Mutex
	records  map[string]Verdict
)

func resetRecord() {
	recordMu.Lock()
	defer recordMu.Unlock()
	records = map[string]Verdict{}
}

// record keeps a verdict for the end-of-run summary.
func record(v Verdict) {
	recordMu.Lock()
	defer recordMu.Unlock()
	if records != nil {
		records[v.Check.ID()] = v
	}
}

func recorded() map[string]Verdict {
	recordMu.Lock()
	defer recordMu.Unlock()
	out := make(map[string]Verdict, len(records))
	for k, v := range records {
		out[k] = v
	}
	return out
}

// Summary is a run's end: each planned check with its outcome, and what
// keeps the run from being green.
type Summary struct {
	Plan     Plan
	Outcomes map[string]Verdict
	Missing  []string // planned checks that never reported
	Unjudged []string // checks planned to be judged that ended NOT JUDGED
	Elapsed  time.Duration
	// Code is the tests' exit code (testing.M.Run): non-zero with every
	// check passed means something failed outside the checks.
	Code int
}

// Summarize compares what ran with the plan; code is the tests' exit code.
func Summarize(p Plan, got map[string]Verdict, elapsed time.Duration, code int) Summary {
	s := Summary{Plan: p, Outcomes: got, Elapsed: elapsed, Code: code}
	for _, c := range p.Checks {
		v, ok := got[c.ID]
		switch {
		case !ok:
			s.Missing = append(s.Missing, c.ID)
		case c.Plan == PlanJudge && v.Outcome == NotJudged:
			s.Unjudged = append(s.Unjudged, c.ID)
		}
	}
	return s
}

// OK reports whether every check the plan expected to judge was judged.
func (s Summary) OK() bool { return len(s.Missing) == 0 && len(s.Unjudged) == 0 }
