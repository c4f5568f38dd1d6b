package harnesstest

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/smokestack-dev/smokestack/harness"
)

// Option changes the configuration NewStack loads.
type Option func(env map[string]string)

// Env adds SMOKE_* settings (name to value), for example
// SMOKE_ALLOW_MUTATION or SMOKE_EXPECT_PRODUCTION. They win over
// NewStack's own, so a test can lengthen a timeout or narrow SMOKE_REQUIRE.
func Env(settings map[string]string) Option {
	return func(env map[string]string) { maps.Copy(env, settings) }
}

// NewStack attaches a live stack whose components are httptest servers
// answering with the given handlers, each required (SMOKE_REQUIRE), so a
// check judges wrong shapes and outages without Docker. The configuration
// goes through harness.LoadConfig like a user's, with short timeouts (a
// request 1s, a check 2s) so a hanging imitation fails fast. An in-process
// imitation answers in microseconds, but not always within 300ms, the
// request timeout before: in CI on two cores, with the proofs' stacks
// starting beside the checks' tests, one did not (2026-12-03). The servers
// close when the test ends.
func NewStack(t testing.TB, handlers map[harness.Component]http.Handler, opts ...Option) *harness.Stack {
	t.Helper()
	env := map[string]string{
		harness.Env.Target:       string(harness.Live),
		harness.Env.HTTPTimeout:  "1s",
		harness.Env.CheckTimeout: "2s",
	}
	var required []string
	for _, c := range slices.Sorted(maps.Keys(handlers)) {
		srv := httptest.NewServer(handlers[c])
		t.Cleanup(func() { srv.CloseClientConnections(); srv.Close() })
		env[c.URLVar()] = srv.URL
		required = append(required, string(c))
	}
	env[harness.Env.Require] = strings.Join(required, ",")
	for _, o := range opts {
		o(env)
	}
	cfg, err := harness.LoadConfig(func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	})
	if err != nil {
		t.Fatalf("harnesstest: a live config with every URL was refused: %v", err)
	}
	s, err := harness.Attach(cfg)
	if err != nil {
		t.Fatalf("harnesstest: attach: %v", err)
	}
	return s
}
