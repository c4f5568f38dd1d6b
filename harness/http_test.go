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
			start := time.Now()
			_, err := Done(send[map[string]any](context.Background(), q, readCall("/health")))
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
