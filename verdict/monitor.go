package verdict

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/smokestack-dev/smokestack/checks"
	"github.com/smokestack-dev/smokestack/harness"
)

// MonitorRound is one round of the checklist's monitoring script against a
// live stack: service health, the smoke checks, host resources when that
// check is registered, and the rollback triggers. It returns the report and
// the decision; MonitorRoundReport also returns the evidence, for the
// machine-readable reports.
func MonitorRound(ctx context.Context, s *harness.Stack, window string, gate Gate) (string, Decision) {
	text, r := MonitorRoundReport(ctx, s, window, gate)
	return text, r.Decision
}

// MonitorRoundReport is MonitorRound with the round's verdict and its
// evidence (the gate's checks, the triggers) instead of the decision alone.
//
// A monitor never changes the deployment. Checks that mutate the target are
// never run; they stay in the round's plan as NOT JUDGED by configuration
// (or NOT APPLICABLE when out of the target's profile), so the report names
// them and says why, and the gate treats them as it treats any check a
// read-only live run cannot judge: listed, not blocking unless critical.
func MonitorRoundReport(ctx context.Context, s *harness.Stack, window string, gate Gate) (string, Report) {
	var smoke, run []checks.Check
	for _, g := range checks.SmokeGroups {
		for _, c := range g {
			smoke = append(smoke, c)
			if !c.Mutates {
				run = append(run, c)
			}
		}
	}
	resources, hasResources := checks.ByID("TestPerformanceBaseline/system_resources")
	if hasResources && !resources.Mutates {
		run = append(run, resources)
	} else {
		hasResources = false
	}
	// One outage, one failure: a component that does not answer fails its
	// health check, and the checks that read it are NOT JUDGED, naming it.
	var pre []string
	if s.Mode() == harness.Live {
		pctx, cancel := context.WithTimeout(ctx, s.Config().Timeouts.HTTP+time.Second)
		pre, _ = checks.Preflight(pctx, s, func(string) bool { return true })
		cancel()
	}
	scope := monitorScope(s)
	vs := checks.EvaluateAll(ctx, s, run)
	for _, c := range smoke {
		if c.Mutates {
			err := scope(c)
			vs[c.ID()] = checks.Verdict{Check: c, Err: err, Outcome: scopeOutcome(err)}
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "==================== PRODUCTION HEALTH CHECK ====================\n")
	fmt.Fprintf(&b, "Timestamp: %s\n%s\n", time.Now().UTC().Format(time.RFC3339), s.Describe())
	for _, l := range pre {
		fmt.Fprintf(&b, "%s\n", l)
	}
	fmt.Fprintf(&b, "\n1. Service Health:\n")
	for _, c := range checks.Infrastructure {
		fmt.Fprintf(&b, "   %s\n", line(c, vs[c.ID()]))
	}
	g := gate.Judge(FromVerdicts("monitor", s, scope, smoke, vs))
	fmt.Fprintf(&b, "\n2. Smoke checks: %s\n", g.Summary())
	for _, l := range g.CheckLines() {
		// TestInfrastructure is section 1: each failure is said once.
		if !strings.Contains(l, " TestInfrastructure/") {
			fmt.Fprintf(&b, "   %s\n", l)
		}
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
	if o := vs[resources.ID()].Outcome; hasResources && (o == checks.Fail || o == checks.Defect) && d.Decision != Rollback {
		d.Decision = Hold
		d.Reasons = append(d.Reasons, "host resources over their limits: "+errText(vs[resources.ID()].Err))
	}
	if !s.Has(harness.Prometheus) && d.Decision == Ship {
		d.Decision = Hold
		d.Reasons = append(d.Reasons, "no Prometheus configured: the rollback triggers cannot be read ("+harness.Env.PrometheusURL+")")
	}
	fmt.Fprintf(&b, "\n4. %s", d.format(false))
	fmt.Fprintf(&b, "==============================================================\n\n")
	return b.String(), d
}

// monitorScope is checks.Scope for a monitor: whatever the stack allows, a
// check that changes the target is not judged (unless it is out of scope
// anyway: then it is not applicable, with the profile's reason).
func monitorScope(s *harness.Stack) func(checks.Check) error {
	return func(c checks.Check) error {
		err := checks.Scope(s, c)
		if !c.Mutates {
			return err
		}
		var na *checks.NotApplicableError
		if errors.As(err, &na) {
			return err
		}
		return checks.CannotJudge("smokestack monitor only reads: it never runs a check that changes the target")
	}
}

// scopeOutcome is the outcome a scope error states.
func scopeOutcome(err error) checks.Outcome {
	var na *checks.NotApplicableError
	switch {
	case err == nil:
		return checks.Pass
	case errors.As(err, &na):
		return checks.NotApplicable
	}
	return checks.NotJudged
}

// line is one check's line in the report: ok, FAIL, NOT APPLICABLE or NOT
// JUDGED with the reason.
func line(c checks.Check, v checks.Verdict) string {
	switch v.Outcome {
	case checks.Pass:
		return "ok   " + c.Name
	case checks.NotApplicable, checks.NotJudged:
		return string(v.Outcome) + " " + c.Name + ": " + clip(harness.RedactText(checks.Reason(v.Err)))
	case "":
		return "MISSING " + c.Name + ": not evaluated"
	}
	return "FAIL " + c.Name + ": " + clip(harness.RedactText(strings.TrimPrefix(errText(v.Err), c.ID()+" ")))
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return strings.SplitN(err.Error(), "\n", 2)[0]
}
