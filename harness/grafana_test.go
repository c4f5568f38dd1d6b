package harness_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/harness/harnesstest"
)

func TestGrafanaCredentialsSentNeverShown(t *testing.T) {
	const pass = "grafana-admin-pass-123"
	var got string
	grafana := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"database":"failing","version":"12.2.0","echo":"password=` + pass + `"}`))
	})
	s := harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Grafana: grafana},
		harnesstest.Env(map[string]string{"SMOKE_GRAFANA_USER": "admin", "SMOKE_GRAFANA_PASSWORD": pass}))
	rep, err := s.Grafana().Health(context.Background())
	require.NoError(t, err, "a 503 is an answer, not a transport failure")
	assert.Equal(t, "failing", rep.Data.Database, "the body is decoded whatever the status")
	_, err = harness.Done(rep, err)
	require.Error(t, err, "Done: a 503 is a failure")
	assert.True(t, strings.HasPrefix(got, "Basic "), "basic auth sent")
	assert.NotContains(t, err.Error(), pass)
}
