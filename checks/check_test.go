package checks

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/harness/harnesstest"
)

// TestProfileDecidesNotA404: the same deployment serving only parts A and
// B is judged by its declared profile. Declared orchestration, the part C
// checks are NOT APPLICABLE naming the profile and the flow judges
// decomposition and routing; declared (or discovered) full, the same 404s
// fail naming the missing route — a route lost from a full deployment is
// never read as "not served".
func TestProfileDecidesNotA404(t *testing.T) {
	g := newGenesisImitation()
	for _, r := range []string{"POST /orchestrate/validate", "POST /orchestrate/run", "GET /flags", "GET /resilience", "POST /security/validate-code"} {
		g.routes[r] = nil // not served
	}
	g.routes["GET /health"] = body(200, "application/json", `{"status":"healthy","agents_registered":15,"agents_loaded":0,"lazy_loading":true,"timestamp":"2026-11-27T01:00:00Z"}`)
	full := imitateGenesis(t, g, mutable)
	partC := []string{"TestBasicOrchestration/plan_validation", "TestBasicOrchestration/orchestration_run",
		"TestComponentInitialization/aop", "TestComponentInitialization/feature_flags",
		"TestSecuritySmoke/dangerous_code_rejected", "TestSecuritySmoke/cycle_rejected"}
	orch := full.WithProfile(harness.ProfileOrchestration, "SMOKE_PROFILE=orchestration")
	for _, id := range partC {
		v := Evaluate(context.Background(), orch, check(t, id))
		require.Equal(t, NotApplicable, v.Outcome, "%s: %v", id, v.Err)
		assert.Contains(t, v.Err.Error(), "profile orchestration", id)
		assert.Contains(t, v.Err.Error(), "part C", id)
	}
	for _, id := range []string{"TestBasicOrchestration/simple_orchestration_flow", "TestComponentInitialization/error_handler", "TestComponentInitialization/htdag"} {
		v := Evaluate(context.Background(), orch, check(t, id))
		require.Equal(t, Pass, v.Outcome, "%s: %v", id, v.Err)
	}
	fullView := full.WithProfile(harness.ProfileFull, "SMOKE_PROFILE=full")
	for _, id := range append(partC, "TestComponentInitialization/error_handler", "TestComponentInitialization/htdag", "TestBasicOrchestration/simple_orchestration_flow") {
		v := Evaluate(context.Background(), fullView, check(t, id))
		require.Equal(t, Fail, v.Outcome, "%s: %v", id, v.Err)
	}
	v := Evaluate(context.Background(), fullView, check(t, "TestBasicOrchestration/plan_validation"))
	assert.Contains(t, v.Err.Error(), "status 404 (route missing)")
	assert.Contains(t, v.Err.Error(), "/orchestrate/validate")
	// Part B missing fails wherever the profile serves B.
	g.routes["POST /orchestrate/decompose"] = nil
	v = Evaluate(context.Background(), orch, check(t, "TestBasicOrchestration/simple_orchestration_flow"))
	requireFail(t, v, "status 404")
}

// TestPartCRouteMissing: the flag and security checks read contract part
// C. On a target whose profile includes C (full), a 404 is a lost route: a
// failure naming the route and "status 404 (route missing)", never a skip.
// The same service viewed as orchestration (parts A+B) puts those checks
// out of scope before any request: NOT APPLICABLE naming the profile.
func TestPartCRouteMissing(t *testing.T) {
	notFound := harnesstest.JSON(404, map[string]any{"detail": "Not Found"})
	cases := []struct {
		name, id, route string
		edit            func(*flagsSecurityImitation)
	}{
		{"flags not served", "TestFeatureFlags/critical_flags_enabled", "GET /flags", route("GET /flags", notFound)},
		{"phase4 not served", "TestFeatureFlags/phase4_rollout", "GET /flags/" + Phase4Flag + "/rollout", func(g *flagsSecurityImitation) {
			g.routes["GET /flags/*"] = notFound
			g.routes["GET /flags"] = notFound
		}},
		{"validate not served", "TestSecurityControls/dag_cycle_detection", "POST /orchestrate/validate", route("POST /orchestrate/validate", notFound)},
		{"code not served", "TestSecurityControls/code_validation", "POST /security/validate-code", route("POST /security/validate-code", notFound)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, harness.PartC, check(t, c.id).Part, "the check reads contract part C")
			g := newFlagsSecurityImitation()
			c.edit(g)
			var mu sync.Mutex
			var seen []string
			counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				seen = append(seen, r.Method+" "+r.URL.Path)
				mu.Unlock()
				g.ServeHTTP(w, r)
			})
			s := imitateGenesis(t, counted, flagsSecurityEnv)

			v := Evaluate(context.Background(), s.WithProfile(harness.ProfileFull, "SMOKE_PROFILE=full"), check(t, c.id))
			requireFail(t, v)
			msg := v.Err.Error()
			assert.Contains(t, msg, "status 404 (route missing)")
			assert.Contains(t, msg, c.route, "the failure names the route")
			assert.Contains(t, msg, "profile full", "the failure says which profile makes the route expected")
			assert.Contains(t, msg, c.id, "the headline names the check")

			mu.Lock()
			seen = nil
			mu.Unlock()
			v = Evaluate(context.Background(), s.WithProfile(harness.ProfileOrchestration, "SMOKE_PROFILE=orchestration"), check(t, c.id))
			require.Equal(t, NotApplicable, v.Outcome, "%v", v.Err)
			assert.Contains(t, v.Err.Error(), "profile orchestration")
			assert.Contains(t, v.Err.Error(), "SMOKE_PROFILE=orchestration", "the reason says where the profile comes from")
			assert.Contains(t, v.Err.Error(), "part C")
			mu.Lock()
			assert.Empty(t, seen, "an out-of-scope check sends no request")
			mu.Unlock()
		})
	}
}

