package checks

import (
	"context"
	"encoding/json"
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

type imitationError struct {
	status int
	body   any
}

func requestErrors(text string) *imitationError {
	switch {
	case len(text) < 10:
		return &imitationError{400, harnesstest.APIError("VALIDATION_ERROR", "too short", "validation", nil)}
	case len(text) > 5000:
		return &imitationError{400, harnesstest.APIError("VALIDATION_ERROR", "too long", "validation", nil)}
	}
	low := strings.ToLower(text)
	for _, p := range []string{"ignore all previous", "<|im_start|>", "new prompt:"} {
		if strings.Contains(low, p) {
			return &imitationError{400, harnesstest.APIError("SECURITY_ERROR", "injection", "security", map[string]any{"detected_patterns": []string{p}})}
		}
	}
	return nil
}

// imitateGenesis attaches a live stack whose Genesis is g, with extra
// configuration (for example SMOKE_ALLOW_MUTATION, SMOKE_EXPECT_PRODUCTION).
func imitateGenesis(t *testing.T, g http.Handler, env map[string]string) *harness.Stack {
	t.Helper()
	return harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Genesis: g}, harnesstest.Env(env))
}

// mutable lets checks that change the target run (the orchestration run).
var mutable = map[string]string{harness.Env.AllowMutation: "1"}

// evaluateWith evaluates check id on a stack whose Genesis is g, with extra
// configuration env.
func evaluateWith(t *testing.T, g http.Handler, id string, env map[string]string) Verdict {
	t.Helper()
	return Evaluate(context.Background(), imitateGenesis(t, g, env), check(t, id))
}

// evaluateOn is evaluateWith for the checks that may change the target.
func evaluateOn(t *testing.T, g http.Handler, id string) Verdict {
	t.Helper()
	return evaluateWith(t, g, id, mutable)
}

// requirePass stops the test unless v passed, showing why it did not.
func requirePass(t testing.TB, v Verdict) {
	t.Helper()
	require.Equal(t, Pass, v.Outcome, "%v", v.Err)
}

// requireFail stops the test unless v failed, and wants its message to
// say each of says.
func requireFail(t testing.TB, v Verdict, says ...string) {
	t.Helper()
	require.Equal(t, Fail, v.Outcome, "%v", v.Err)
	for _, s := range says {
		assert.Contains(t, v.Err.Error(), s)
	}
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
