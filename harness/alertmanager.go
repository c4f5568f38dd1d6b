package harness

import (
	"context"
	"net/http"
)

// AlertmanagerClient reads Alertmanager's management and v2 API.
type AlertmanagerClient struct{ Requester }

// AlertmanagerStatus is the part of /api/v2/status the suite reads.
type AlertmanagerStatus struct {
	Cluster struct {
		Status string `json:"status"`
	} `json:"cluster"`
	VersionInfo struct {
		Version string `json:"version"`
	} `json:"versionInfo"`
	Config struct {
		Original string `json:"original"`
	} `json:"config"`
}

// HealthyE wants 200 from /-/healthy.
func (a AlertmanagerClient) HealthyE(ctx context.Context) (*Response, error) {
	resp, err := a.Get(ctx, "/-/healthy")
	if err != nil {
		return resp, err
	}
	if resp.Status != http.StatusOK {
		return resp, resp.Fail("status 200", nil)
	}
	return resp, nil
}

// StatusE reads /api/v2/status.
func (a AlertmanagerClient) StatusE(ctx context.Context) (*AlertmanagerStatus, *Response, error) {
	var s AlertmanagerStatus
	resp, err := a.GetJSON(ctx, "/api/v2/status", http.StatusOK, &s)
	if err != nil {
		return nil, resp, err
	}
	return &s, resp, nil
}
