package verdict

import (
	"fmt"
	"strings"
	"time"

	"github.com/smokestack-dev/smokestack/checks"
	"github.com/smokestack-dev/smokestack/harness"
)

// Text is the round's report for a person, the checklist's "PRODUCTION
// HEALTH CHECK": the target and the pre-flight, then service health, the
// smoke checks, host resources and the verdict. Sections 2 and 4 are the
// round's Record rendered as every other report is, so the text and the
// log's JSON line come from the same evidence.
func (r Round) Text() string {
	rec := r.Record()
	var b strings.Builder
	fmt.Fprintf(&b, "==================== PRODUCTION HEALTH CHECK ====================\n")
	fmt.Fprintf(&b, "Timestamp: %s\n%s\n", r.Time.UTC().Format(time.RFC3339), r.Target)
	for _, l := range r.Preflight {
		fmt.Fprintf(&b, "%s\n", l)
	}
	fmt.Fprintf(&b, "\n1. Service Health:\n")
	for _, c := range r.Health {
		fmt.Fprintf(&b, "   %s\n", c.line())
	}
	fmt.Fprintf(&b, "\n2. Smoke checks: %s\n", rec.summary())
	for _, l := range rec.Redacted().checkLines() {
		// TestInfrastructure is section 1: each failure is said once.
		if !strings.Contains(l, " TestInfrastructure/") {
			fmt.Fprintf(&b, "   %s\n", l)
		}
	}
	fmt.Fprintf(&b, "\n3. Host resources:\n")
	if r.Resources != nil {
		fmt.Fprintf(&b, "   %s\n", r.Resources.line())
	} else {
		fmt.Fprintf(&b, "   (no resource check registered)\n")
	}
	fmt.Fprintf(&b, "\n4. %s", rec.verdictText(false))
	fmt.Fprintf(&b, "==============================================================\n\n")
	return b.String()
}

// line is the check's line in a round's own sections: ok, FAIL, NOT
// APPLICABLE or NOT JUDGED with the reason, redacted and clipped.
func (c RoundCheck) line() string {
	why := clip(harness.RedactText(c.Reason))
	switch c.Outcome {
	case checks.Pass:
		return "ok   " + c.Name
	case checks.NotApplicable, checks.NotJudged:
		return string(c.Outcome) + " " + c.Name + ": " + why
	case "":
		return "MISSING " + c.Name + ": " + why
	}
	return "FAIL " + c.Name + ": " + why
}
