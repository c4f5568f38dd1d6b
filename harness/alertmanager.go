package harness

import (
	"context"
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

// Healthy is GET /-/healthy; Done wants 200.
func (a AlertmanagerClient) Healthy(ctx context.Context) (*Reply[struct{}], error) {
	return send[struct{}](ctx, a.Requester, call{method: http.MethodGet, path: "/-/healthy", shape: ignored, expect: wantStatus(http.StatusOK)})
}

// Status reads /api/v2/status; Done wants 200.
func (a AlertmanagerClient) Status(ctx context.Context) (*Reply[AlertmanagerStatus], error) {
	return send[AlertmanagerStatus](ctx, a.Requester, readCall("/api/v2/status"))
}

// readCall is a GET of a bare JSON object answered with 200.
func readCall(path string) call {
	return call{method: http.MethodGet, path: path, shape: bare, decodeOn: onStatus(http.StatusOK), expect: wantStatus(http.StatusOK)}
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
// alike), narrowed by Alertmanager's label matchers (`alertname="Watchdog"`);
// Done wants 200.
func (a AlertmanagerClient) Alerts(ctx context.Context, filters ...string) (*Reply[[]AlertmanagerAlert], error) {
	q := url.Values{}
	for _, f := range filters {
		q.Add("filter", f)
	}
	path := "/api/v2/alerts"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return send[[]AlertmanagerAlert](ctx, a.Requester, readCall(path))
}

// Silence is the answer of POST /api/v2/silences.
type Silence struct {
	SilenceID string `json:"silenceID"`
}

// Silence silences the alerts matching name=value for d: a fault for the
// proofs (it changes the target). Done wants 200; a 200 without a
// silenceID is a decode failure.
func (a AlertmanagerClient) Silence(ctx context.Context, name, value string, d time.Duration, comment string) (*Reply[Silence], error) {
	now := time.Now().UTC()
	rep, err := send[Silence](ctx, a.Requester, call{method: http.MethodPost, path: "/api/v2/silences", body: map[string]any{
		"matchers":  []map[string]any{{"name": name, "value": value, "isRegex": false, "isEqual": true}},
		"startsAt":  now.Format(time.RFC3339Nano),
		"endsAt":    now.Add(d).Format(time.RFC3339Nano),
		"createdBy": "smokestack",
		"comment":   comment,
	}, shape: bare, decodeOn: onStatus(http.StatusOK), expect: wantStatus(http.StatusOK)})
	if err == nil && rep.Data != nil && rep.Data.SilenceID == "" {
		err = rep.Resp.Fail("a silenceID", nil)
	}
	return rep, err
}

// ExpireSilence ends a silence Silence created; Done wants 200.
func (a AlertmanagerClient) ExpireSilence(ctx context.Context, id string) (*Reply[struct{}], error) {
	return send[struct{}](ctx, a.Requester, call{method: http.MethodDelete, path: "/api/v2/silence/" + url.PathEscape(id), shape: ignored,
		expect: expectation{ok: func(r *Response) bool { return r.Status == http.StatusOK }, want: fmt.Sprintf("status 200 expiring silence %s", id)}})
}
