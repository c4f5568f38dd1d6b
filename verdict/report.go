package verdict

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/smokestack-dev/smokestack/harness"
)

// Record is one decision with all of its evidence, the single model the
// text, JSON and JUnit reports are rendered from, so that the three can
// never tell different stories about the same run. Free text in it is kept
// as the run produced it; every writer redacts it (harness.RedactText).
//
// Its JSON form (WriteJSON, JSONLine) is a stable interface for tools that
// read reports and monitor logs; fields are only ever added:
//
//	kind            "gate", "verdict" or "monitor": which command decided
//	time            when the decision was made (RFC 3339, UTC)
//	decision        SHIP, ROLLBACK or HOLD; absent for kind "gate"
//	gate            PASS, FAIL or HOLD: the gate over the checks
//	exit_code       the command's exit code for this decision (0, 1 or 3)
//	min_pass_rate   the rule applied: a share of judged checks, 0..1
//	require_all     the rule applied: -all, every check must pass
//	pass_rate       passed / (passed + failed), 0..1; null when nothing was judged
//	counts          {pass, fail, not_applicable, not_judged, missing, total}
//	checks          every check in stream order, each:
//	  id              "TestGroup/name"
//	  package         the Go package (or "monitor" for a monitor round)
//	  group, name     id split at its first "/"
//	  outcome         PASS, FAIL, NOT APPLICABLE, NOT JUDGED or MISSING
//	  critical        a failure fails the gate whatever the pass rate
//	  planned         what the plan said before the check ran: judge,
//	                  not-applicable, not-judged; absent without a plan
//	  reason          one line: the failure's headline, the skip's reason,
//	                  why the check is missing; absent for PASS
//	  message         everything the check printed, whole; absent for PASS
//	  duration_seconds  how long it ran; absent when unknown
//	missing         ids of planned checks with no outcome (also in checks)
//	packages        each judged package: {name, suite, status, error, elapsed_seconds}
//	narrowed        packages narrowed by -run/-skip and how far
//	triggers        rollback triggers (verdict, monitor), each:
//	                {name, query, value (null if unreadable), limit, unit,
//	                breached, error}
//	reasons         why the decision is not PASS/SHIP, most serious first
//	round           monitor: this round's number, from 1
//	monitor         monitor -json only: the whole run, {planned, decisions,
//	                worst, exit_code, interrupted, stopped}; its exit_code is
//	                the command's (the top-level fields are the worst round's)
type Record struct {
	Kind        string          `json:"kind"`
	Time        time.Time       `json:"time"`
	Decision    Decision        `json:"decision,omitempty"`
	Gate        GateDecision    `json:"gate"`
	ExitCode    int             `json:"exit_code"`
	MinPassRate float64         `json:"min_pass_rate"`
	RequireAll  bool            `json:"require_all"`
	PassRate    *float64        `json:"pass_rate"`
	Counts      Counts          `json:"counts"`
	Checks      []CheckRecord   `json:"checks"`
	Missing     []string        `json:"missing"`
	Packages    []PackageRecord `json:"packages"`
	Narrowed    []string        `json:"narrowed,omitempty"`
	Triggers    []TriggerRecord `json:"triggers,omitempty"`
	Reasons     []string        `json:"reasons"`
	Round       int             `json:"round,omitempty"`
	Monitor     *MonitorRun     `json:"monitor,omitempty"`
}

// Record kinds.
const (
	KindGate    = "gate"
	KindVerdict = "verdict"
	KindMonitor = "monitor"
)

// Counts are the checks per outcome.
type Counts struct {
	Pass          int `json:"pass"`
	Fail          int `json:"fail"`
	NotApplicable int `json:"not_applicable"`
	NotJudged     int `json:"not_judged"`
	Missing       int `json:"missing"`
	Total         int `json:"total"`
}

// CheckRecord is one check in a report.
type CheckRecord struct {
	ID       string   `json:"id"`
	Package  string   `json:"package"`
	Group    string   `json:"group"`
	Name     string   `json:"name"`
	Outcome  Outcome  `json:"outcome"`
	Critical bool     `json:"critical"`
	Planned  string   `json:"planned,omitempty"`
	Reason   string   `json:"reason,omitempty"`
	Message  string   `json:"message,omitempty"`
	Duration *float64 `json:"duration_seconds,omitempty"`
}

// PackageRecord is how one package ended: a package can fail where no
// check shows it (a configuration error before any test ran).
type PackageRecord struct {
	Name    string   `json:"name"`
	Suite   string   `json:"suite,omitempty"`
	Status  string   `json:"status"`
	Error   string   `json:"error,omitempty"`
	Elapsed *float64 `json:"elapsed_seconds,omitempty"`
}

// TriggerRecord is one rollback trigger's reading.
type TriggerRecord struct {
	Name     string   `json:"name"`
	Query    string   `json:"query"`
	Value    *float64 `json:"value"`
	Limit    float64  `json:"limit"`
	Unit     string   `json:"unit"`
	Breached bool     `json:"breached"`
	Error    string   `json:"error,omitempty"`
}

// MonitorRun is what a whole monitoring run decided, beside the round
// whose record carries it.
type MonitorRun struct {
	Planned     int        `json:"planned"`
	Decisions   []Decision `json:"decisions"`
	Worst       Decision   `json:"worst"`
	ExitCode    int        `json:"exit_code"`
	Interrupted bool       `json:"interrupted"`
	Stopped     bool       `json:"stopped"`
}

