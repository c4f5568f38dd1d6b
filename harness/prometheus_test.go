package harness_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/harness/harnesstest"
)

func TestPrometheusCredentials(t *testing.T) {
	var got string
	unauthorized := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("Authorization")
		w.WriteHeader(http.StatusUnauthorized)
	})
	open := func(env map[string]string) *harness.Stack {
		return harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Prometheus: unauthorized}, harnesstest.Env(env))
	}

	_, err := open(nil).Prometheus().Query(context.Background(), "up")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "status 401")
	assert.Contains(t, err.Error(), "Prometheus wants credentials: set SMOKE_PROMETHEUS_TOKEN, or SMOKE_PROMETHEUS_USER and SMOKE_PROMETHEUS_PASSWORD")
	assert.Empty(t, got)

	_, err = open(map[string]string{harness.Env.PrometheusToken: "tok-0123456789"}).Prometheus().Query(context.Background(), "up")
	require.Error(t, err)
	assert.Equal(t, "Bearer tok-0123456789", got, "the token is sent")
	assert.NotContains(t, err.Error(), "tok-0123", "and never printed")

	_, _ = open(map[string]string{harness.Env.PrometheusUser: "ops", harness.Env.PrometheusPassword: "pw-secret"}).Prometheus().Healthy(context.Background())
	assert.Equal(t, "Basic b3BzOnB3LXNlY3JldA==", got, "basic auth on the management endpoints too")
}
