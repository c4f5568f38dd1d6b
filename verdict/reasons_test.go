package verdict

import (
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/harness"
)

// A trigger that cannot be read is said in one short reason: the root
// cause, or the refusal with its fix, and the query once.
func TestUnreadableTriggerReasonIsShort(t *testing.T) {
	tr := Triggers("5m")[0]
	dead := &harness.HTTPError{Component: harness.Prometheus, Method: "GET", URL: "http://127.0.0.1:9/api/v1/query?query=" + tr.Expr,
		Err: fmt.Errorf("query %q: %w", tr.Expr, syscall.ECONNREFUSED)}
	r := Decide(GateResult{Decision: GatePass}, []TriggerResult{{Trigger: tr, Err: dead}})
	require.Equal(t, Hold, r.Decision)
	require.Len(t, r.Reasons, 1)
	assert.Contains(t, r.Reasons[0], tr.Name+": cannot read it from Prometheus: no answer: connection refused")
	assert.Equal(t, 1, strings.Count(r.Reasons[0], tr.Expr), "the query once: %s", r.Reasons[0])

	refused := &harness.HTTPError{Component: harness.Prometheus, Status: 401, Err: fmt.Errorf("client error: 401")}
	r = Decide(GateResult{Decision: GatePass}, []TriggerResult{{Trigger: tr, Err: refused}})
	assert.Contains(t, r.Reasons[0], "status 401; Prometheus wants credentials: set SMOKE_PROMETHEUS_TOKEN")
}
