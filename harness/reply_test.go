package harness

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// canned is one answer of cannedServer: a status (0 is 200) and a JSON body.
type canned struct {
	status int
	body   string
}

// cannedServer answers JSON by path, whatever the method, so a client test
// states each answer in one line; a path it does not know answers 200 with
// no body. The caller closes it.
func cannedServer(answers map[string]canned) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		a, ok := answers[r.URL.Path]
		if !ok {
			return
		}
		if a.status != 0 {
			w.WriteHeader(a.status)
		}
		_, _ = w.Write([]byte(a.body))
	}))
}

// The one contract: a status is never the error, a lost or undecodable
// answer is; Done gives back the failure a caller that needs the request
// done used to get, with the same evidence.
func TestReplyContract(t *testing.T) {
	srv := cannedServer(map[string]canned{
		"/orchestrate/decompose": {http.StatusBadRequest, `{"error":{"code":"VALIDATION_ERROR","message":"too short"}}`},
		"/orchestrate/route":     {body: `{"metadata":{"request_id":"r"}}`},
		"/orchestrate/validate":  {body: `{"data":{"is_valid":true},"metadata":{"request_id":"r"}}`},
		"/a2a/version":           {http.StatusBadGateway, `{"detail":"upstream down"}`},
		"/flags":                 {body: `{"data":{"flags":{"otel_enabled":{"enabled":true,"strategy":"all_at_once"}}}}`},
		"/resilience":            {body: `{"circuit_breakers":{"llm":{"state":"CLOSED"}}}`},
		"/admin/faults":          {status: http.StatusNotFound},
		"/health":                {http.StatusServiceUnavailable, `{"status":"unhealthy"}`},
	})
	defer srv.Close()
	g := GenesisClient{Requester{Component: Genesis, Base: srv.URL}}
	ctx := context.Background()

	dec, err := g.Decompose(ctx, DecomposeRequest{UserRequest: "x"})
	require.NoError(t, err, "a 400 is an answer")
	assert.Nil(t, dec.Data)
	require.NotNil(t, dec.Error)
	assert.Equal(t, "VALIDATION_ERROR", dec.Error.Code)
	_, err = Done(dec, nil)
	assert.ErrorContains(t, err, "status 400 (want a 2xx status)")

	_, err = g.Route(ctx, RouteRequest{})
	assert.ErrorContains(t, err, "no data object", "a 2xx without data does not decode")

	val, err := g.ValidatePlan(ctx, ValidateRequest{})
	require.NoError(t, err)
	assert.True(t, *val.Data.IsValid)
	assert.Equal(t, "r", val.Metadata.RequestID)
	assert.JSONEq(t, `{"is_valid":true}`, string(val.RawData()))

	ver, err := g.Version(ctx)
	require.NoError(t, err)
	assert.Nil(t, ver.Data, "a 502 is not decoded")
	_, err = Done(ver, err)
	var he *HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, http.StatusBadGateway, he.Status)
	assert.ErrorContains(t, err, "status 502 (want status 200)")
	assert.ErrorContains(t, err, "upstream down")

	flags, err := Done(g.Flags(ctx))
	require.NoError(t, err)
	assert.True(t, *(*flags.Data)["otel_enabled"].Enabled, "flags under data.flags")

	res, err := Done(g.Resilience(ctx))
	require.NoError(t, err)
	assert.Equal(t, "CLOSED", res.Data.CircuitBreakers["llm"].State, "a bare body")

	set, err := g.SetFaults(ctx, "down")
	require.NoError(t, err)
	assert.Equal(t, http.StatusNotFound, set.Resp.Status)
	_, err = Done(set, err)
	assert.ErrorContains(t, err, `status 404, faults "down" not applied (want 2xx from the fault admin endpoint (GENESIS_FAULT_ADMIN=1))`)

	h, err := g.Health(ctx)
	require.NoError(t, err)
	assert.Equal(t, "unhealthy", h.Data.Status, "a health body is decoded whatever the status")

	srv.Close()
	lost, err := g.Health(ctx)
	assert.Nil(t, lost, "no answer, no reply")
	assert.ErrorContains(t, err, "no response")
	_, err = Done(lost, err)
	assert.ErrorContains(t, err, "no response", "Done keeps the transport failure")
}
