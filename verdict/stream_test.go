package verdict

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/smokestack-dev/smokestack/checks"
)

// How a synthetic check ends.
const (
	endPass       = "pass"
	endFail       = "fail"
	endNA         = "na"         // skip "NOT APPLICABLE: ..."
	endNJ         = "nj"         // skip "NOT JUDGED: ..."
	endSkip       = "skip"       // a plain t.Skip
	endStarted    = "started"    // run, then nothing (killed)
	endNeverStart = "neverstart" // not even a run event
)

// spec is one check of a synthetic suite.
type spec struct {
	id       string // "TestGroup/name"
	critical bool
	plan     string // checks.PlanJudge when ""
	reason   string // the plan's reason
	end      string // endPass when ""
	msg      string // the failure headline or skip reason
}

// suite describes a synthetic test binary's run under go test -json.
type suite struct {
	pkg        string
	specs      []spec
	noPlan     bool
	run        string // -run
	suiteTotal int    // suite_checks; len(specs) when 0
	info       []string
	final      string // package result: "pass", "fail", or "" to derive it, "none" for no result
	// planEdit changes the plan lines before they are printed.
	planEdit func(lines []string) []string
	// beforeSummary adds events after the tests, before the summary.
	beforeSummary func(w *streamWriter)
}

// streamWriter emits go test -json events.
type streamWriter struct {
	b   strings.Builder
	pkg string
}

func (w *streamWriter) ev(e Event) {
	e.Package = w.pkg
	line, _ := json.Marshal(e)
	w.b.Write(line)
	w.b.WriteByte('\n')
}

// out is package-level output.
func (w *streamWriter) out(s string) { w.ev(Event{Action: "output", Output: s}) }

func (w *streamWriter) test(action, test, out string) {
	w.ev(Event{Action: action, Test: test, Output: out})
}

// planLines are the plan a binary prints.
func (s suite) planLines() []string { return s.plan().Lines() }

// plan is the plan the binary states.
func (s suite) plan() checks.Plan {
	total := s.suiteTotal
	if total == 0 {
		total = len(s.specs)
	}
	p := checks.Plan{Begin: checks.PlanLine{Kind: checks.PlanBegin, Suite: "smoke", Tags: "normal", Mode: "live",
		Profile: "full", ProfileSource: "SMOKE_PROFILE=full", Run: s.run, SuiteChecks: total, Checks: len(s.specs)}}
	for _, c := range s.specs {
		plan := c.plan
		if plan == "" {
			plan = checks.PlanJudge
		}
		p.Checks = append(p.Checks, checks.PlanLine{Kind: checks.PlanCheck, ID: c.id, Critical: c.critical, Plan: plan, Reason: c.reason})
	}
	return p
}

// summary is what checks.Main prints after the tests: SummaryText of the
// checks that ended.
func (s suite) summary(code int) string {
	outcome := map[string]checks.Outcome{endPass: checks.Pass, "": checks.Pass, endFail: checks.Fail, endNA: checks.NotApplicable, endNJ: checks.NotJudged}
	vs := map[string]checks.Verdict{}
	for _, c := range s.specs {
		if o, ok := outcome[c.end]; ok {
			v := checks.Verdict{Outcome: o, Elapsed: 10 * time.Millisecond}
			if c.msg != "" {
				v.Err = errors.New(c.msg)
			}
			vs[c.id] = v
		}
	}
	return SummaryText(checks.Summarize(s.plan(), vs, 1200*time.Millisecond, code))
}

