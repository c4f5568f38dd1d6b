package verdict

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/smokestack-dev/smokestack/checks"
	"github.com/smokestack-dev/smokestack/harness"
)

// Event is one line of `go test -json` (test2json). Build output (Go 1.24+)
// comes as Action "build-output" with ImportPath, and the package's fail
// event names the failed build in FailedBuild.
type Event struct {
	Action      string
	Package     string
	Test        string
	Output      string
	Elapsed     float64
	ImportPath  string `json:",omitempty"`
	FailedBuild string `json:",omitempty"`
}

// Outcome of one check, as the gate counts it: the four outcomes of
// package checks (a Defect counts as a failure), and Missing for a planned
// check that never ended.
type Outcome string

// Outcomes: the words of package checks, so that a check's outcome reads
// the same in its own line and in the gate's report.
const (
	Pass          = Outcome(checks.Pass)
	Fail          = Outcome(checks.Fail)
	NotApplicable = Outcome(checks.NotApplicable)
	NotJudged     = Outcome(checks.NotJudged)
	Missing       = Outcome("MISSING")
)

// FromCheck maps a checks.Outcome to the gate's: a Defect of the check is a
// failure, anything unknown is not judged.
func FromCheck(o checks.Outcome) Outcome {
	switch o {
	case checks.Pass:
		return Pass
	case checks.Fail, checks.Defect:
		return Fail
	case checks.NotApplicable:
		return NotApplicable
	}
	return NotJudged
}

// Result is one check: a leaf subtest "Group/name".
type Result struct {
	Package string
	Test    string
	Outcome Outcome
	// Planned is the plan line's planned outcome (checks.PlanJudge,
	// PlanNotApplicable, PlanNotJudged); "" when the package stated no plan.
	Planned string
	// Critical is the plan line's critical flag (the gate also asks
	// Gate.Critical).
	Critical bool
	// Started: the check began (a run event), whether or not it ended.
	Started bool
	// Headline is the why: the first line a failed check printed ("want X,
	// got Y"), the reason of a NOT APPLICABLE or NOT JUDGED, or why a
	// check is missing.
	Headline string
	// Message is what the check printed, whole, without go test's own
	// lines: a report for CI keeps the evidence that Headline shortens to
	// one line. Empty for a check that passed: its log proves nothing.
	Message string
	// Elapsed is how long the check ran, as go test or the in-process
	// runner measured it; Timed says it was measured at all (a check that
	// never ended has no duration, which is not a duration of 0).
	Elapsed time.Duration
	Timed   bool
}

// Package is everything the stream said about one test package: its plan,
// each check's result, and how the package itself ended.
type Package struct {
	Name string
	// Plan is the plan the package stated (checks.PlanPrefix lines).
	// Begun: its begin line was seen; PlanEnded: its end line too.
	Plan      checks.Plan
	Begun     bool
	PlanEnded bool
	// PlanEnd is the end line (its Checks repeats the plan's size).
	PlanEnd checks.PlanLine
	// PlanErrors lists inconsistencies of the plan (a second begin, counts
	// that disagree): the plan cannot be trusted.
	PlanErrors []string
	// Checks are the planned checks in plan order; without a plan, the leaf
	// tests in the order they started.
	Checks []Result
	// Stray lists tests that failed while no check under them did and that
	// are not planned checks: "TestX: headline".
	Stray []string
	// Status is how the package ended: "pass", "fail", "skip" (no test
	// files), or "" when the stream ends before it.
	Status string
	// Error is the line that says why the package failed: its
	// "smokestack: error: " line, else its first "panic: " line, else its
	// build output, else its last line that is not bookkeeping.
	Error string
	// Panic is the first "panic: " line anywhere in the package's output.
	Panic string
	// Tests counts the tests the stream reported for this package.
	Tests int
	// Elapsed is the package's run time from its result event (0 without
	// one).
	Elapsed time.Duration
}

// Run is everything one `go test -json` stream said, package by package in
// the order they appeared.
type Run struct {
	Packages []Package
}

// ErrNoEvents is Parse's answer to an input without a single go test -json
// event: plain go test output, an empty file.
var ErrNoEvents = errors.New("no go test -json events in the input: did you forget -json? (go test -json ./smoke | smokestack gate)")

// maxLine bounds one input line; a longer one is dropped (as not JSON).
const maxLine = 64 << 20

