package verdict

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/smokestack-dev/smokestack/checks"
	"github.com/smokestack-dev/smokestack/harness"
)

// FromVerdicts is the Run of checks evaluated in-process (smokestack
// monitor), in the same shape as one parsed from go test -json: one package
// with a complete plan and each check's verdict mapped to the gate's
// outcomes. The plan states, before the verdicts are read, what scope says
// of each check, as a test binary states it with checks.Scope: nil to judge
// it, a checks.NotApplicableError for not applicable, any other error for
// not judged by configuration. A nil scope plans every check to be judged.
// A check of cs without a verdict in vs is MISSING. s, when not nil, only
// describes the target in the plan's begin line.
func FromVerdicts(pkg string, s *harness.Stack, scope func(checks.Check) error, cs []checks.Check, vs map[string]checks.Verdict) Run {
	begin := checks.PlanLine{Kind: checks.PlanBegin, Suite: pkg, SuiteChecks: len(cs), Checks: len(cs)}
	if s != nil {
		profile, how := s.Profile()
		begin.Mode, begin.Profile, begin.ProfileSource, begin.Mutation = string(s.Mode()), string(profile), how, s.CanMutate()
	}
	plan := checks.Plan{Begin: begin}
	for _, c := range cs {
		line := checks.PlanLine{Kind: checks.PlanCheck, ID: c.ID(), Critical: checks.IsCritical(c.ID()), Plan: checks.PlanJudge}
		if scope != nil {
			if err := scope(c); err != nil {
				line.Reason = checks.Reason(err)
				line.Plan = checks.PlanNotJudged
				var na *checks.NotApplicableError
				if errors.As(err, &na) {
					line.Plan = checks.PlanNotApplicable
				}
			}
		}
		plan.Checks = append(plan.Checks, line)
	}
	return Run{Packages: []Package{fromPlan(pkg, plan, vs, "")}}
}

// fromPlan is one package that stated plan and whose checks ended as vs
// says; failed, when not empty, says why the package itself failed.
func fromPlan(pkg string, plan checks.Plan, vs map[string]checks.Verdict, failed string) Package {
	p := Package{Name: pkg, Begun: true, PlanEnded: true, Status: "pass", Tests: len(plan.Checks),
		Plan: plan, PlanEnd: checks.PlanLine{Kind: checks.PlanEnd, Checks: len(plan.Checks)}}
	if failed != "" {
		p.Status, p.Error = "fail", failed
	}
	for _, line := range plan.Checks {
		res := Result{Package: pkg, Test: line.ID, Planned: line.Plan, Critical: line.Critical}
		v, ok := vs[line.ID]
		if !ok {
			res.Outcome, res.Headline = Missing, "never evaluated"
		} else {
			res.Started = true
			res.Outcome = FromCheck(v.Outcome)
			res.Headline = checks.Reason(v.Err)
			if v.Err != nil && res.Outcome != Pass {
				res.Message = v.Err.Error()
			}
			// A verdict the scope decided never ran: it has no duration.
			res.Elapsed, res.Timed = v.Elapsed, v.Elapsed > 0
			if res.Outcome == Fail && res.Headline == "" {
				res.Headline = "failed without a message"
			}
		}
		p.Checks = append(p.Checks, res)
	}
	return p
}

// SummaryPrefix starts the first line of a suite binary's end-of-run
// summary; the stream parser knows the lines under it are not evidence.
const SummaryPrefix = "smokestack summary"

// SummaryText is a suite binary's end-of-run summary (checks.Main's
// render): the gate's own report over the binary's checks under the
// critical suite's rule — every check must pass, every expected check must
// be judged — so that go test, gate, verdict and monitor tell a run the
// same way, in the same words.
func SummaryText(s checks.Summary) string {
	failed := ""
	if s.Code != 0 {
		failed = "the test binary failed (exit " + fmt.Sprint(s.Code) + "); see its output above"
	}
	run := Run{Packages: []Package{fromPlan(s.Plan.Begin.Suite, s.Plan, s.Outcomes, failed)}}
	rec := Gate{RequireAll: true}.Judge(run).Record(time.Now())
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s (%s suite, profile %s, %s):\n", SummaryPrefix, s.Plan.Begin.Suite, s.Plan.Begin.Profile, s.Elapsed.Round(time.Millisecond))
	for _, l := range strings.Split(strings.TrimRight(rec.Text(), "\n"), "\n") {
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}
