package verdict

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/smokestack-dev/smokestack/checks"
	"github.com/smokestack-dev/smokestack/harness"
)

// MonitorRound is one round of the checklist's monitoring script against a
// live stack: service health, the smoke checks (read-only ones: a monitor
// never changes the deployment), host resources when that check is
// registered, and the rollback triggers. It returns the report and the
// decision.
func MonitorRound(ctx context.Context, s *harness.Stack, window string, gate Gate) (string, Decision) {
	var run []checks.Check
	for _, g := range checks.SmokeGroups {
		for _, c := range g {
			if !c.Mutates {
				run = append(run, c)
			}
		}
	}
	smoke := run
	resources, hasResources := checks.ByID("TestPerformanceBaseline/system_resources")
	if hasResources {
		run = append(append([]checks.Check{}, run...), resources)
	}
	vs := checks.EvaluateAll(ctx, s, run)

	var b strings.Builder
	fmt.Fprintf(&b, "==================== PRODUCTION HEALTH CHECK ====================\n")
	fmt.Fprintf(&b, "Timestamp: %s\n%s\n\n1. Service Health:\n", time.Now().UTC().Format(time.RFC3339), s.Describe())
	for _, c := range checks.Infrastructure {
		fmt.Fprintf(&b, "   %s\n", line(c, vs[c.ID()]))
	}
	g := gate.Judge(FromVerdicts("monitor", smoke, vs))
	fmt.Fprintf(&b, "\n2. Smoke checks: %s\n", g.Summary())
	for _, f := range g.Failures {
		fmt.Fprintf(&b, "   FAIL %s: %s\n", f.Test, harness.RedactText(f.Headline))
	}
	fmt.Fprintf(&b, "\n3. Host resources:\n")
	if hasResources {
		fmt.Fprintf(&b, "   %s\n", line(resources, vs[resources.ID()]))
	} else {
		fmt.Fprintf(&b, "   (no resource check registered)\n")
	}
	var triggers []TriggerResult
	if s.Has(harness.Prometheus) {
		triggers = ReadTriggersE(ctx, s.Prometheus(), Triggers(window))
	}
	d := Decide(g, triggers)
	if hasResources && vs[resources.ID()].Outcome == checks.Fail && d.Decision != Rollback {
		d.Decision = Hold
		d.Reasons = append(d.Reasons, "host resources over their limits: "+errText(vs[resources.ID()].Err))
	}
	if !s.Has(harness.Prometheus) && d.Decision == Ship {
		d.Decision = Hold
		d.Reasons = append(d.Reasons, "no Prometheus configured: the rollback triggers cannot be read ("+harness.Env.PrometheusURL+")")
	}
	fmt.Fprintf(&b, "\n4. %s", d)
	fmt.Fprintf(&b, "==============================================================\n\n")
	return b.String(), d.Decision
}

// line is one check's line in the report: ok, FAIL or SKIP with the headline.
func line(c checks.Check, v checks.Verdict) string {
	switch v.Outcome {
	case checks.Pass:
		return "ok   " + c.Name
	case checks.NotApplicable, checks.NotJudged:
		return "SKIP " + c.Name + ": " + strings.TrimPrefix(errText(v.Err), "skipped: ")
	}
	return "FAIL " + c.Name + ": " + harness.RedactText(errText(v.Err))
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return strings.SplitN(err.Error(), "\n", 2)[0]
}
