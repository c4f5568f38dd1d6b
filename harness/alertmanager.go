package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
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

// Healthy wants 200 from /-/healthy.
func (a AlertmanagerClient) Healthy(ctx context.Context) (*Response, error) {
	resp, err := a.Get(ctx, "/-/healthy")
	if err != nil {
		return resp, err
	}
	if resp.Status != http.StatusOK {
		return resp, resp.Fail("status 200", nil)
	}
	return resp, nil
}

// Status reads /api/v2/status.
func (a AlertmanagerClient) Status(ctx context.Context) (*AlertmanagerStatus, *Response, error) {
	var s AlertmanagerStatus
	resp, err := a.GetJSON(ctx, "/api/v2/status", http.StatusOK, &s)
	if err != nil {
		return nil, resp, err
	}
	return &s, resp, nil
}

// AlertmanagerAlert is one alert of /api/v2/alerts.
type AlertmanagerAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
	UpdatedAt   time.Time         `json:"updatedAt"`
	Fingerprint string            `json:"fingerprint"`
	Receivers   []struct {
		Name string `json:"name"`
	} `json:"receivers"`
	Status struct {
		// State is "active" (notified), "suppressed" (silenced or
		// inhibited: no notification) or "unprocessed".
		State       string   `json:"state"`
		SilencedBy  []string `json:"silencedBy"`
		InhibitedBy []string `json:"inhibitedBy"`
	} `json:"status"`
}

// ReceiverNames lists the receivers the alert is routed to.
func (a AlertmanagerAlert) ReceiverNames() []string {
	out := make([]string, 0, len(a.Receivers))
	for _, r := range a.Receivers {
		out = append(out, r.Name)
	}
	return out
}

// Alerts reads /api/v2/alerts (active, silenced, inhibited and unprocessed
// alike), narrowed by Alertmanager's label matchers (`alertname="Watchdog"`).
func (a AlertmanagerClient) Alerts(ctx context.Context, filters ...string) ([]AlertmanagerAlert, *Response, error) {
	q := url.Values{}
	for _, f := range filters {
		q.Add("filter", f)
	}
	path := "/api/v2/alerts"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out []AlertmanagerAlert
	resp, err := a.GetJSON(ctx, path, http.StatusOK, &out)
	if err != nil {
		return nil, resp, err
	}
	return out, resp, nil
}

// Silence silences the alerts matching name=value for d and returns the
// silence's ID: a fault for the proofs (it changes the target).
func (a AlertmanagerClient) Silence(ctx context.Context, name, value string, d time.Duration, comment string) (string, error) {
	now := time.Now().UTC()
	body, err := json.Marshal(map[string]any{
		"matchers":  []map[string]any{{"name": name, "value": value, "isRegex": false, "isEqual": true}},
		"startsAt":  now.Format(time.RFC3339Nano),
		"endsAt":    now.Add(d).Format(time.RFC3339Nano),
		"createdBy": "smokestack",
		"comment":   comment,
	})
	if err != nil {
		return "", err
	}
	resp, err := a.Do(ctx, http.MethodPost, "/api/v2/silences", body, nil)
	if err != nil {
		return "", err
	}
	if resp.Status != http.StatusOK {
		return "", resp.Fail("status 200", nil)
	}
	var out struct {
		SilenceID string `json:"silenceID"`
	}
	if err := resp.DecodeJSON(&out); err != nil {
		return "", err
	}
	if out.SilenceID == "" {
		return "", resp.Fail("a silenceID", nil)
	}
	return out.SilenceID, nil
}

// ExpireSilence ends a silence Silence created.
func (a AlertmanagerClient) ExpireSilence(ctx context.Context, id string) error {
	resp, err := a.Do(ctx, http.MethodDelete, "/api/v2/silence/"+url.PathEscape(id), nil, nil)
	if err != nil {
		return err
	}
	if resp.Status != http.StatusOK {
		return resp.Fail(fmt.Sprintf("status 200 expiring silence %s", id), nil)
	}
	return nil
}
