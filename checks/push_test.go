package checks

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPushSummary(t *testing.T) {
	var method, path, body string
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		method, path, body = r.Method, r.URL.Path, string(b)
		w.WriteHeader(http.StatusOK)
	}))
	defer gw.Close()
	plan := Plan{Checks: []PlanLine{
		{Kind: PlanCheck, ID: "TestInfrastructure/a2a_health", Plan: PlanJudge},
		{Kind: PlanCheck, ID: "TestInfrastructure/grafana_health", Plan: PlanNotApplicable},
		{Kind: PlanCheck, ID: "TestAgentInvoke/wrong_key_403", Plan: PlanJudge},
	}}
	sum := Summarize(plan, map[string]Verdict{
		"TestInfrastructure/a2a_health":     {Outcome: Pass},
		"TestInfrastructure/grafana_health": {Outcome: NotApplicable},
	}, 1500*time.Millisecond, 0)
	require.NoError(t, PushSummary(context.Background(), gw.URL, Smoke, sum, false))
	assert.Equal(t, http.MethodPut, method, "each push replaces the suite's previous one")
	assert.Equal(t, "/metrics/job/smokestack/suite/smoke", path)
	// The body is the protobuf or text exposition; the names and labels are in it either way.
	for _, want := range []string{"smokestack_checks", "PASS", "NOT_APPLICABLE", "MISSING", "smokestack_check_ok",
		"TestAgentInvoke/wrong_key_403", "smokestack_run_ok", "smokestack_run_duration_seconds", "smokestack_last_run_timestamp_seconds"} {
		assert.Contains(t, body, want)
	}

	gw.Close()
	err := PushSummary(context.Background(), gw.URL, Smoke, sum, true)
	require.Error(t, err, "a Pushgateway that does not answer is said")
	assert.Contains(t, err.Error(), "push the results to the Pushgateway at "+gw.URL)
}
