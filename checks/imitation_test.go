package checks

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/harness/harnesstest"
)

// genesisImitation is harnesstest.Genesis with its overrides at hand:
// a test makes one route hostile (routes[key] = h), or wraps the route it
// would otherwise get (route(key)), before the imitation serves.
type genesisImitation struct {
	routes map[string]http.HandlerFunc // harnesstest.Genesis' overrides
}

func newGenesisImitation() *genesisImitation {
	return &genesisImitation{routes: map[string]http.HandlerFunc{}}
}

// declareProduction makes the imitation say GENESIS_ENV=production in
// /health, and enforce the missing-key rule that goes with it.
func (g *genesisImitation) declareProduction() *genesisImitation {
	maps.Copy(g.routes, harnesstest.Production())
	return g
}

// route is the handler key has now: the test's override (nil: taken
// away), or the healthy one.
func (g *genesisImitation) route(key string) http.HandlerFunc {
	if h, ok := g.routes[key]; ok {
		return h
	}
	return harnesstest.Genesis(nil).ServeHTTP
}

func (g *genesisImitation) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	harnesstest.Genesis(g.routes).ServeHTTP(w, r)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func jsonHandler(status int, v any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { writeJSON(w, status, v) }
}

type imitationError struct {
	status int
	body   any
}

func apiErr(code, msg, category string, details map[string]any) map[string]any {
	if details == nil {
		details = map[string]any{}
	}
	details["category"] = category
	return map[string]any{"error": map[string]any{"code": code, "message": msg, "details": details,
		"request_id": "req-1", "timestamp": "2026-11-27T01:00:00Z"}}
}

func requestErrors(text string) *imitationError {
	switch {
	case len(text) < 10:
		return &imitationError{400, apiErr("VALIDATION_ERROR", "too short", "validation", nil)}
	case len(text) > 5000:
		return &imitationError{400, apiErr("VALIDATION_ERROR", "too long", "validation", nil)}
	}
	low := strings.ToLower(text)
	for _, p := range []string{"ignore all previous", "<|im_start|>", "new prompt:"} {
		if strings.Contains(low, p) {
			return &imitationError{400, apiErr("SECURITY_ERROR", "injection", "security", map[string]any{"detected_patterns": []string{p}})}
		}
	}
	return nil
}

// envelopeHandler wraps a B/C operation: request id header, envelope with
// metadata on success, the error body as is otherwise.
func envelopeHandler(op func(body []byte) (int, any)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		status, out := op(b)
		for k, v := range map[string]string{"X-Request-Id": "req-1", "X-Schema-Version": "v1.0.0",
			"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "99", "X-RateLimit-Reset": "1700000000"} {
			w.Header().Set(k, v)
		}
		if status/100 != 2 {
			writeJSON(w, status, out)
			return
		}
		writeJSON(w, status, map[string]any{"data": out, "metadata": map[string]any{"request_id": "req-1",
			"timestamp": "2026-11-27T01:00:00Z", "execution_time_ms": 1.5, "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"}})
	}
}

func imitationDAG() map[string]any {
	return map[string]any{"dag_id": "dag-1",
		"tasks": []map[string]any{
			{"task_id": "t1", "description": "Design it", "task_type": "design", "status": "pending", "priority": 0.9, "estimated_complexity": 2},
			{"task_id": "t2", "description": "Build it", "task_type": "implement", "status": "pending", "priority": 0.8, "estimated_complexity": "medium"},
			{"task_id": "t3", "description": "Ship it", "task_type": "deploy", "status": "pending", "priority": 0.7, "estimated_complexity": 1},
		},
		"dependencies": map[string][]string{"t1": {}, "t2": {"t1"}, "t3": {"t2"}},
		"root_tasks":   []string{"t1"}, "leaf_tasks": []string{"t3"},
		"decomposition_metadata": map[string]any{"method": "heuristic", "recursion_depth": 1, "total_tasks": 3}}
}

func validPlan() map[string]any {
	return map[string]any{"is_valid": true, "solvability_passed": true, "completeness_passed": true, "redundancy_passed": true,
		"quality_score": 0.9, "issues": []string{}, "warnings": []string{"extra"}}
}

// imitateGenesis attaches a live stack whose Genesis is g, with extra
// configuration (for example SMOKE_ALLOW_MUTATION, SMOKE_EXPECT_PRODUCTION).
func imitateGenesis(t *testing.T, g http.Handler, env map[string]string) *harness.Stack {
	t.Helper()
	return harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Genesis: g}, harnesstest.Env(env))
}

// mutable lets checks that change the target run (the orchestration run).
var mutable = map[string]string{harness.Env.AllowMutation: "1"}

func evaluateOn(t *testing.T, g http.Handler, id string) Verdict {
	t.Helper()
	return Evaluate(context.Background(), imitateGenesis(t, g, mutable), check(t, id))
}

func body(status int, ct, b string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(b))
	}
}

func check(t *testing.T, id string) Check {
	c, ok := ByID(id)
	require.True(t, ok, id)
	return c
}

// harnesstest.Genesis holds its own copy of the contract's flags and
// metric families (it cannot import checks): it must serve every one the
// checks read, or a healthy imitation would fail for the wrong reason.
func TestImitationServesWhatTheChecksRead(t *testing.T) {
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		harnesstest.Genesis(nil).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		require.Equal(t, http.StatusOK, rec.Code, path)
		return rec
	}
	var flags map[string]struct{ Enabled bool }
	require.NoError(t, json.Unmarshal(get("/flags").Body.Bytes(), &flags))
	for _, f := range CriticalFlags {
		require.Contains(t, flags, f)
		assert.True(t, flags[f].Enabled, f)
	}
	require.Contains(t, flags, ShutdownFlag)
	assert.False(t, flags[ShutdownFlag].Enabled)
	exposition := get("/metrics").Body.String()
	for _, n := range GenesisMetrics {
		assert.Contains(t, exposition, "# TYPE "+n+" ")
	}
}
