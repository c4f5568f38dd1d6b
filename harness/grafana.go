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
// database is down, so the body is decoded whatever the status.
func (g GrafanaClient) Health(ctx context.Context) (*GrafanaHealth, *Response, error) {
	resp, err := g.Get(ctx, "/api/health")
	if err != nil {
		return nil, resp, err
	}
	var h GrafanaHealth
	if err := resp.DecodeJSON(&h); err != nil {
		return nil, resp, err
	}
	if resp.Status != http.StatusOK {
		return &h, resp, resp.Fail("status 200", nil)
	}
	return &h, resp, nil
}

// GrafanaDatasourceHealth is GET /api/datasources/uid/UID/health: Grafana
// queries the datasource and says "OK", or "ERROR" with why (status 400).
type GrafanaDatasourceHealth struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// DatasourceHealth asks Grafana to check a datasource. The body is decoded
// whatever the status: a failing datasource answers 400 with its reason.
func (g GrafanaClient) DatasourceHealth(ctx context.Context, uid string) (*GrafanaDatasourceHealth, *Response, error) {
	resp, err := g.Get(ctx, "/api/datasources/uid/"+url.PathEscape(uid)+"/health")
	if err != nil {
		return nil, resp, err
	}
	if resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden {
		return nil, resp, resp.Fail("status 200", nil) // says which settings carry the credentials
	}
	var h GrafanaDatasourceHealth
	if err := resp.DecodeJSON(&h); err != nil {
		return nil, resp, err
	}
	return &h, resp, nil
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

// Dashboard reads a dashboard by uid; anything but 200 with a JSON body
// (404 "Dashboard not found") is an error carrying the answer.
func (g GrafanaClient) Dashboard(ctx context.Context, uid string) (*GrafanaDashboard, *Response, error) {
	var d GrafanaDashboard
	resp, err := g.GetJSON(ctx, "/api/dashboards/uid/"+url.PathEscape(uid), http.StatusOK, &d)
	if err != nil {
		return nil, resp, err
	}
	if len(d.Dashboard) == 0 || string(d.Dashboard) == "null" {
		return nil, resp, resp.Fail("a dashboard object", errors.New("no dashboard in the answer"))
	}
	return &d, resp, nil
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

// Query sends queries through Grafana's query API (POST /api/ds/query), the
// path a panel's data takes. It returns each query's result by refId.
// Grafana answers 200, 207 when some queries failed, or 400/500 with the
// errors in the results: any answer whose body holds results is returned
// with them; only one without results is an error.
func (g GrafanaClient) Query(ctx context.Context, q GrafanaQueryRequest) (map[string]GrafanaQueryResult, *Response, error) {
	body, err := json.Marshal(q)
	if err != nil {
		return nil, nil, err
	}
	resp, err := g.Do(ctx, http.MethodPost, "/api/ds/query", body, nil)
	if err != nil {
		return nil, resp, err
	}
	var out struct {
		Results map[string]GrafanaQueryResult `json:"results"`
	}
	if err := resp.DecodeJSON(&out); err != nil {
		return nil, resp, err
	}
	if out.Results == nil {
		return nil, resp, resp.Fail("status 200 with results", fmt.Errorf("no results in the answer"))
	}
	return out.Results, resp, nil
}
