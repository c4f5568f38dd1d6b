package verdict

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Text is the report for a person, what gate and verdict print: the
// decision first, the gate's summary, the triggers, each check that did
// not pass with its reason clipped to a screen line, then why.
func (r Record) Text() string {
	r = r.Redacted()
	if r.Kind == KindGate {
		var b strings.Builder
		b.WriteString(r.summary() + "\n")
		if l := r.slowest(); l != "" {
			b.WriteString("  " + l + "\n")
		}
		for _, l := range r.checkLines() {
			b.WriteString("  " + l + "\n")
		}
		for _, reason := range r.Reasons {
			b.WriteString("  because " + clip(reason) + "\n")
		}
		return b.String()
	}
	return r.verdictText(true)
}

// summary is the gate's first line:
//
//	GATE PASS: 12/12 checks passed (100.0%), 0 failed, 24 not applicable, 0 not judged, 0 missing
func (r Record) summary() string {
	rate := "-"
	if r.PassRate != nil {
		rate = fmt.Sprintf("%.1f%%", 100**r.PassRate)
	}
	c := r.Counts
	s := fmt.Sprintf("GATE %s: %d/%d checks passed (%s), %d failed, %d not applicable, %d not judged, %d missing",
		r.Gate, c.Pass, c.Pass+c.Fail, rate, c.Fail, c.NotApplicable, c.NotJudged, c.Missing)
	if len(r.Narrowed) > 0 {
		s += "; " + strings.Join(r.Narrowed, "; ")
	}
	return s
}

// slowest is the line of the three slowest judged checks, from the
// durations the stream reported.
func (r Record) slowest() string {
	took := map[string]time.Duration{}
	for _, c := range r.Checks {
		if c.Duration != nil && (c.Outcome == Pass || c.Outcome == Fail) {
			took[c.ID] = time.Duration(*c.Duration * float64(time.Second))
		}
	}
	return slowestOf(took, 3)
}

// slowestOf names the n checks that took longest, for whoever wonders
// where a run's minutes went: "slowest checks: TestX/a 2.1s, TestY/b 1.2s".
func slowestOf(took map[string]time.Duration, n int) string {
	ids := make([]string, 0, len(took))
	for id, d := range took {
		if d > 0 {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool {
		if took[ids[i]] != took[ids[j]] {
			return took[ids[i]] > took[ids[j]]
		}
		return ids[i] < ids[j]
	})
	if len(ids) == 0 {
		return ""
	}
	parts := make([]string, 0, n)
	for _, id := range ids[:min(n, len(ids))] {
		d := took[id].Round(10 * time.Millisecond)
		if took[id] < time.Second {
			d = took[id].Round(time.Millisecond)
		}
		parts = append(parts, fmt.Sprintf("%s %s", id, d))
	}
	return "slowest checks: " + strings.Join(parts, ", ")
}

// listed are the checks that did not pass, most serious first: FAIL,
// MISSING, NOT JUDGED, NOT APPLICABLE, each in stream order.
func (r Record) listed() []CheckRecord {
	var out []CheckRecord
	for _, o := range []Outcome{Fail, Missing, NotJudged, NotApplicable} {
		for _, c := range r.Checks {
			if c.Outcome == o {
				out = append(out, c)
			}
		}
	}
	return out
}

// checkLines are the lines for the checks that did not pass, each with its
// reason, clipped; the caller redacts.
func (r Record) checkLines() []string {
	listed := r.listed()
	out := make([]string, 0, len(listed))
	for _, c := range listed {
		// A failure's headline starts with the check's ID: said once.
		why := strings.TrimPrefix(c.Reason, c.ID+" ")
		out = append(out, clip(fmt.Sprintf("%-14s %s: %s", c.Outcome, c.ID, why)))
	}
	return out
}

// verdictText is the verdict's report; a monitor round lists the checks
// itself and leaves them out here.
func (r Record) verdictText(withChecks bool) string {
	r = r.Redacted()
	var b strings.Builder
	fmt.Fprintf(&b, "VERDICT: %s\n  %s\n", r.Decision, r.summary())
	for _, t := range r.Triggers {
		state, val := "ok", "-"
		switch {
		case t.Error != "" || t.Value == nil:
			state = "UNKNOWN"
		case t.Breached:
			state = "FIRED"
		}
		if state != "UNKNOWN" {
			val = format(*t.Value, t.Unit)
		}
		fmt.Fprintf(&b, "  trigger %-22s %-7s observed %s\n", t.Name, state, val)
	}
	if l := r.slowest(); l != "" && withChecks {
		fmt.Fprintf(&b, "  %s\n", l)
	}
	if withChecks {
		for _, l := range r.checkLines() {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	for _, reason := range r.Reasons {
		fmt.Fprintf(&b, "  because %s\n", clip(reason))
	}
	return b.String()
}

// Summary is the gate's first line:
//
//	GATE PASS: 12/12 checks passed (100.0%), 0 failed, 24 not applicable, 0 not judged, 0 missing
func (r GateResult) Summary() string { return r.Record(time.Time{}).summary() }

// String is the gate's report: the summary, a line per check that did not
// pass, and the reasons for the decision ("because ...").
func (r GateResult) String() string { return r.Record(time.Time{}).Text() }

// String is the report for a person: the decision first, the gate's
// summary, the triggers, each check that did not pass, then why.
func (r Report) String() string { return r.Record(time.Time{}).Text() }
