package verdict

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/prometheus/common/model"

	"github.com/smokestack-dev/smokestack/harness"
)

// Trigger is one of the checklist's rollback triggers read from
// Prometheus: roll back when Expr's value is above Limit.
type Trigger struct {
	Name  string
	Expr  string // PromQL giving one number
	Limit float64
	Unit  string // for the report: "s", "ratio"
}

// Triggers are the checklist's metric triggers over a window: P95 latency
// over 500 ms, error rate over 1 %. The pass-rate trigger is the Gate.
func Triggers(window string) []Trigger {
	return []Trigger{
		{Name: "p95 latency > 500ms", Limit: 0.5, Unit: "s",
			Expr: fmt.Sprintf(`histogram_quantile(0.95, sum by (le) (rate(genesis_http_request_duration_seconds_bucket[%s])))`, window)},
		{Name: "error rate > 1%", Limit: 0.01, Unit: "ratio",
			// "or vector(0)": a service that never answered 5xx has no such
			// series, and that is an error rate of 0, not missing evidence.
			// No traffic at all still leaves the division empty: HOLD.
			Expr: fmt.Sprintf(`(sum(rate(genesis_http_requests_total{code=~"5.."}[%[1]s])) or vector(0)) / sum(rate(genesis_http_requests_total[%[1]s]))`, window)},
	}
}

// Decision is what on-call does.
type Decision string

// Decisions. HOLD means the evidence is missing or unreadable: not a
// reason to ship.
const (
	Ship     Decision = "SHIP"
	Rollback Decision = "ROLLBACK"
	Hold     Decision = "HOLD"
)

// TriggerResult is one trigger's reading.
type TriggerResult struct {
	Trigger Trigger
	Value   float64
	Fired   bool
	Err     error // the value could not be read: the verdict holds
}

// Report is the verdict with its evidence.
type Report struct {
	Decision Decision
	Gate     GateResult
	Triggers []TriggerResult
	Reasons  []string
}

// ReadTriggers evaluates each trigger on Prometheus. A query with no data
// or NaN (no traffic in the window) is an error, never a pass.
func ReadTriggers(ctx context.Context, p harness.PrometheusClient, ts []Trigger) []TriggerResult {
	out := make([]TriggerResult, 0, len(ts))
	for _, t := range ts {
		r := TriggerResult{Trigger: t}
		v, err := p.Query(ctx, t.Expr)
		switch {
		case err != nil:
			r.Err = err
		default:
			r.Value, r.Err = scalar(v)
		}
		if r.Err == nil {
			r.Fired = r.Value > t.Limit
		}
		out = append(out, r)
	}
	return out
}

func scalar(v model.Value) (float64, error) {
	var f float64
	switch x := v.(type) {
	case model.Vector:
		if len(x) != 1 {
			return 0, fmt.Errorf("want one series, got %d (no traffic in the window?)", len(x))
		}
		f = float64(x[0].Value)
	case *model.Scalar:
		f = float64(x.Value)
	default:
		return 0, fmt.Errorf("want a number, got a %s", v.Type())
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("no value (%v): no traffic in the window", f)
	}
	return f, nil
}

// Decide combines the gate and the triggers: a failed gate or any fired
// trigger rolls back; otherwise a gate on HOLD or any unreadable trigger
// holds; otherwise ship.
func Decide(g GateResult, ts []TriggerResult) Report {
	r := Report{Gate: g, Triggers: ts, Decision: Ship}
	switch g.Decision {
	case GateFail:
		r.Decision = Rollback
	case GatePass:
	default: // HOLD, or a gate result nobody judged
		r.Decision = Hold
	}
	r.Reasons = append(r.Reasons, g.Reasons...)
	var unknown []string
	for _, t := range ts {
		switch {
		case t.Err != nil:
			unknown = append(unknown, fmt.Sprintf("%s: cannot read it from Prometheus: %s (query %s)", t.Trigger.Name, shortCause(t.Err), t.Trigger.Expr))
		case t.Fired:
			r.Decision = Rollback
			r.Reasons = append(r.Reasons, fmt.Sprintf("%s: observed %s", t.Trigger.Name, format(t.Value, t.Trigger.Unit)))
		}
	}
	if r.Decision == Ship && len(unknown) > 0 {
		r.Decision = Hold
	}
	r.Reasons = append(r.Reasons, unknown...)
	return r
}

// severity orders decisions: ROLLBACK is worst, then HOLD, then SHIP. A
// decision that is none of them counts as HOLD: it is not evidence to ship.
func (d Decision) severity() int {
	switch d {
	case Ship:
		return 0
	case Rollback:
		return 2
	}
	return 1
}

// Worst is the worst of the decisions (ROLLBACK > HOLD > SHIP): what a
// monitoring run of several rounds decides. No decision at all is HOLD.
func Worst(ds ...Decision) Decision {
	if len(ds) == 0 {
		return Hold
	}
	worst := Ship
	for _, d := range ds {
		if d.severity() > worst.severity() {
			worst = d
		}
	}
	if worst != Ship && worst != Rollback {
		worst = Hold
	}
	return worst
}

// ExitCode is the process exit code for a decision: 0 SHIP, 1 ROLLBACK,
// 3 HOLD.
func (d Decision) ExitCode() int {
	switch d {
	case Ship:
		return 0
	case Rollback:
		return 1
	}
	return 3
}

func format(v float64, unit string) string {
	if unit == "ratio" {
		return fmt.Sprintf("%.2f%%", 100*v)
	}
	return fmt.Sprintf("%.0fms", 1000*v)
}

// shortCause is an error said in a few words for a reason line: the status
// a component answered (with the settings that fix a refusal), or the root
// cause of no answer ("connection refused"). The whole error stays in the
// trigger's record (JSON) for whoever needs it.
func shortCause(err error) string {
	var he *harness.HTTPError
	if !errors.As(err, &he) {
		return err.Error()
	}
	if he.Status != 0 {
		out := fmt.Sprintf("status %d", he.Status)
		if hint := harness.AuthHint(he.Component, he.Status); hint != "" {
			out += "; " + hint
		}
		return out
	}
	root := err
	for u := errors.Unwrap(root); u != nil; u = errors.Unwrap(root) {
		root = u
	}
	return "no answer: " + root.Error()
}
