package harness

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPreflightReachesEachComponentOnce(t *testing.T) {
	calls := 0
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.WriteHeader(http.StatusNotFound) // any answer is an answer
	}))
	defer up.Close()
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	s := newStack(Config{Mode: Live, Timeouts: DefaultTimeouts})
	s.urls = map[Component]string{Genesis: up.URL, Prometheus: dead.URL}
	down := s.Preflight(context.Background())
	require.Len(t, down, 1)
	assert.Contains(t, down[Prometheus].Error(), "Prometheus did not answer at "+dead.URL)
	assert.Contains(t, down[Prometheus].Error(), "connection refused")
	assert.Equal(t, 1, calls, "one request per component")

	_, marked := s.Unreachable(Prometheus)
	assert.False(t, marked, "the pre-flight only reports; the runner decides what to mark")
	s.SetUnreachable(map[Component]string{Prometheus: "Prometheus did not answer"})
	why, marked := s.Unreachable(Prometheus)
	assert.True(t, marked)
	assert.Equal(t, "Prometheus did not answer", why)
	_, marked = s.WithProfile(ProfileA2A, "test").Unreachable(Prometheus)
	assert.True(t, marked, "a profile view keeps what the pre-flight found")
	s.SetUnreachable(nil)
	_, marked = s.Unreachable(Prometheus)
	assert.False(t, marked, "a later round starts afresh")
}
