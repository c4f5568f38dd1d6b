package harness

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// PrometheusClient reads Prometheus: health by its management endpoints, the
// rest through client_golang's API client, which decodes the response
// envelope (a 2xx that says "error" is an error).
type PrometheusClient struct {
	Requester
	API v1.API
}

func newPrometheusClient(q Requester) (PrometheusClient, error) {
	c, err := api.NewClient(api.Config{
		Address:      q.Base,
		RoundTripper: markerTransport{base: suiteClient.Transport, header: q.Header},
	})
	if err != nil {
		return PrometheusClient{}, fmt.Errorf("prometheus client for %s: %w", q.Base, err)
	}
	return PrometheusClient{Requester: q, API: v1.NewAPI(c)}, nil
}

// Healthy is GET /-/healthy; Done wants 200 and the text Prometheus serves
// when healthy.
func (p PrometheusClient) Healthy(ctx context.Context) (*Reply[struct{}], error) {
	return send[struct{}](ctx, p.Requester, call{method: http.MethodGet, path: "/-/healthy", shape: ignored,
		expect: expectation{ok: func(r *Response) bool {
			return r.Status == http.StatusOK && strings.Contains(string(r.Body), "Healthy")
		},
			want: `status 200 and "Prometheus Server is Healthy."`}})
}

// Query runs an instant query with the request deadline and returns
// warnings as part of the error text when the result is empty.
func (p PrometheusClient) Query(ctx context.Context, query string) (model.Value, error) {
	return p.QueryAt(ctx, query, time.Now())
}

// QueryAt is Query evaluated at ts: the queries of one window, all at its
// end, cover the same span however long each waits for the one before.
func (p PrometheusClient) QueryAt(ctx context.Context, query string, ts time.Time) (model.Value, error) {
	return apiCall(ctx, p, "/api/v1/query?query="+query, func(ctx context.Context) (model.Value, error) {
		v, warnings, _, err := p.API.Query(ctx, query, ts)
		if err != nil {
			return nil, fmt.Errorf("query %q: %w (warnings: %v)", query, err, warnings)
		}
		return v, nil
	})
}

// Targets lists the scrape targets.
func (p PrometheusClient) Targets(ctx context.Context) (v1.TargetsResult, error) {
	return apiCall(ctx, p, "/api/v1/targets", p.API.Targets)
}

// apiCall runs one API client read under the request deadline, so that
// every reader is bounded alike and a failure is the evidence of a GET of
// path, as a check's message names it.
func apiCall[T any](ctx context.Context, p PrometheusClient, path string, read func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout())
	defer cancel()
	r, err := read(ctx)
	if err != nil {
		return r, &HTTPError{Component: Prometheus, Method: "GET", URL: p.Base + path, Status: apiStatus(err), Err: err}
	}
	return r, nil
}

// Rules lists the rule groups Prometheus has loaded, with each rule's
// health and last error (/api/v1/rules).
func (p PrometheusClient) Rules(ctx context.Context) (v1.RulesResult, error) {
	return apiCall(ctx, p, "/api/v1/rules", func(ctx context.Context) (v1.RulesResult, error) {
		return p.API.Rules(ctx, nil)
	})
}

// Runtimeinfo reads /api/v1/status/runtimeinfo: whether the last
// configuration reload succeeded, and when.
func (p PrometheusClient) Runtimeinfo(ctx context.Context) (v1.RuntimeinfoResult, error) {
	return apiCall(ctx, p, "/api/v1/status/runtimeinfo", p.API.Runtimeinfo)
}

// AlertManagers lists the Alertmanagers Prometheus sends alerts to
// (/api/v1/alertmanagers): active (discovered) and dropped.
func (p PrometheusClient) AlertManagers(ctx context.Context) (v1.AlertManagersResult, error) {
	return apiCall(ctx, p, "/api/v1/alertmanagers", p.API.AlertManagers)
}

// Alerts lists the alerts Prometheus has pending or firing (/api/v1/alerts).
func (p PrometheusClient) Alerts(ctx context.Context) (v1.AlertsResult, error) {
	return apiCall(ctx, p, "/api/v1/alerts", p.API.Alerts)
}

// Flags reads the command-line flags Prometheus runs with
// (/api/v1/status/flags): config.file names its configuration file.
func (p PrometheusClient) Flags(ctx context.Context) (v1.FlagsResult, error) {
	return apiCall(ctx, p, "/api/v1/status/flags", p.API.Flags)
}

// LabelNames lists the label names of the series matching the selector
// between start and end (/api/v1/labels?match[]=...): empty when no series
// matches, since every series has at least __name__.
func (p PrometheusClient) LabelNames(ctx context.Context, selector string, start, end time.Time) (model.LabelNames, error) {
	return apiCall(ctx, p, "/api/v1/labels?match[]="+selector, func(ctx context.Context) (model.LabelNames, error) {
		names, warnings, _, err := p.API.LabelNames(ctx, []string{selector}, start, end)
		if err != nil {
			return nil, fmt.Errorf("%w (warnings: %v)", err, warnings)
		}
		return names, nil
	})
}

// apiStatus recovers the HTTP status client_golang reports only in its
// error text ("client error: 401"), so that a refused request is told
// apart from a lost one; 0 when there is none.
func apiStatus(err error) int {
	var e *v1.Error
	if !errors.As(err, &e) || e.Type != v1.ErrClient {
		return 0
	}
	for _, st := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		if strings.Contains(e.Msg, fmt.Sprintf("client error: %d", st)) {
			return st
		}
	}
	return 0
}

func (p PrometheusClient) timeout() time.Duration {
	if p.Timeout > 0 {
		return p.Timeout
	}
	return DefaultTimeouts.HTTP
}

// markerTransport adds the smoke-traffic marker (and credentials, if any) to
// requests made by library clients the harness does not build itself.
type markerTransport struct {
	base   http.RoundTripper
	header http.Header
}

func (m markerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	noteNetworkInput()
	r = r.Clone(r.Context())
	r.Header.Set(MarkerHeader, "1")
	for k, vs := range m.header {
		r.Header[k] = vs
	}
	return m.base.RoundTrip(r)
}
