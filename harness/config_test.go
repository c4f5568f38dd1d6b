package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func lookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadConfigDefaults(t *testing.T) {
	cfg, err := LoadConfig(lookup(nil))
	require.NoError(t, err)
	assert.Equal(t, Ephemeral, cfg.Mode)
	assert.True(t, cfg.CanMutate(), "a stack this run starts may be mutated")
	assert.Equal(t, 15, cfg.Expect.Agents)
	want := DefaultTimeouts
	want.Trace = referenceTraceWait
	assert.Equal(t, want, cfg.Timeouts, "an ephemeral stack of the reference service waits for its 1 s batch, not the default's")
	assert.Equal(t, Images{Prometheus: DefaultPrometheusImage, Alertmanager: DefaultAlertmanagerImage,
		NodeExporter: DefaultNodeExporterImage, Grafana: DefaultGrafanaImage, Jaeger: DefaultJaegerImage}, cfg.Images)
}

func TestLoadConfigLive(t *testing.T) {
	cfg, err := LoadConfig(lookup(map[string]string{
		"SMOKE_TARGET": "live", "SMOKE_REQUIRE": "genesis,prometheus", "SMOKE_A2A_URL": "http://127.0.0.1:8080/", "SMOKE_PROMETHEUS_URL": "http://127.0.0.1:9090",
		"SMOKE_CONTAINERS": "prometheus,grafana=mon-grafana-1", "SMOKE_EXPECT_AGENTS": "12", "SMOKE_HTTP_TIMEOUT": "2s",
	}))
	require.NoError(t, err)
	assert.False(t, cfg.CanMutate(), "live mode is read-only unless SMOKE_ALLOW_MUTATION=1")
	if diff := cmp.Diff(map[Component]string{Genesis: "http://127.0.0.1:8080", Prometheus: "http://127.0.0.1:9090"}, cfg.URLs); diff != "" {
		t.Errorf("URLs (-want +got):\n%s", diff)
	}
	assert.Equal(t, map[Component]string{Prometheus: "prometheus", Grafana: "mon-grafana-1"}, cfg.Containers)
	assert.Equal(t, 12, cfg.Expect.Agents)
	assert.Equal(t, 2*time.Second, cfg.Timeouts.HTTP)
	assert.Equal(t, DefaultTimeouts.Trace, cfg.Timeouts.Trace, "a service of unknown batch gets the default trace wait")

	s, err := Attach(cfg)
	require.NoError(t, err)
	assert.True(t, s.Has(Genesis))
	assert.False(t, s.Has(Grafana))
	assert.Contains(t, s.Absent(Grafana), "SMOKE_GRAFANA_URL", "an absent component's reason says what to set")
}

func TestLoadConfigRejectsBadInput(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"unknown mode":      {"SMOKE_TARGET": "staging"},
		"live without URLs": {"SMOKE_TARGET": "live"},
		"URL without host":  {"SMOKE_TARGET": "live", "SMOKE_A2A_URL": "localhost:8080"},
		"bad duration":      {"SMOKE_HTTP_TIMEOUT": "soon"},
		"negative duration": {"SMOKE_CHECK_TIMEOUT": "-1s"},
		"bad bool":          {"SMOKE_ALLOW_MUTATION": "please"},
		"bad count":         {"SMOKE_EXPECT_AGENTS": "fifteen"},
		"bad deploy start":  {"SMOKE_DEPLOY_STARTED": "yesterday"},
		"future deploy":     {"SMOKE_DEPLOY_STARTED": "2999-01-01T00:00:00Z"},
		"unknown container": {"SMOKE_CONTAINERS": "postgres"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := LoadConfig(lookup(env))
			require.Error(t, err)
			for k := range env {
				assert.Contains(t, err.Error(), k, "the error names the variable to fix")
			}
		})
	}
}

func TestConfigFileAndEnvPrecedence(t *testing.T) {
	f := filepath.Join(t.TempDir(), "stack.env")
	require.NoError(t, os.WriteFile(f, []byte("# comment\nexport SMOKE_TARGET=live\nSMOKE_REQUIRE=genesis\nSMOKE_A2A_URL=\"http://127.0.0.1:1\"\nSMOKE_API_KEY=from-file\n"), 0o600))
	cfg, err := LoadConfig(lookup(map[string]string{"SMOKE_CONFIG": f, "SMOKE_A2A_URL": "http://127.0.0.1:2"}))
	require.NoError(t, err)
	assert.Equal(t, Live, cfg.Mode)
	assert.Equal(t, "http://127.0.0.1:2", cfg.URLs[Genesis], "the environment overrides the file")
	assert.Equal(t, "from-file", cfg.APIKey.Value())

	require.NoError(t, os.WriteFile(f, []byte("not a pair\n"), 0o600))
	_, err = LoadConfig(lookup(map[string]string{"SMOKE_CONFIG": f}))
	assert.ErrorContains(t, err, "line 1")
}

// TestSecretsNeverPrinted: a Config printed any way shows no credential.
func TestSecretsNeverPrinted(t *testing.T) {
	const key, pass = "sk-live-0123456789abcdef", "hunter2-grafana"
	cfg, err := LoadConfig(lookup(map[string]string{
		"SMOKE_TARGET": "live", "SMOKE_REQUIRE": "genesis", "SMOKE_A2A_URL": "http://user:" + pass + "@127.0.0.1:8080",
		"SMOKE_API_KEY": key, "SMOKE_GRAFANA_PASSWORD": pass, "SMOKE_GRAFANA_TOKEN": key,
	}))
	require.NoError(t, err)
	s, _ := Attach(cfg)
	for _, out := range []string{cfg.String(), fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), s.Describe()} {
		assert.NotContains(t, out, key)
		assert.NotContains(t, out, pass)
	}
	assert.Equal(t, key, cfg.APIKey.Value(), "the one place that sends it still can")
}