// stream is the suite's go test -json stream, as a test binary run by
// checks.Main prints it.
func (s suite) stream() string {
	pkg := s.pkg
	if pkg == "" {
		pkg = "github.com/smokestack-dev/smokestack/smoke"
	}
	w := &streamWriter{pkg: pkg}
	w.ev(Event{Action: "start"})
	for _, l := range s.info {
		w.out(l + "\n")
	}
	if !s.noPlan {
		lines := s.planLines()
		if s.planEdit != nil {
			lines = s.planEdit(lines)
		}
		for i, l := range lines {
			if i == 1 && len(l) > 20 {
				// test2json splits long lines across output events.
				w.out(l[:20])
				w.out(l[20:] + "\n")
				continue
			}
			w.out(l + "\n")
		}
	}
	// Group the checks by test function, in order.
	var groups []string
	byGroup := map[string][]spec{}
	for _, c := range s.specs {
		g, _, _ := strings.Cut(c.id, "/")
		if _, ok := byGroup[g]; !ok {
			groups = append(groups, g)
		}
		byGroup[g] = append(byGroup[g], c)
	}
	pkgFails, killed := false, false
	for _, g := range groups {
		w.test("run", g, "")
		w.test("output", g, "=== RUN   "+g+"\n")
		groupFails, groupKilled := false, false
		for _, c := range byGroup[g] {
			if c.end == endNeverStart {
				groupKilled = true
				continue
			}
			w.test("run", c.id, "")
			w.test("output", c.id, "=== RUN   "+c.id+"\n")
			switch c.end {
			case "", endPass:
				w.test("output", c.id, "--- PASS: "+c.id+" (0.01s)\n")
				w.test("pass", c.id, "")
			case endFail:
				w.test("output", c.id, "    check.go:273: "+c.id+" on A2A service (genesis) http://127.0.0.1:8080/health: "+c.msg+"\n")
				w.test("output", c.id, "        checklist: a line\n")
				w.test("output", c.id, "--- FAIL: "+c.id+" (0.01s)\n")
				w.test("fail", c.id, "")
				groupFails = true
			case endNA, endNJ, endSkip:
				prefix := map[string]string{endNA: "NOT APPLICABLE: ", endNJ: "NOT JUDGED: ", endSkip: ""}[c.end]
				w.test("output", c.id, "    check.go:262: "+prefix+c.msg+"\n")
				w.test("output", c.id, "--- SKIP: "+c.id+" (0.00s)\n")
				w.test("skip", c.id, "")
				if c.end == endNJ && (c.plan == "" || c.plan == checks.PlanJudge) {
					pkgFails = true // the binary's own accounting fails the run
				}
			case endStarted:
				groupKilled = true
			}
		}
		switch {
		case groupKilled:
			killed = true
		case groupFails:
			w.test("output", g, "--- FAIL: "+g+" (0.02s)\n")
			w.test("fail", g, "")
			pkgFails = true
		default:
			w.test("output", g, "--- PASS: "+g+" (0.02s)\n")
			w.test("pass", g, "")
		}
	}
	if killed {
		pkgFails = true
	}
	if s.beforeSummary != nil {
		s.beforeSummary(w)
	}
	code := 0
	if pkgFails {
		code = 1
	}
	for _, l := range strings.SplitAfter(s.summary(code), "\n") {
		if l != "" {
			w.out(l)
		}
	}
	final := s.final
	if final == "" {
		final = "pass"
		if pkgFails {
			final = "fail"
		}
	}
	switch final {
	case "pass":
		w.out("ok  \t" + pkg + "\t1.234s\n")
		w.ev(Event{Action: "pass", Elapsed: 1.234})
	case "fail":
		w.out("FAIL\t" + pkg + "\t1.234s\n")
		w.ev(Event{Action: "fail", Elapsed: 1.234})
	}
	return w.b.String()
}

// healthy is a complete healthy smoke run: 25 judged checks (the first
// seven critical), two not applicable by the profile.
func healthy() suite {
	var s suite
	for i := 0; i < 25; i++ {
		g := "TestInfrastructure"
		if i >= 7 {
			g = "TestAgentCatalogue"
		}
		s.specs = append(s.specs, spec{id: fmt.Sprintf("%s/check_%02d", g, i), critical: i < 7})
	}
	s.specs = append(s.specs,
		spec{id: "TestSecuritySmoke/cycle_rejected", plan: checks.PlanNotApplicable, reason: "profile a2a", end: endNA,
			msg: "the target's profile a2a (contract parts A; SMOKE_PROFILE=a2a) does not include contract part C"},
		spec{id: "TestSecuritySmoke/dangerous_code_rejected", plan: checks.PlanNotApplicable, reason: "profile a2a", end: endNA,
			msg: "the target's profile a2a does not include contract part C"})
	return s
}

// with returns the suite with the check id changed by f.
func (s suite) with(id string, f func(*spec)) suite {
	out := s
	out.specs = append([]spec(nil), s.specs...)
	for i := range out.specs {
		if out.specs[i].id == id {
			f(&out.specs[i])
			return out
		}
	}
	panic("no check " + id)
}
