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

func TestDrillCorrelation(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Get("X-Correlation-Id") }))
	defer srv.Close()
	genesis := Requester{Component: Genesis, Base: srv.URL}
	drill := WithDrill(context.Background(), "emergency_shutdown_drill")

	_, err := genesis.Get(drill, "/")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(got, DrillCorrelationPrefix+"emergency_shutdown_drill-"), got)
	assert.True(t, IsDrillCorrelation(got))
	first := got
	_, _ = genesis.Get(drill, "/")
	assert.Equal(t, first, got, "one correlation id per drill run")

	_, _ = genesis.Get(context.Background(), "/")
	assert.Empty(t, got, "ordinary requests carry none")

	_, _ = genesis.Do(drill, http.MethodGet, "/", nil, http.Header{"X-Correlation-Id": {"smokestack-redaction-1"}})
	assert.Equal(t, "smokestack-redaction-1", got, "a request's own correlation id wins")

	_, _ = Requester{Component: Prometheus, Base: srv.URL}.Get(drill, "/")
	assert.Empty(t, got, "only Genesis logs it")
	assert.False(t, IsDrillCorrelation("smokestack-redaction-1"))
}
