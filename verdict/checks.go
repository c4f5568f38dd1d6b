package verdict

import (
	"strings"

	"github.com/smokestack-dev/smokestack/checks"
)

// FromVerdicts is the Run of checks evaluated in-process (smokestack
// monitor), in the same shape as one parsed from go test -json.
func FromVerdicts(pkg string, cs []checks.Check, vs map[string]checks.Verdict) Run {
	run := Run{Broken: map[string]string{}}
	for _, c := range cs {
		v, ok := vs[c.ID()]
		if !ok {
			continue
		}
		res := Result{Package: pkg, Test: c.ID()}
		switch v.Outcome {
		case checks.Pass:
			res.Outcome = Passed
		case checks.NotApplicable, checks.NotJudged:
			res.Outcome = Skipped
		default: // a failure, or a defect of the check: not a pass either way
			res.Outcome = Failed
		}
		if v.Err != nil {
			res.Headline = strings.SplitN(v.Err.Error(), "\n", 2)[0]
		}
		run.Results = append(run.Results, res)
	}
	return run
}
