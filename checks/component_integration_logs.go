package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/smokestack-dev/smokestack/harness"
)

// lineNoCriticalErrors is the checklist's line for the service's log.
const lineNoCriticalErrors = "End-to-End Integration Test: TestComponentIntegration — no ERROR or CRITICAL line in the service's log since the deploy started"

// ComponentIntegrationLogs is TestComponentIntegration's log check, a
// registry entry of its own beside ComponentIntegration (same test).
var ComponentIntegrationLogs = []Check{
	{Group: "TestComponentIntegration", Name: "no_critical_errors_in_logs", Component: harness.Genesis, Part: harness.PartA, Line: lineNoCriticalErrors, ReadsLog: true, Run: probed(noCriticalErrorsInLogs)},
}

// noCriticalErrorsInLogs reads every line the service logged since the
// deploy started (harness.DeployStarted: SMOKE_DEPLOY_STARTED, or the
// start of its container; the fault proofs declare a new deploy after each
// row) and wants none at ERROR, CRITICAL, FATAL or PANIC level, in a JSON
// line's level field or a text line's level word.
//
// Errors the suite's own drills provoke on purpose (an emergency shutdown
// refusing orchestration with 503) are excused: their lines carry the
// drill's correlation id (harness.WithDrill). A drill that meets a real
// error fails itself.
func noCriticalErrorsInLogs(ctx context.Context, p probe) error {
	s := p.s
	count, excused := 0, 0
	var first, last []byte
	var firstLevel string
	start, err := scanDeployLog(ctx, s, "no ERROR line could be looked for", func(l logLine) bool {
		if !l.critical() {
			return true
		}
		if l.drill() {
			excused++
			return true
		}
		count++
		if first == nil {
			first, firstLevel = append([]byte(nil), l.raw...), l.level()
		} else {
			last = append(last[:0], l.raw...)
		}
		return true
	})
	if err != nil {
		return err
	}
	if count == 0 {
		return nil
	}
	want := fmt.Sprintf("no line at %s level in the service's log since the deploy started", strings.Join(criticalLevels, ", "))
	evidence := []string{"first: " + quoteLine(first)}
	if last != nil {
		evidence = append(evidence, "last: "+quoteLine(last))
	}
	if excused > 0 {
		evidence = append(evidence, fmt.Sprintf("%d more lines of this suite's drills (correlation id %s...) excused", excused, harness.DrillCorrelationPrefix))
	}
	evidence = append(evidence, "next: read the service's log from then for the cause (docker logs --since)")
	lines := "lines"
	if count == 1 {
		lines = "line"
	}
	return p.fail("", want, fmt.Sprintf("%d %s at error level since the deploy started at %s; the first %s: %s",
		count, lines, start, firstLevel, lineSummary(parseLogLine(first))), errors.New(strings.Join(evidence, "\n    ")))
}

// lineSummary is a line's logger and message, or its start for a text line.
func lineSummary(l logLine) string {
	if !l.isJSON {
		return quoteLine(l.raw)
	}
	lg, _ := l.str("logger")
	msg, _ := l.str("message")
	out := harness.RedactText(strings.TrimSpace(lg + ": " + msg))
	for _, k := range []string{"error", "status", "code"} {
		if raw, ok := l.fields[k]; ok {
			out += fmt.Sprintf(" %s=%s", k, harness.RedactText(string(raw)))
		}
	}
	return out
}
