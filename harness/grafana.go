package harness

import (
	"context"
	"net/http"
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

// HealthE reads /api/health; Grafana answers 503 with the same body when its
// database is down, so the body is decoded whatever the status.
func (g GrafanaClient) HealthE(ctx context.Context) (*GrafanaHealth, *Response, error) {
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
