package verdict

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/smokestack-dev/smokestack/checks"
	"github.com/smokestack-dev/smokestack/harness"
)

// Round is one round of the checklist's monitoring script, judged: the
// single value its report for a person (Text) and its line in the monitor
// log (Record) are both made from, so the two cannot tell different
// stories about the same round.
type Round struct {
	// Number is the round's place in a monitoring run, from 1; 0 for a
	// round on its own. Only the caller running the rounds knows it.
	Number int
	// Time is when the round was decided.
	Time time.Time
	// Target is the stack watched, as harness.Stack.Describe says it (its
	// URLs redacted).
	Target string
	// Preflight names each component that did not answer, once, before
	// the checks that read it were judged.
	Preflight []string
	// Health is section 1, TestInfrastructure's checks: said here, and left
	// out of the smoke checks' lines, so that each failure is said once.
	Health []RoundCheck
	// Resources is section 3, the host resource check; nil when none is
	// registered (or the registered one would change the target).
	Resources *RoundCheck
	// Verdict is the gate over the smoke checks (section 2), the rollback
	// triggers and the decision with its reasons (section 4), the round's
	// own reasons included: host resources over their limits, no
	// Prometheus to read the triggers from.
	Verdict Report
}

// RoundCheck is one check of a round's own sections (health, resources),
// with its reason whole and unredacted, as the check gave it: every
// renderer redacts and clips.
type RoundCheck struct {
	ID, Name string
	// Outcome is "" when the check was never evaluated.
	Outcome checks.Outcome
	// Reason is why the check did not pass: the skip's reason, or the
	// failure's first line without the check's ID; "" for a pass.
	Reason string
}

// RunRound runs one round of the monitoring script against a live stack:
// the pre-flight, service health, the smoke checks, host resources when
// that check is registered, and the rollback triggers. It prints nothing:
// the round's Text and Record say what it found.
//
// A monitor never changes the deployment. Checks that mutate the target are
// never run; they stay in the round's plan as NOT JUDGED by configuration
// (or NOT APPLICABLE when out of the target's profile), so the report names
// them and says why, and the gate treats them as it treats any check a
// read-only live run cannot judge: listed, not blocking unless critical.
func RunRound(ctx context.Context, s *harness.Stack, window string, gate Gate) Round {
	ev := roundEvidence{stack: s, scope: monitorScope(s), health: checks.Infrastructure, noPrometheus: !s.Has(harness.Prometheus)}
	var run []checks.Check
	for _, g := range checks.SmokeGroups {
		for _, c := range g {
			ev.smoke = append(ev.smoke, c)
			if !c.Mutates {
				run = append(run, c)
			}
		}
	}
	if c, ok := checks.ByID("TestPerformanceBaseline/system_resources"); ok && !c.Mutates {
		run = append(run, c)
		ev.resources = &c
	}
	// One outage, one failure: a component that does not answer fails its
	// health check, and the checks that read it are NOT JUDGED, naming it.
	if s.Mode() == harness.Live {
		pctx, cancel := context.WithTimeout(ctx, s.Config().Timeouts.HTTP+time.Second)
		ev.preflight, _ = checks.Preflight(pctx, s, func(string) bool { return true })
		cancel()
	}
	ev.verdicts = checks.EvaluateAll(ctx, s, run)
	for _, c := range ev.smoke {
		if c.Mutates {
			err := ev.scope(c)
			ev.verdicts[c.ID()] = checks.Verdict{Check: c, Err: err, Outcome: scopeOutcome(err)}
		}
	}
	if !ev.noPrometheus {
		ev.triggers = ReadTriggers(ctx, s.Prometheus(), Triggers(window))
	}
	ev.time, ev.target = time.Now().UTC(), s.Describe()
	return judgeRound(gate, ev)
}

// Record is the round as the monitor log's JSON line and the -json and
// -junit reports hold it: the verdict, kind "monitor", with its number.
func (r Round) Record() Record {
	rec := r.Verdict.Record(r.Time)
	rec.Kind, rec.Round = KindMonitor, r.Number
	return rec
}

// roundEvidence is what a round saw before anything is judged: the part of
// a round that needs the network, so the judging can be tested on canned
// verdicts.
type roundEvidence struct {
	time      time.Time
	target    string
	preflight []string
	// stack only describes the target in the gate's plan; nil in tests.
	stack *harness.Stack
	scope func(checks.Check) error
	// health are section 1's checks (checks.Infrastructure), also in smoke.
	health []checks.Check
	// smoke are the smoke suite's checks, mutating ones included: their
	// verdicts say NOT JUDGED or NOT APPLICABLE.
	smoke     []checks.Check
	resources *checks.Check
	verdicts  map[string]checks.Verdict
	triggers  []TriggerResult
	// noPrometheus: the triggers could not be read, there is nothing to
	// read them from.
	noPrometheus bool
}

// judgeRound applies the gate to the smoke checks and decides with the
// triggers; host resources over their limits hold a round that would ship,
// and so does a target without Prometheus, whose triggers nobody read.
func judgeRound(gate Gate, ev roundEvidence) Round {
	r := Round{Time: ev.time, Target: ev.target, Preflight: ev.preflight}
	for _, c := range ev.health {
		r.Health = append(r.Health, roundCheck(c, ev.verdicts[c.ID()]))
	}
	g := gate.Judge(FromVerdicts("monitor", ev.stack, ev.scope, ev.smoke, ev.verdicts))
	d := Decide(g, ev.triggers)
	if ev.resources != nil {
		rc := roundCheck(*ev.resources, ev.verdicts[ev.resources.ID()])
		r.Resources = &rc
		if o := rc.Outcome; (o == checks.Fail || o == checks.Defect) && d.Decision != Rollback {
			d.Decision = Hold
			d.Reasons = append(d.Reasons, "host resources over their limits: "+errText(ev.verdicts[rc.ID].Err))
		}
	}
	if ev.noPrometheus && d.Decision == Ship {
		d.Decision = Hold
		d.Reasons = append(d.Reasons, "no Prometheus configured: the rollback triggers cannot be read ("+harness.Env.PrometheusURL+")")
	}
	r.Verdict = d
	return r
}

// roundCheck is a check's verdict as a round holds it; a check without a
// verdict (v is the zero Verdict) was never evaluated.
func roundCheck(c checks.Check, v checks.Verdict) RoundCheck {
	rc := RoundCheck{ID: c.ID(), Name: c.Name, Outcome: v.Outcome}
	switch v.Outcome {
	case checks.Pass:
	case checks.NotApplicable, checks.NotJudged:
		rc.Reason = checks.Reason(v.Err)
	case "":
		rc.Reason = "not evaluated"
	default:
		rc.Reason = strings.TrimPrefix(errText(v.Err), c.ID()+" ")
	}
	return rc
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

func errText(err error) string {
	if err == nil {
		return ""
	}
	return strings.SplitN(err.Error(), "\n", 2)[0]
}
