package verdict

import (
	"errors"

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
	p := Package{Name: pkg, Begun: true, PlanEnded: true, Status: "pass", Tests: len(cs),
		Plan: checks.Plan{Begin: begin}, PlanEnd: checks.PlanLine{Kind: checks.PlanEnd, Checks: len(cs)}}
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
		p.Plan.Checks = append(p.Plan.Checks, line)
		res := Result{Package: pkg, Test: c.ID(), Planned: line.Plan, Critical: line.Critical}
		v, ok := vs[c.ID()]
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
	return Run{Packages: []Package{p}}
}
