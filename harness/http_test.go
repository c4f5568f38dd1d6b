package harness

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostile serves the broken answers a component can give.
func hostile(t *testing.T, h http.HandlerFunc) Requester {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return Requester{Component: Genesis, Base: srv.URL, Timeout: 300 * time.Millisecond}
}

func TestRequesterEvidence(t *testing.T) {
	cases := map[string]struct {
		h    http.HandlerFunc
		want []string
	}{
		"wrong status": {func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte(`{"detail":"upstream down"}`))
		}, []string{"status 502", "want status 200", "upstream down", "/health"}},
		"HTML instead of JSON": {func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html>maintenance</html>"))
		}, []string{"text/html", "maintenance", "want a JSON body"}},
		"truncated JSON": {func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"status":"heal`))
		}, []string{"unexpected EOF", `{\"status\":\"heal`}},
		"hanging server": {func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}, []string{"no response", "no answer within 300ms"}},
		"credential in body": {func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"detail":"bad key sk-proj-abcdefghijklmnopqrstuv"}`))
		}, []string{"REDACTED"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			q := hostile(t, c.h)
			var out map[string]any
			start := time.Now()
			_, err := q.GetJSON(context.Background(), "/health", http.StatusOK, &out)
			require.Error(t, err)
			assert.Less(t, time.Since(start), 3*time.Second, "bounded by the request deadline")
			var he *HTTPError
			require.True(t, errors.As(err, &he), "evidence is an *HTTPError: %v", err)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), "abcdefghijklmnopqrstuv")
			assert.Contains(t, err.Error(), "A2A service (genesis)", "names the component")
		})
	}
}

func TestRequesterCapsBody(t *testing.T) {
	q := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(strings.Repeat("x", maxBody+1000)))
	})
	resp, err := q.Get(context.Background(), "/")
	require.NoError(t, err)
	assert.Len(t, resp.Body, maxBody)
	assert.LessOrEqual(t, len(resp.Excerpt()), bodyExcerpt+len("…"))
}

func TestRequesterMarksSmokeTraffic(t *testing.T) {
	var got http.Header
	q := hostile(t, func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() })
	q.Header = http.Header{"X-Api-Key": {"k"}}
	_, err := q.Get(context.Background(), "/")
	require.NoError(t, err)
	assert.Equal(t, "1", got.Get(MarkerHeader))
	assert.Equal(t, "k", got.Get("X-API-Key"))
}

func TestEventually(t *testing.T) {
	n := 0
	err := EventuallyE(context.Background(), "third time lucky", time.Second, time.Millisecond, func(context.Context) error {
		if n++; n < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 3, n)

	err = EventuallyE(context.Background(), "never", 50*time.Millisecond, 10*time.Millisecond, func(context.Context) error {
		return errors.New("last seen value 7")
	})
	var te *TimeoutError
	require.ErrorAs(t, err, &te)
	assert.Contains(t, err.Error(), "never")
	assert.Contains(t, err.Error(), "last seen value 7", "a timeout keeps the last error")

	calls := 0
	err = EventuallyE(context.Background(), "permanent", time.Second, time.Millisecond, func(context.Context) error {
		calls++
		return Permanent(errors.New("config is wrong"))
	})
	assert.EqualError(t, err, "config is wrong")
	assert.Equal(t, 1, calls, "a permanent error stops retrying")
}

// TestStartWithoutEngine: no engine in ephemeral mode stops at once with
// one message that says what to do — not a timeout, not a skip.
func TestStartWithoutEngine(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	cfg, err := LoadConfig(lookup(nil))
	require.NoError(t, err)
	start := time.Now()
	s, err := Start(context.Background(), cfg)
	require.NotNil(t, s, "Start returns the stack even on error")
	require.ErrorIs(t, err, ErrNoEngine)
	assert.Less(t, time.Since(start), 15*time.Second)
	for _, w := range []string{"DOCKER_HOST", "SMOKE_TARGET=live", "/nonexistent/docker.sock"} {
		assert.Contains(t, err.Error(), w)
	}
	assert.NoError(t, s.Close(context.Background()))
}

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