func TestEvaluateTurnsPanicAndHangIntoDefects(t *testing.T) {
	s := harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Genesis: body(200, "application/json", `{}`)})
	v := Evaluate(context.Background(), s, Check{Group: "T", Name: "panics", Run: func(context.Context, *harness.Stack) error { panic("boom") }})
	assert.Equal(t, Defect, v.Outcome)
	assert.Contains(t, v.Err.Error(), "boom")

	start := time.Now()
	v = Evaluate(context.Background(), s, Check{Group: "T", Name: "ignores ctx", Run: func(context.Context, *harness.Stack) error {
		time.Sleep(10 * time.Second)
		return nil
	}})
	assert.Equal(t, Defect, v.Outcome)
	assert.Less(t, time.Since(start), 6*time.Second)
}

// TestLogReadersGoAfterTheChecksBesideThem: EvaluateAll judges a log
// reader after the checks it runs with have sent their requests, so the
// lines those requests made the service log are in what it reads (seen
// in CI: no_critical_errors_in_logs read the log before the 500s of the
// checks beside it, a FALSE PASS under error_rate=1); the service's two
// whole-log checks are declared so.
func TestLogReadersGoAfterTheChecksBesideThem(t *testing.T) {
	s := harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Genesis: body(200, "application/json", `{}`)})
	var mu sync.Mutex
	var logged []string
	request := func(name string) Check {
		return Check{Group: "TestX", Name: name, Run: func(context.Context, *harness.Stack) error {
			time.Sleep(50 * time.Millisecond)
			mu.Lock()
			logged = append(logged, name+" status=500")
			mu.Unlock()
			return nil
		}}
	}
	reader := Check{Group: "TestX", Name: "log", ReadsLog: true, Run: func(context.Context, *harness.Stack) error {
		mu.Lock()
		defer mu.Unlock()
		if len(logged) < 2 {
			return fmt.Errorf("read %d lines, before the requests beside it were logged", len(logged))
		}
		return nil
	}}
	vs := EvaluateAll(context.Background(), s, []Check{reader, request("a"), request("b")})
	assert.Equal(t, Pass, vs["TestX/log"].Outcome, "%v", vs["TestX/log"].Err)
	for _, id := range []string{"TestComponentIntegration/no_critical_errors_in_logs", "TestObservability/structured_logs"} {
		assert.True(t, check(t, id).ReadsLog, "%s judges the whole log since the deploy started", id)
	}
}

// recT records what Require tells a test.
type recT struct{ lines []string }

// A pass logs what the check read; a skip's or a failure's first line
// stays its outcome and reason, which the gate reads back.
func TestNotesOnPassOnly(t *testing.T) {
	noted := func(err error) Check {
		return Check{Group: "TestX", Name: "y", Component: harness.Prometheus, Run: func(ctx context.Context, _ *harness.Stack) error {
			Notef(ctx, "read 42")
			return err
		}}
	}
	s := successStack(t, "1h", answers{})
	r := &recT{}
	Require(r, s, noted(nil))
	assert.Equal(t, []string{"log: read 42"}, r.lines)
	r = &recT{}
	Require(r, s, noted(CannotJudge("too few")))
	assert.Equal(t, []string{"skip: NOT JUDGED: too few"}, r.lines)
	r = &recT{}
	Require(r, s, noted(fmt.Errorf("broken")))
	assert.Equal(t, []string{"fatal: broken"}, r.lines)
}

// One component down at start: its health check fails, the checks that
// read it are NOT JUDGED naming the outage and that health check.
func TestUnreachableComponentIsOneFailure(t *testing.T) {
	s := imitateGenesis(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	}), nil)
	s.SetUnreachable(map[harness.Component]string{harness.Genesis: "A2A service (genesis) did not answer at http://127.0.0.1:1: connection refused"})
	v := Evaluate(context.Background(), s, check(t, "TestInfrastructure/a2a_health"))
	assert.Equal(t, Fail, v.Outcome, "the health check itself is judged: %v", v.Err)
	for _, id := range []string{"TestAgentInvoke/harmless_invoke", "TestAgentCatalogue/a2a_version"} {
		v := Evaluate(context.Background(), s, check(t, id))
		require.Equal(t, NotJudged, v.Outcome, "%s: %v", id, v.Err)
		assert.Contains(t, v.Err.Error(), "dependency down: A2A service (genesis) did not answer at http://127.0.0.1:1")
		assert.Contains(t, v.Err.Error(), "TestInfrastructure/a2a_health judges that")
	}
}

func (r *recT) Helper() {}

func (r *recT) Name() string { return "rec" }

func (r *recT) Cleanup(func()) {}

func (r *recT) Logf(format string, a ...any) {
	r.lines = append(r.lines, "log: "+fmt.Sprintf(format, a...))
}

func (r *recT) Errorf(format string, a ...any) {
	r.lines = append(r.lines, "error: "+fmt.Sprintf(format, a...))
}

func (r *recT) Fatalf(format string, a ...any) {
	r.lines = append(r.lines, "fatal: "+fmt.Sprintf(format, a...))
}

func (r *recT) Skipf(format string, a ...any) {
	r.lines = append(r.lines, "skip: "+fmt.Sprintf(format, a...))
}