// ExitCode is the process exit code for a gate decision: 0 PASS, 1 FAIL,
// 3 HOLD (anything else is not evidence to pass).
func (d GateDecision) ExitCode() int {
	switch d {
	case GatePass:
		return 0
	case GateFail:
		return 1
	}
	return 3
}

// Record is the gate's decision as a report, made at now.
func (r GateResult) Record(now time.Time) Record {
	rec := Record{Kind: KindGate, Time: now.UTC(), Gate: r.Decision, ExitCode: r.Decision.ExitCode(),
		MinPassRate: r.MinPassRate, RequireAll: r.RequireAll,
		Counts:   Counts{Pass: r.Passed, Fail: r.Failed, NotApplicable: r.NotApplicable, NotJudged: r.NotJudged, Missing: r.Missing},
		Narrowed: r.Narrowed, Reasons: r.Reasons}
	rec.Counts.Total = r.Passed + r.Failed + r.NotApplicable + r.NotJudged + r.Missing
	if r.Passed+r.Failed > 0 {
		rate := r.Rate
		rec.PassRate = &rate
	}
	checks := r.Checks
	if checks == nil {
		checks = r.Listed // a GateResult made by hand, not by Judge
	}
	for _, c := range checks {
		rec.Checks = append(rec.Checks, checkRecord(c))
		if c.Outcome == Missing {
			rec.Missing = append(rec.Missing, c.Test)
		}
	}
	for _, p := range r.Packages {
		pr := PackageRecord{Name: p.Name, Suite: p.Suite, Status: p.Status, Error: p.Error}
		if p.Elapsed > 0 {
			pr.Elapsed = secondsOf(p.Elapsed)
		}
		rec.Packages = append(rec.Packages, pr)
	}
	return rec.normalized()
}

// Record is the verdict as a report, made at now.
func (r Report) Record(now time.Time) Record {
	rec := r.Gate.Record(now)
	rec.Kind, rec.Decision, rec.ExitCode, rec.Reasons = KindVerdict, r.Decision, r.Decision.ExitCode(), r.Reasons
	for _, t := range r.Triggers {
		tr := TriggerRecord{Name: t.Trigger.Name, Query: t.Trigger.Expr, Limit: t.Trigger.Limit, Unit: t.Trigger.Unit, Breached: t.Fired}
		if t.Err != nil {
			tr.Error = t.Err.Error()
		} else {
			v := t.Value
			tr.Value = &v
		}
		rec.Triggers = append(rec.Triggers, tr)
	}
	return rec.normalized()
}

func checkRecord(c Result) CheckRecord {
	group, name, ok := strings.Cut(c.Test, "/")
	if !ok {
		group = c.Package
	}
	cr := CheckRecord{ID: c.Test, Package: c.Package, Group: group, Name: name, Outcome: c.Outcome,
		Critical: c.Critical, Planned: c.Planned, Reason: c.Headline, Message: c.Message}
	if !ok {
		cr.Name = c.Test
	}
	if c.Timed {
		cr.Duration = secondsOf(c.Elapsed)
	}
	return cr
}

func secondsOf(d time.Duration) *float64 {
	s := d.Seconds()
	return &s
}

// normalized gives empty lists instead of nil ones, so the JSON form has
// [] where a reader expects a list, never null.
func (r Record) normalized() Record {
	if r.Checks == nil {
		r.Checks = []CheckRecord{}
	}
	if r.Missing == nil {
		r.Missing = []string{}
	}
	if r.Packages == nil {
		r.Packages = []PackageRecord{}
	}
	if r.Reasons == nil {
		r.Reasons = []string{}
	}
	return r
}

// Redacted is the record with harness.RedactText applied to every free
// text: what any writer puts out, since a check that caught a leaked key
// quotes it in its message.
func (r Record) Redacted() Record {
	red := harness.RedactText
	list := func(in []string) []string {
		out := make([]string, len(in))
		for i, s := range in {
			out[i] = red(s)
		}
		return out
	}
	out := r
	out.Checks = make([]CheckRecord, len(r.Checks))
	for i, c := range r.Checks {
		c.ID, c.Group, c.Name = red(c.ID), red(c.Group), red(c.Name)
		c.Reason, c.Message = red(c.Reason), red(c.Message)
		out.Checks[i] = c
	}
	out.Packages = make([]PackageRecord, len(r.Packages))
	for i, p := range r.Packages {
		p.Error = red(p.Error)
		out.Packages[i] = p
	}
	out.Triggers = nil
	for _, t := range r.Triggers {
		t.Query, t.Error = red(t.Query), red(t.Error)
		out.Triggers = append(out.Triggers, t)
	}
	out.Missing, out.Narrowed, out.Reasons = list(r.Missing), list(r.Narrowed), list(r.Reasons)
	if r.Narrowed == nil {
		out.Narrowed = nil
	}
	return out.normalized()
}

// WriteJSON writes the redacted record as indented JSON (the -json file).
func (r Record) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // "p95 latency > 500ms" stays readable
	enc.SetIndent("", "  ")
	return enc.Encode(r.Redacted())
}

// JSONLine is the redacted record on one line: the monitor appends it to
// its log after each round's human report, so a tool reading the log takes
// the lines that start with "{".
func (r Record) JSONLine() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r.Redacted()); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
