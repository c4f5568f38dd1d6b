package harness

import (
	"context"
	"time"
)

// AlertSinkClient reads the alert webhook sink of an ephemeral stack
// (`genesis alertsink`): what Alertmanager notified, and when it arrived.
type AlertSinkClient struct{ Requester }

// SinkAlert is one alert of a recorded notification.
type SinkAlert struct {
	Status   string            `json:"status"`
	Labels   map[string]string `json:"labels"`
	StartsAt time.Time         `json:"startsAt"`
	EndsAt   time.Time         `json:"endsAt"`
}

// SinkNotification is one webhook call the sink received.
type SinkNotification struct {
	ReceivedAt time.Time   `json:"received_at"`
	Receiver   string      `json:"receiver"`
	Status     string      `json:"status"`
	GroupKey   string      `json:"groupKey"`
	Alerts     []SinkAlert `json:"alerts"`
}

// SinkRecord is what the sink holds: its latest notifications, oldest
// first, and its own clock (received_at is on that clock, so compare with
// Now, not with this machine's time).
type SinkRecord struct {
	Received      int64              `json:"received"`
	Rejected      int64              `json:"rejected"`
	StartedAt     time.Time          `json:"started_at"`
	Now           time.Time          `json:"now"`
	Notifications []SinkNotification `json:"notifications"`
}

// Record reads GET /alerts; Done wants 200.
func (c AlertSinkClient) Record(ctx context.Context) (*Reply[SinkRecord], error) {
	return send[SinkRecord](ctx, c.Requester, readCall("/alerts"))
}