// pkgState collects one package's events while the stream is read.
type pkgState struct {
	name      string
	out       strings.Builder // package-level output, in order
	testOut   map[string]*strings.Builder
	started   map[string]bool
	ended     map[string]string // test -> pass, fail, skip
	elapsed   map[string]float64
	order     []string // tests in first-seen order
	status    string
	pkgTime   float64
	buildPath string // FailedBuild
}

// Parse reads a `go test -json` stream. Lines that are not JSON events (a
// build tool's chatter, go's own "# pkg" build errors on stderr) are
// skipped, and a cut last line is ignored. An input with no event at all is
// ErrNoEvents.
func Parse(r io.Reader) (Run, error) {
	pkgs := map[string]*pkgState{}
	var order []string
	build := map[string]*strings.Builder{}      // ImportPath -> build-output
	plainBuild := map[string]*strings.Builder{} // "# pkg" blocks outside JSON
	var plainCurrent string
	events := 0
	pkg := func(name string) *pkgState {
		p, ok := pkgs[name]
		if !ok {
			p = &pkgState{name: name, testOut: map[string]*strings.Builder{}, started: map[string]bool{}, ended: map[string]string{}, elapsed: map[string]float64{}}
			pkgs[name] = p
			order = append(order, name)
		}
		return p
	}
	handle := func(line string) {
		trimmed := strings.TrimSpace(line)
		var e Event
		if !strings.HasPrefix(trimmed, "{") || json.Unmarshal([]byte(trimmed), &e) != nil || e.Action == "" {
			// Not an event. Go before 1.24 writes build errors as plain
			// "# pkg" blocks; keep them in case a package failed its build.
			if h, ok := strings.CutPrefix(trimmed, "# "); ok {
				plainCurrent = strings.Fields(h + " ")[0]
				plainBuild[plainCurrent] = &strings.Builder{}
			} else if plainCurrent != "" && trimmed != "" {
				plainBuild[plainCurrent].WriteString(trimmed + "\n")
			}
			return
		}
		events++
		plainCurrent = ""
		switch {
		case e.Action == "build-output" || e.Action == "build-fail":
			b, ok := build[e.ImportPath]
			if !ok {
				b = &strings.Builder{}
				build[e.ImportPath] = b
			}
			b.WriteString(e.Output)
			return
		case e.Package == "":
			return
		}
		p := pkg(e.Package)
		p.see(e.Test)
		switch e.Action {
		case "output":
			if e.Test == "" {
				p.out.WriteString(e.Output)
			} else {
				p.testOut[e.Test].WriteString(e.Output)
			}
		case "run":
			if e.Test != "" {
				p.started[e.Test] = true
			}
		case "pass", "fail", "skip":
			if e.Test != "" {
				p.ended[e.Test] = e.Action
				p.elapsed[e.Test] = e.Elapsed
				return
			}
			p.status, p.pkgTime = e.Action, e.Elapsed
			if e.FailedBuild != "" {
				p.buildPath = e.FailedBuild
			}
		}
	}
	br := bufio.NewReaderSize(r, 1<<16)
	for {
		line, err := readLine(br)
		if line != "" {
			handle(line)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return Run{}, fmt.Errorf("read go test -json: %w", err)
		}
	}
	if events == 0 {
		return Run{}, ErrNoEvents
	}
	var run Run
	for _, name := range order {
		p := pkgs[name]
		buildText := ""
		if b, ok := build[p.buildPath]; ok && p.buildPath != "" {
			buildText = b.String()
		} else if b, ok := plainBuild[name]; ok {
			buildText = b.String()
		}
		run.Packages = append(run.Packages, p.model(buildText))
	}
	return run, nil
}

// readLine reads one line without its newline; an over-long line comes back
// empty (it is not an event anyone can use).
func readLine(br *bufio.Reader) (string, error) {
	var b []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(b)+len(chunk) <= maxLine {
			b = append(b, chunk...)
		} else {
			b = b[:0:0]
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return strings.TrimRight(string(b), "\r\n"), err
	}
}

func (p *pkgState) see(test string) {
	if test == "" {
		return
	}
	if _, ok := p.testOut[test]; !ok {
		p.testOut[test] = &strings.Builder{}
		p.order = append(p.order, test)
	}
}

// completeLines splits output into lines; a last line without its newline
// (the stream was cut in it) is dropped.
func completeLines(s string) []string {
	lines := strings.Split(s, "\n")
	return lines[:len(lines)-1]
}

