package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// GrafanaClient reads Grafana's few endpoints the suite needs. Credentials
// (a token, or user and password) travel in the Requester's header and are
// never printed: evidence goes through RedactText.
type GrafanaClient struct{ Requester }

// GrafanaHealth is GET /api/health (unauthenticated).
type GrafanaHealth struct {
	Commit   string `json:"commit"`
	Database string `json:"database"`
	Version  string `json:"version"`
}

// Health reads /api/health; Grafana answers 503 with the same body when its
// database is down, so the body is decoded whatever the status. Done wants
// 200.
func (g GrafanaClient) Health(ctx context.Context) (*Reply[GrafanaHealth], error) {
	return send[GrafanaHealth](ctx, g.Requester, call{method: http.MethodGet, path: "/api/health", shape: bare,
		decodeOn: anyStatus, expect: wantStatus(http.StatusOK)})
}

// GrafanaDatasourceHealth is GET /api/datasources/uid/UID/health: Grafana
// queries the datasource and says "OK", or "ERROR" with why (status 400).
type GrafanaDatasourceHealth struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// DatasourceHealth asks Grafana to check a datasource. The body is decoded
// whatever the status (a failing datasource answers 400 with its reason)
// but 401 and 403, which Done makes the failure that says which settings
// carry the credentials.
func (g GrafanaClient) DatasourceHealth(ctx context.Context, uid string) (*Reply[GrafanaDatasourceHealth], error) {
	return send[GrafanaDatasourceHealth](ctx, g.Requester, call{method: http.MethodGet, path: "/api/datasources/uid/" + url.PathEscape(uid) + "/health",
		shape: bare, decodeOn: notRefused,
		expect: expectation{ok: func(r *Response) bool { return notRefused(r.Status) }, want: "status 200"}})
}

// notRefused is a status other than 401 and 403.
func notRefused(status int) bool {
	return status != http.StatusUnauthorized && status != http.StatusForbidden
}

// GrafanaDashboard is GET /api/dashboards/uid/UID: the dashboard's JSON model
// and what Grafana knows about it.
type GrafanaDashboard struct {
	Dashboard json.RawMessage `json:"dashboard"`
	Meta      struct {
		Provisioned           bool   `json:"provisioned"`
		ProvisionedExternalID string `json:"provisionedExternalId"`
		FolderTitle           string `json:"folderTitle"`
		URL                   string `json:"url"`
	} `json:"meta"`
}

// Dashboard reads a dashboard by uid; Done wants 200 (404 "Dashboard not
// found"). A 200 without a dashboard object is a decode failure.
func (g GrafanaClient) Dashboard(ctx context.Context, uid string) (*Reply[GrafanaDashboard], error) {
	rep, err := send[GrafanaDashboard](ctx, g.Requester, call{method: http.MethodGet, path: "/api/dashboards/uid/" + url.PathEscape(uid),
		shape: bare, decodeOn: onStatus(http.StatusOK), expect: wantStatus(http.StatusOK)})
	if err == nil && rep.Data != nil && (len(rep.Data.Dashboard) == 0 || string(rep.Data.Dashboard) == "null") {
		rep.Data = nil
		err = rep.Resp.Fail("a dashboard object", errors.New("no dashboard in the answer"))
	}
	return rep, err
}

// GrafanaDatasourceRef names a datasource in a query.
type GrafanaDatasourceRef struct {
	Type string `json:"type,omitempty"`
	UID  string `json:"uid"`
}

// GrafanaQuery is one query of POST /api/ds/query, as a panel sends it:
// Grafana expands the dashboard's variables ($__rate_interval, ...) itself.
type GrafanaQuery struct {
	RefID         string               `json:"refId"`
	Datasource    GrafanaDatasourceRef `json:"datasource"`
	Expr          string               `json:"expr"`
	Instant       bool                 `json:"instant"`
	Range         bool                 `json:"range"`
	IntervalMs    int64                `json:"intervalMs,omitempty"`
	MaxDataPoints int64                `json:"maxDataPoints,omitempty"`
}

// GrafanaQueryRequest is the body of POST /api/ds/query: the queries and the
// dashboard's time range ("now-48h", "now").
type GrafanaQueryRequest struct {
	Queries []GrafanaQuery `json:"queries"`
	From    string         `json:"from"`
	To      string         `json:"to"`
}

// GrafanaQueryResult is one query's answer: data frames, or an error.
type GrafanaQueryResult struct {
	Status int            `json:"status"`
	Error  string         `json:"error"`
	Frames []GrafanaFrame `json:"frames"`
}

// GrafanaFrame is one data frame: columns of values.
type GrafanaFrame struct {
	Schema struct {
		Fields []struct {
			Name string `json:"name"`
			Type string `json:"type"`
		} `json:"fields"`
	} `json:"schema"`
	Data struct {
		Values [][]json.RawMessage `json:"values"`
	} `json:"data"`
}

// Rows is how many values the frame's longest column holds.
func (f GrafanaFrame) Rows() int {
	n := 0
	for _, col := range f.Data.Values {
		n = max(n, len(col))
	}
	return n
}

// Rows is how many rows the result's frames hold together.
func (r GrafanaQueryResult) Rows() int {
	n := 0
	for _, f := range r.Frames {
		n += f.Rows()
	}
	return n
}

// GrafanaQueryResponse is the answer of POST /api/ds/query: each query's
// result by refId.
type GrafanaQueryResponse struct {
	Results map[string]GrafanaQueryResult `json:"results"`
}

// Query sends queries through Grafana's query API (POST /api/ds/query), the
// path a panel's data takes. Grafana answers 200, 207 when some queries
// failed, or 400/500 with the errors in the results: the body is decoded
// whatever the status, and only an answer without results is a decode
// failure. Done accepts any answer.
func (g GrafanaClient) Query(ctx context.Context, q GrafanaQueryRequest) (*Reply[GrafanaQueryResponse], error) {
	rep, err := send[GrafanaQueryResponse](ctx, g.Requester, call{method: http.MethodPost, path: "/api/ds/query", body: q,
		shape: bare, decodeOn: anyStatus, expect: anyAnswer})
	if err == nil && rep.Data.Results == nil {
		rep.Data = nil
		err = rep.Resp.Fail("status 200 with results", fmt.Errorf("no results in the answer"))
	}
	return rep, err
}
