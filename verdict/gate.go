package verdict

import (
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/smokestack-dev/smokestack/checks"
)

// Gate is the rule a run's checks must meet: the pass rate, every check
// (RequireAll), every critical check, and complete evidence.
type Gate struct {
	MinPassRate float64 // 0.95: the checklist's ">95 % pass rate (21+/25)"
	RequireAll  bool    // every check must pass (the critical suite's rule)
	// Critical tells the checks that must pass whatever the rate, besides
	// those the plan marks critical (checks.IsCritical). Nil: only the
	// plan's.
	Critical func(test string) bool
}

// GateDecision is the gate's answer.
type GateDecision string

// Gate decisions. HOLD: the evidence is incomplete (a cut or killed run, a
// package that could not run, a check that must be judged and was not);
// it is never a pass.
const (
	GatePass GateDecision = "PASS"
	GateFail GateDecision = "FAIL"
	GateHold GateDecision = "HOLD"
)

// GateResult is the gate's judgement with its evidence.
type GateResult struct {
	Decision GateDecision
	// OK is Decision == GatePass.
	OK bool
	// Counts over every package's checks. Rate is Passed / (Passed +
	// Failed), the judged checks.
	Passed, Failed, NotApplicable, NotJudged, Missing int
	Rate                                              float64
	// Listed is every check that did not pass, in the order the report
	// lists them: FAIL, MISSING, NOT JUDGED, NOT APPLICABLE.
	Listed []Result
	// Failures are the failed checks (also in Listed).
	Failures []Result
	// Reasons say why the decision is not PASS: the failure reasons first,
	// then what is missing.
	Reasons []string
	// Narrowed says which packages were narrowed by -run/-skip and to how
	// many of the suite's checks: "narrowed by -run 'X': 3 of 36 checks".
	Narrowed []string
	// Checks is every check judged, passed ones too, in stream order with
	// Critical as the gate saw it: a report for CI lists them all, not
	// only those Listed.
	Checks []Result
	// Packages are the packages the gate judged (not those without test
	// files), so a report can show a package that failed outside its
	// checks.
	Packages []PackageResult
	// MinPassRate and RequireAll are the rule that was applied, kept so a
	// report read later says what it was judged against.
	MinPassRate float64
	RequireAll  bool
}

// PackageResult is how one judged package ended.
type PackageResult struct {
	Name    string // the import path
	Suite   string // the suite its plan names ("smoke"); "" without a plan
	Status  string // "pass", "fail", or "" when the stream ends before it
	Error   string // why it failed (Package.Error), when it did
	Elapsed time.Duration
}