// model turns the collected events into the package's model.
func (p *pkgState) model(buildText string) Package {
	m := Package{Name: p.name, Status: p.status, Tests: len(p.order), Elapsed: seconds(p.pkgTime)}
	// The plan: package-level lines, reassembled across output events.
	pkgLines := completeLines(p.out.String())
	for _, l := range pkgLines {
		pl, ok := checks.ParsePlanLine(l)
		if !ok {
			continue
		}
		switch pl.Kind {
		case checks.PlanBegin:
			if m.Begun {
				m.PlanErrors = append(m.PlanErrors, "the plan is stated twice")
				continue
			}
			m.Begun, m.Plan.Begin = true, pl
		case checks.PlanCheck:
			if !m.Begun || m.PlanEnded {
				m.PlanErrors = append(m.PlanErrors, "a check line outside begin and end: "+pl.ID)
				continue
			}
			m.Plan.Checks = append(m.Plan.Checks, pl)
		case checks.PlanEnd:
			if !m.Begun || m.PlanEnded {
				m.PlanErrors = append(m.PlanErrors, "an end line without its begin")
				continue
			}
			m.PlanEnded, m.PlanEnd = true, pl
		}
	}
	if m.PlanEnded && (m.Plan.Begin.Checks != len(m.Plan.Checks) || m.PlanEnd.Checks != len(m.Plan.Checks)) {
		m.PlanErrors = append(m.PlanErrors, fmt.Sprintf("begin states %d checks, %d check lines follow, end states %d",
			m.Plan.Begin.Checks, len(m.Plan.Checks), m.PlanEnd.Checks))
	}

	// Which tests are checks: the planned ones, or without a plan the leaves.
	isCheck := map[string]bool{}
	if m.Begun {
		for _, c := range m.Plan.Checks {
			isCheck[c.ID] = true
		}
	} else {
		parents := map[string]bool{}
		for _, t := range p.order {
			for i := strings.Index(t, "/"); i > 0; i = nextSlash(t, i) {
				parents[t[:i]] = true
			}
		}
		for _, t := range p.order {
			if !parents[t] {
				isCheck[t] = true
			}
		}
	}
	result := func(id string) Result {
		r := Result{Package: p.name, Test: id, Started: p.started[id]}
		lines := completeLines(p.testOut[id].String() + "\n")
		if p.ended[id] != "" {
			r.Elapsed, r.Timed = seconds(p.elapsed[id]), true
		}
		if p.ended[id] != "pass" {
			r.Message = message(lines)
		}
		switch p.ended[id] {
		case "pass":
			r.Outcome = Pass
		case "fail":
			r.Outcome, r.Headline = Fail, headline(lines)
			if r.Headline == "" {
				r.Headline = "failed without a message"
			}
		case "skip":
			r.Outcome, r.Headline = skipOutcome(headline(lines))
		default:
			r.Outcome = Missing
			if r.Started {
				r.Headline = "started but never ended (truncated or killed run)"
			} else {
				r.Headline = "never started (truncated or killed run)"
			}
		}
		return r
	}
	if m.Begun {
		for _, c := range m.Plan.Checks {
			if _, ok := p.testOut[c.ID]; !ok {
				p.testOut[c.ID] = &strings.Builder{}
			}
			r := result(c.ID)
			r.Planned, r.Critical = c.Plan, c.Critical
			m.Checks = append(m.Checks, r)
		}
	} else {
		for _, t := range p.order {
			if isCheck[t] {
				m.Checks = append(m.Checks, result(t))
			}
		}
	}
	// A failed test that is not a check is explained by a failed test
	// under it; otherwise it failed on its own (a TestMain-level t.Fatal, a
	// test that is not in the plan).
	for _, t := range p.order {
		if p.ended[t] != "fail" || isCheck[t] {
			continue
		}
		explained := false
		for _, u := range p.order {
			if strings.HasPrefix(u, t+"/") && p.ended[u] == "fail" {
				explained = true
				break
			}
		}
		if !explained {
			m.Stray = append(m.Stray, t+": "+orDefault(headline(completeLines(p.testOut[t].String()+"\n")), "failed without a message"))
		}
	}

	// Why the package failed, and any panic it printed.
	m.Panic = firstWithPrefix(pkgLines, "panic: ")
	if m.Panic == "" {
		for _, t := range p.order {
			if l := firstWithPrefix(completeLines(p.testOut[t].String()), "panic: "); l != "" {
				m.Panic = l
				break
			}
		}
	}
	switch {
	case firstWithPrefix(pkgLines, harness.ErrorPrefix) != "":
		m.Error = firstWithPrefix(pkgLines, harness.ErrorPrefix)
	case m.Panic != "":
		m.Error = m.Panic
	case buildError(buildText, true) != "":
		m.Error = "build failed: " + buildError(buildText, true)
	case buildError(strings.Join(pkgLines, "\n"), false) != "":
		m.Error = "build failed: " + buildError(strings.Join(pkgLines, "\n"), false)
	default:
		m.Error = lastNonBookkeeping(pkgLines)
	}
	return m
}

func seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(time.Microsecond)
}

// message is a test's output without go test's "=== RUN" and "--- FAIL"
// lines and without the indentation testing adds to every logged line;
// blank lines at either end are dropped, the rest is kept as printed.
func message(lines []string) string {
	var kept []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- ") {
			continue
		}
		kept = append(kept, strings.TrimRight(strings.TrimPrefix(l, "    "), " \t\r"))
	}
	for len(kept) > 0 && kept[0] == "" {
		kept = kept[1:]
	}
	for len(kept) > 0 && kept[len(kept)-1] == "" {
		kept = kept[:len(kept)-1]
	}
	return strings.Join(kept, "\n")
}

func nextSlash(s string, i int) int {
	j := strings.Index(s[i+1:], "/")
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// skipOutcome reads a skip's first line: "NOT APPLICABLE: why" or "NOT
// JUDGED: why"; any other skip is NOT JUDGED with its text as the reason.
func skipOutcome(first string) (Outcome, string) {
	if r, ok := strings.CutPrefix(first, string(checks.NotApplicable)+": "); ok {
		return NotApplicable, r
	}
	if r, ok := strings.CutPrefix(first, string(checks.NotJudged)+": "); ok {
		return NotJudged, r
	}
	if first == "" {
		return NotJudged, "skipped without a reason"
	}
	return NotJudged, "skipped: " + first
}

// sourcePrefix is the "check.go:165: " testing puts before a test's output.
var sourcePrefix = regexp.MustCompile(`^\S+\.go:\d+:(\s+|$)`)

// bookkeeping reports whether a line is go test's own (=== RUN, --- FAIL,
// the package's ok/FAIL line).
func bookkeeping(t string) bool {
	return t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- ") || t == "PASS" || t == "FAIL" ||
		strings.HasPrefix(t, "FAIL\t") || strings.HasPrefix(t, "ok ") || strings.HasPrefix(t, "ok\t") ||
		strings.HasPrefix(t, "exit status ") || strings.HasPrefix(t, "?   \t")
}

// headline picks the first line a test printed that is not bookkeeping,
// without its source prefix.
func headline(lines []string) string {
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if bookkeeping(t) {
			continue
		}
		if h := strings.TrimSpace(sourcePrefix.ReplaceAllString(t, "")); h != "" {
			return h
		}
	}
	return ""
}

func firstWithPrefix(lines []string, prefix string) string {
	for _, l := range lines {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, prefix) {
			return t
		}
	}
	return ""
}

// buildError is the first line of build output that is not its "# pkg"
// header or go's "[build failed]" line. Go 1.24+ build-output events may
// come without the header (headerless); package output and plain lines
// only count after a "# pkg" header.
func buildError(text string, headerless bool) string {
	header := headerless
	for _, l := range strings.Split(text, "\n") {
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, "# "):
			header = true
		case header && t != "" && !strings.HasSuffix(t, "[build failed]") && !bookkeeping(t):
			return t
		}
	}
	return ""
}

// lastNonBookkeeping is the last line of package output worth quoting: not
// go test's bookkeeping, not the plan, not the harness's info lines
// ("smokestack: ..."), not the suite's summary (SummaryText, from its
// first line on), not a stack trace.
func lastNonBookkeeping(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(strings.TrimSpace(lines[i]), SummaryPrefix) {
			lines = lines[:i]
		}
	}
	for i := len(lines) - 1; i >= 0; i-- {
		t := strings.TrimSpace(lines[i])
		if bookkeeping(t) || strings.HasPrefix(t, checks.PlanPrefix) || strings.HasPrefix(t, "smokestack: ") ||
			strings.HasPrefix(lines[i], "\t") || strings.HasPrefix(t, "goroutine ") {
			continue
		}
		return t
	}
	return ""
}
