package harness

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGrafanaCredentialsSentNeverShown(t *testing.T) {
	const pass = "grafana-admin-pass-123"
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"database":"failing","version":"12.2.0","echo":"password=` + pass + `"}`))
	}))
	t.Cleanup(srv.Close)
	cfg, err := LoadConfig(lookup(map[string]string{"SMOKE_TARGET": "live", "SMOKE_REQUIRE": "grafana", "SMOKE_GRAFANA_URL": srv.URL,
		"SMOKE_GRAFANA_USER": "admin", "SMOKE_GRAFANA_PASSWORD": pass}))
	require.NoError(t, err)
	s, err := Attach(cfg)
	require.NoError(t, err)
	h, _, err := s.Grafana().HealthE(context.Background())
	require.Error(t, err, "503 is a failure")
	assert.Equal(t, "failing", h.Database, "the body is decoded whatever the status")
	assert.True(t, strings.HasPrefix(got, "Basic "), "basic auth sent")
	assert.NotContains(t, err.Error(), pass)
}
