package verdict

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// Event is one line of `go test -json` (test2json).
type Event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

// Outcome of one test or package.
type Outcome string

// Outcomes as test2json reports them.
const (
	Passed  Outcome = "pass"
	Failed  Outcome = "fail"
	Skipped Outcome = "skip"
)

// Result is one leaf test (a check): subtests are what the checklist
// counts; a parent test passes only if all its children do.
type Result struct {
	Package string
	Test    string
	Outcome Outcome
	// Headline is the first line the test printed when it failed or
	// skipped: the check's "want X, got Y", or its skip reason.
	Headline string
}

// Run is everything one `go test -json` stream said.
type Run struct {
	Results []Result
	// Broken lists packages that failed outside any test: a build error,
	// or a TestMain that could not get its stack.
	Broken map[string]string
}

// Parse reads a `go test -json` stream. Lines that are not JSON (a build
// tool's chatter) are ignored.
func Parse(r io.Reader) (Run, error) {
	type key struct{ pkg, test string }
	final := map[key]Outcome{}
	output := map[key][]string{}
	pkgOut := map[string][]string{}
	pkgFail := map[string]bool{}
	var order []key
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var e Event
		if err := json.Unmarshal(line, &e); err != nil {
			continue
		}
		k := key{e.Package, e.Test}
		switch e.Action {
		case "output":
			if e.Test == "" {
				pkgOut[e.Package] = append(pkgOut[e.Package], e.Output)
			} else {
				output[k] = append(output[k], e.Output)
			}
		case "pass", "fail", "skip":
			if e.Test == "" {
				if e.Action == "fail" {
					pkgFail[e.Package] = true
				}
				continue
			}
			if _, seen := final[k]; !seen {
				order = append(order, k)
			}
			final[k] = Outcome(e.Action)
		}
	}
	if err := sc.Err(); err != nil {
		return Run{}, fmt.Errorf("read go test -json: %w", err)
	}
	run := Run{Broken: map[string]string{}}
	parents := map[key]bool{}
	for k := range final {
		if i := strings.LastIndex(k.test, "/"); i > 0 {
			parents[key{k.pkg, k.test[:i]}] = true
		}
	}
	failedInTest := map[string]bool{}
	for _, k := range order {
		if parents[k] {
			continue
		}
		res := Result{Package: k.pkg, Test: k.test, Outcome: final[k]}
		if res.Outcome != Passed {
			res.Headline = headline(output[k])
		}
		if res.Outcome == Failed {
			failedInTest[k.pkg] = true
		}
		run.Results = append(run.Results, res)
	}
	for pkg := range pkgFail {
		if !failedInTest[pkg] {
			run.Broken[pkg] = headline(pkgOut[pkg])
		}
	}
	return run, nil
}

// sourcePrefix is the "check.go:165: " testing puts before a test's output.
var sourcePrefix = regexp.MustCompile(`^\S+\.go:\d+: `)

// headline picks the first line a test printed that is not go test's own
// bookkeeping (=== RUN, --- FAIL, ...).
func headline(lines []string) string {
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- ") || t == "PASS" || t == "FAIL" ||
			strings.HasPrefix(t, "FAIL\t") || strings.HasPrefix(t, "ok ") {
			continue
		}
		return sourcePrefix.ReplaceAllString(t, "")
	}
	return ""
}

// Gate is the pass-rate rule.
type Gate struct {
	MinPassRate float64 // 0.95: the checklist's ">95 % pass rate (21+/25)"
	RequireAll  bool    // every check must pass (the critical suite's rule)
	// Critical tells the checks that must pass whatever the rate (the
	// checklist's critical tests: "all tests pass"). Nil: none.
	Critical func(test string) bool
}

// GateResult is the gate's judgement.
type GateResult struct {
	Passed, Failed, Skipped int
	Rate                    float64 // passed / (passed + failed)
	OK                      bool
	Reasons                 []string
	Failures                []Result
}

// Judge applies the gate. Skipped checks are reported but do not count
// either way (an absent component is not a failed one); no judged checks,
// or a package that broke outside its tests, fails the gate.
func (g Gate) Judge(run Run) GateResult {
	var r GateResult
	for _, res := range run.Results {
		switch res.Outcome {
		case Passed:
			r.Passed++
		case Failed:
			r.Failed++
			r.Failures = append(r.Failures, res)
		case Skipped:
			r.Skipped++
		}
	}
	judged := r.Passed + r.Failed
	if judged > 0 {
		r.Rate = float64(r.Passed) / float64(judged)
	}
	pkgs := make([]string, 0, len(run.Broken))
	for p := range run.Broken {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, p := range pkgs {
		r.Reasons = append(r.Reasons, fmt.Sprintf("package %s failed outside its tests: %s", p, run.Broken[p]))
	}
	for _, f := range r.Failures {
		if g.Critical != nil && g.Critical(f.Test) {
			r.Reasons = append(r.Reasons, fmt.Sprintf("critical check %s failed", f.Test))
		}
	}
	switch {
	case judged == 0:
		r.Reasons = append(r.Reasons, "no check passed or failed: nothing was judged")
	case g.RequireAll && r.Failed > 0:
		r.Reasons = append(r.Reasons, fmt.Sprintf("%d of %d checks failed; every check must pass", r.Failed, judged))
	case r.Rate < g.MinPassRate:
		r.Reasons = append(r.Reasons, fmt.Sprintf("pass rate %.1f%% (%d/%d) is below %.1f%%", 100*r.Rate, r.Passed, judged, 100*g.MinPassRate))
	}
	r.OK = len(r.Reasons) == 0
	return r
}

// Summary is the gate's one-line verdict.
func (r GateResult) Summary() string {
	verdict := "PASS"
	if !r.OK {
		verdict = "FAIL"
	}
	return fmt.Sprintf("GATE %s: %d/%d checks passed (%.1f%%), %d skipped", verdict, r.Passed, r.Passed+r.Failed, 100*r.Rate, r.Skipped)
}