// Judge applies the gate to a run.
//
// FAIL: a critical check failed (the plan's critical flag, or
// Gate.Critical); with RequireAll, any check failed; or the pass rate
// cannot reach MinPassRate even if every missing check passed.
//
// Otherwise HOLD when evidence is missing: a package with tests but no
// plan, a plan cut before its end, a planned check that never ended, a
// check the plan expected to judge that ended NOT JUDGED, a critical check
// NOT JUDGED, a package that failed outside its checks (the reason quotes
// its error line), a package whose result the stream does not contain, or
// nothing judged at all.
//
// Otherwise PASS. NOT APPLICABLE checks and non-critical checks NOT JUDGED
// by configuration (the plan said so before they ran) do not block it; all
// of them are listed with their reasons.
func (g Gate) Judge(run Run) GateResult {
	r := GateResult{MinPassRate: g.MinPassRate, RequireAll: g.RequireAll}
	var fail, hold []string
	byOutcome := map[Outcome][]Result{}
	names := displayNames(run.Packages)
	for _, p := range run.Packages {
		name := names[p.Name]
		if !p.Begun && p.Tests == 0 && p.Status != "fail" && p.Status != "" {
			continue // no test files, no tests: not part of the verdict
		}
		pr := PackageResult{Name: p.Name, Suite: p.Plan.Begin.Suite, Status: p.Status, Elapsed: p.Elapsed}
		if p.Status != "pass" {
			pr.Error = p.Error
		}
		r.Packages = append(r.Packages, pr)
		var missing, unjudged []string
		plannedUnjudged := false
		for _, c := range p.Checks {
			c.Critical = c.Critical || (g.Critical != nil && g.Critical(c.Test))
			r.Checks = append(r.Checks, c)
			byOutcome[c.Outcome] = append(byOutcome[c.Outcome], c)
			switch c.Outcome {
			case Fail:
				if c.Critical {
					fail = append(fail, fmt.Sprintf("critical check %s failed", c.Test))
				}
			case Missing:
				missing = append(missing, c.Test)
			case NotJudged:
				// The binary fails its run for a check it planned to
				// judge and did not: that explains a failed package.
				plannedUnjudged = plannedUnjudged || c.Planned == checks.PlanJudge
				switch {
				case c.Critical:
					hold = append(hold, fmt.Sprintf("critical check %s NOT JUDGED: %s", c.Test, c.Headline))
				case c.Planned == checks.PlanJudge:
					unjudged = append(unjudged, c.Test)
				}
			}
		}
		explained := len(missing) > 0 || plannedUnjudged || len(p.Stray) > 0
		for _, c := range p.Checks {
			if c.Outcome == Fail {
				explained = true
			}
		}
		switch {
		case !p.Begun && p.Tests > 0:
			hold = append(hold, fmt.Sprintf("package %s stated no plan: not a smokestack suite, or the stream was cut before it", name))
		case p.Begun && !p.PlanEnded:
			hold = append(hold, fmt.Sprintf("package %s: plan cut: its begin line has no end line (%d of %d check lines seen)", name, len(p.Plan.Checks), p.Plan.Begin.Checks))
		}
		for _, e := range p.PlanErrors {
			hold = append(hold, fmt.Sprintf("package %s: plan inconsistent: %s", name, e))
		}
		if len(missing) > 0 {
			why := "truncated or killed run"
			if p.Panic != "" {
				why += "; " + p.Panic
			}
			hold = append(hold, fmt.Sprintf("%d planned checks never ended (%s): %s", len(missing), why, strings.Join(missing, ", ")))
		}
		if len(unjudged) > 0 {
			hold = append(hold, fmt.Sprintf("%d checks the plan expected to judge ended NOT JUDGED: %s", len(unjudged), strings.Join(unjudged, ", ")))
		}
		for _, s := range p.Stray {
			hold = append(hold, fmt.Sprintf("package %s: test %s", name, s))
		}
		switch {
		case p.Status == "":
			hold = append(hold, fmt.Sprintf("package %s: the stream ends before its result (cut or killed run)", name))
		case p.Status == "fail" && !explained:
			hold = append(hold, fmt.Sprintf("package %s failed outside its tests: %s", name, orDefault(p.Error, "no error line in its output")))
		}
		if b := p.Plan.Begin; p.Begun && (b.Run != "" || b.Skip != "") && b.Checks < b.SuiteChecks {
			sel := ""
			if b.Run != "" {
				sel += fmt.Sprintf(" -run '%s'", b.Run)
			}
			if b.Skip != "" {
				sel += fmt.Sprintf(" -skip '%s'", b.Skip)
			}
			n := fmt.Sprintf("narrowed by%s: %d of %d checks", sel, b.Checks, b.SuiteChecks)
			if len(run.Packages) > 1 {
				n = name + " " + n
			}
			r.Narrowed = append(r.Narrowed, n)
		}
	}
	r.Passed, r.Failed = len(byOutcome[Pass]), len(byOutcome[Fail])
	r.NotApplicable, r.NotJudged, r.Missing = len(byOutcome[NotApplicable]), len(byOutcome[NotJudged]), len(byOutcome[Missing])
	r.Failures = byOutcome[Fail]
	for _, o := range []Outcome{Fail, Missing, NotJudged, NotApplicable} {
		r.Listed = append(r.Listed, byOutcome[o]...)
	}
	judged := r.Passed + r.Failed
	if judged > 0 {
		r.Rate = float64(r.Passed) / float64(judged)
	}
	if g.RequireAll && r.Failed > 0 {
		fail = append(fail, fmt.Sprintf("%d of %d checks failed; -all: every check must pass", r.Failed, judged))
	}
	if best := r.Passed + r.Failed + r.Missing; best > 0 {
		atBest := float64(r.Passed+r.Missing) / float64(best)
		switch {
		case atBest >= g.MinPassRate:
		case r.Missing == 0:
			fail = append(fail, fmt.Sprintf("pass rate %.1f%% (%d/%d) is below %.1f%%", 100*r.Rate, r.Passed, judged, 100*g.MinPassRate))
		default:
			fail = append(fail, fmt.Sprintf("pass rate cannot reach %.1f%% even if the %d missing checks passed: at best %d/%d (%.1f%%)",
				100*g.MinPassRate, r.Missing, r.Passed+r.Missing, best, 100*atBest))
		}
	}
	if judged == 0 {
		hold = append(hold, "no check passed or failed: nothing was judged")
	}
	r.Reasons = append(fail, hold...)
	switch {
	case len(fail) > 0:
		r.Decision = GateFail
	case len(hold) > 0:
		r.Decision = GateHold
	default:
		r.Decision = GatePass
	}
	r.OK = r.Decision == GatePass
	return r
}

// displayNames names packages by their last path element, or in full when
// two share it.
func displayNames(pkgs []Package) map[string]string {
	count := map[string]int{}
	for _, p := range pkgs {
		count[path.Base(p.Name)]++
	}
	out := map[string]string{}
	for _, p := range pkgs {
		out[p.Name] = p.Name
		if count[path.Base(p.Name)] == 1 {
			out[p.Name] = path.Base(p.Name)
		}
	}
	return out
}

// maxReason bounds one reason in a report: on-call reads a screen, not a log.
const maxReason = 200

func clip(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) <= maxReason {
		return s
	}
	cut := maxReason
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
