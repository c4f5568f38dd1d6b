package harness

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPrometheusCredentials(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("Authorization")
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	open := func(env map[string]string) *Stack {
		cfg, err := LoadConfig(func(k string) (string, bool) {
			v, ok := map[string]string{Env.Target: "live", Env.PrometheusURL: srv.URL, Env.Require: "prometheus"}[k]
			if w, set := env[k]; set {
				return w, true
			}
			return v, ok
		})
		require.NoError(t, err)
		s, err := Attach(cfg)
		require.NoError(t, err)
		return s
	}

	_, err := open(nil).Prometheus().QueryE(context.Background(), "up")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "status 401")
	assert.Contains(t, err.Error(), "Prometheus wants credentials: set SMOKE_PROMETHEUS_TOKEN, or SMOKE_PROMETHEUS_USER and SMOKE_PROMETHEUS_PASSWORD")
	assert.Empty(t, got)

	_, err = open(map[string]string{Env.PrometheusToken: "tok-0123456789"}).Prometheus().QueryE(context.Background(), "up")
	require.Error(t, err)
	assert.Equal(t, "Bearer tok-0123456789", got, "the token is sent")
	assert.NotContains(t, err.Error(), "tok-0123", "and never printed")

	_, _ = open(map[string]string{Env.PrometheusUser: "ops", Env.PrometheusPassword: "pw-secret"}).Prometheus().HealthyE(context.Background())
	assert.Equal(t, "Basic b3BzOnB3LXNlY3JldA==", got, "basic auth on the management endpoints too")
}