func TestConfigFileRelativeToModuleRoot(t *testing.T) {
	dir := filepath.Join("..", ".smokestack")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	f := filepath.Join(dir, "config-test.env")
	require.NoError(t, os.WriteFile(f, []byte("SMOKE_TARGET=live\nSMOKE_REQUIRE=genesis\nSMOKE_A2A_URL=http://127.0.0.1:1\n"), 0o600))
	t.Cleanup(func() { os.Remove(f) })
	cfg, err := LoadConfig(lookup(map[string]string{"SMOKE_CONFIG": ".smokestack/config-test.env"}))
	require.NoError(t, err, "a path from the checkout's top works from a package directory")
	assert.Equal(t, Live, cfg.Mode)
}

// Variables that no check reads but that smokestack's own tools set are
// known: SMOKE_NO_BROWSER=1 for the report's browser test must not make
// every suite refuse its configuration. A misspelling of one is refused.
func TestToolVariablesAreKnown(t *testing.T) {
	assert.NoError(t, UnknownVars([]string{"SMOKE_NO_BROWSER", "SMOKE_STACK_RUN", "SMOKE_TARGET"}, ""))
	err := UnknownVars([]string{"SMOKE_NO_BROWSR"}, "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "did you mean SMOKE_NO_BROWSER?")
}

// SMOKE_TRACE_WAIT: 15 s, or 5 s for an ephemeral stack of the reference
// service (its batch is 1 s), unless set; an image of the user's is of
// unknown batch and gets the default.
func TestTraceWait(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want time.Duration
	}{
		{nil, referenceTraceWait},
		{map[string]string{"SMOKE_GENESIS_IMAGE": "genesis:prod"}, DefaultTimeouts.Trace},
		{map[string]string{"SMOKE_TARGET": "live", "SMOKE_REQUIRE": "genesis", "SMOKE_A2A_URL": "http://127.0.0.1:8080"}, DefaultTimeouts.Trace},
		{map[string]string{"SMOKE_TRACE_WAIT": "40s"}, 40 * time.Second},
		{map[string]string{"SMOKE_TARGET": "live", "SMOKE_REQUIRE": "genesis", "SMOKE_A2A_URL": "http://127.0.0.1:8080", "SMOKE_TRACE_WAIT": "40s"}, 40 * time.Second},
	} {
		cfg, err := LoadConfig(lookup(tc.env))
		require.NoError(t, err, "%v", tc.env)
		assert.Equal(t, tc.want, cfg.Timeouts.Trace, "%v", tc.env)
	}
	_, err := LoadConfig(lookup(map[string]string{"SMOKE_TRACE_WAIT": "a while"}))
	assert.ErrorContains(t, err, "SMOKE_TRACE_WAIT")
}

// SMOKE_SUCCESS_WINDOW: 48h by default, a positive duration, and the
// stack's window start cuts it (never widens it).
func TestSuccessWindow(t *testing.T) {
	cfg, err := LoadConfig(lookup(nil))
	require.NoError(t, err)
	assert.Equal(t, 48*time.Hour, cfg.SuccessWindow)
	_, err = LoadConfig(lookup(map[string]string{"SMOKE_SUCCESS_WINDOW": "two days"}))
	assert.ErrorContains(t, err, "SMOKE_SUCCESS_WINDOW")
	_, err = LoadConfig(lookup(map[string]string{"SMOKE_SUCCESS_WINDOW": "0s"}))
	assert.ErrorContains(t, err, "SMOKE_SUCCESS_WINDOW")

	cfg, err = LoadConfig(lookup(map[string]string{"SMOKE_SUCCESS_WINDOW": "5m"}))
	require.NoError(t, err)
	s := newStack(cfg)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	w, how := s.SuccessWindow(now)
	assert.Equal(t, 5*time.Minute, w)
	assert.Equal(t, "SMOKE_SUCCESS_WINDOW=5m0s", how)

	cut := s.WithWindowStart(now.Add(-41*time.Second - 300*time.Millisecond))
	w, how = cut.SuccessWindow(now)
	assert.Equal(t, 41*time.Second+300*time.Millisecond, w, "from the window start, to the millisecond: neither before it nor after it")
	assert.Contains(t, how, "2026-12-01T11:59:18Z")
	w, _ = s.WithWindowStart(now.Add(-41*time.Second - 700*time.Millisecond - 400*time.Microsecond)).SuccessWindow(now)
	assert.Equal(t, 41*time.Second+700*time.Millisecond, w, "rounded down to the millisecond: never before its start")
	w, _ = s.SuccessWindow(now)
	assert.Equal(t, 5*time.Minute, w, "a view: the stack itself keeps its window")

	w, _ = s.WithWindowStart(now.Add(-time.Hour)).SuccessWindow(now)
	assert.Equal(t, 5*time.Minute, w, "a start further back than the window does not widen it")
	w, _ = s.WithWindowStart(now).SuccessWindow(now)
	assert.Equal(t, time.Millisecond, w, "never an empty range")
}
