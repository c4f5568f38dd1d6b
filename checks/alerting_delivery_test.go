package checks

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	stackfiles "github.com/smokestack-dev/smokestack/fixtures/stack"
	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/harness/harnesstest"
)

func TestNotifyIntervals(t *testing.T) {
	am, err := stackfiles.FS.ReadFile(stackfiles.AlertmanagerConfig)
	require.NoError(t, err)
	iv, err := ParseNotifyIntervals(string(am))
	require.NoError(t, err)
	assert.Equal(t, NotifyIntervals{GroupInterval: 5 * time.Second, RepeatInterval: 10 * time.Second}, iv)
	assert.Equal(t, 25*time.Second, iv.FreshWithin())
	// The window must leave the check time to see a fresh notification.
	assert.Less(t, iv.FreshWithin(), harness.DefaultTimeouts.Check)

	iv, err = ParseNotifyIntervals("route:\n  receiver: x\n")
	require.NoError(t, err)
	assert.Equal(t, defaultNotifyIntervals, iv, "Alertmanager's defaults where unset")
	_, err = ParseNotifyIntervals("route:\n  repeat_interval: soon\n")
	assert.Error(t, err)
}

func TestLatestFiring(t *testing.T) {
	at := func(s int) time.Time { return time.Date(2026, 12, 1, 3, 0, s, 0, time.UTC) }
	n := func(s int, status, name string) harness.SinkNotification {
		return harness.SinkNotification{ReceivedAt: at(s), Alerts: []harness.SinkAlert{{Status: status, Labels: map[string]string{"alertname": name}}}}
	}
	notes := []harness.SinkNotification{n(1, "firing", "Watchdog"), n(5, "firing", "Watchdog"), n(7, "resolved", "Watchdog"), n(9, "firing", "TargetDown")}
	got, ok := LatestFiring(notes, "Watchdog")
	require.True(t, ok)
	assert.Equal(t, at(5), got.ReceivedAt, "the latest firing one; a resolved one is no heartbeat")
	_, ok = LatestFiring(notes[2:], "Watchdog")
	assert.False(t, ok)
}

func TestAlertmanagerTargetsAndFlags(t *testing.T) {
	cfg, err := stackfiles.FS.ReadFile(stackfiles.PrometheusConfig)
	require.NoError(t, err)
	targets, err := AlertmanagerTargets(cfg)
	require.NoError(t, err)
	assert.Equal(t, []string{"alertmanager:9093"}, targets)

	cmd := []string{"--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"}
	v, ok := FlagValue(cmd, "config.file")
	assert.True(t, ok)
	assert.Equal(t, "/etc/alertmanager/alertmanager.yml", v)
	v, ok = FlagValue([]string{"--config.file", "/a.yml"}, "config.file")
	assert.True(t, ok)
	assert.Equal(t, "/a.yml", v)
	_, ok = FlagValue([]string{"--config.filex=/a.yml"}, "config.file")
	assert.False(t, ok)
}

func TestAlertmanagerConnectedLive(t *testing.T) {
	watchdog := map[string]any{"labels": map[string]string{"alertname": "Watchdog"}, "state": "firing", "activeAt": "2026-12-01T03:00:00Z", "value": "1"}
	p := &promAPI{ams: []string{"http://alertmanager:9093/api/v2/alerts"}, alerts: []map[string]any{watchdog}}
	amAlerts := `[]`
	am := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, amAlerts)
	})
	s := harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Prometheus: p.handler(t), harness.Alertmanager: am})
	c := check(t, "TestAlerting/alertmanager_connected")

	// Another host, and the Watchdog not in the Alertmanager the suite reads.
	v := Evaluate(t.Context(), s, c)
	requireFail(t, v, "none of the 1 firing alerts (Watchdog)")

	// Another host, but it holds the alert (with an external label more).
	amAlerts = `[{"labels":{"alertname":"Watchdog","cluster":"eu"},"status":{"state":"active"}}]`
	v = Evaluate(t.Context(), s, c)
	assert.Equal(t, Pass, v.Outcome, "%v", v.Err)

	// Nothing fires: cannot tell.
	p.alerts = nil
	v = Evaluate(t.Context(), s, c)
	assert.Equal(t, NotJudged, v.Outcome, "%v", v.Err)

	// The same host: fine without comparing alerts.
	u, err := url.Parse(s.URL(harness.Alertmanager))
	require.NoError(t, err)
	p.ams = []string{"http://" + u.Host + "/api/v2/alerts"}
	v = Evaluate(t.Context(), s, c)
	assert.Equal(t, Pass, v.Outcome, "%v", v.Err)

	// Prometheus sends to nobody.
	p.ams = nil
	v = Evaluate(t.Context(), s, c)
	requireFail(t, v, "active []")
}

func TestAlertDeliveredLive(t *testing.T) {
	watchdog := map[string]any{"labels": map[string]string{"alertname": "Watchdog"}, "state": "firing", "activeAt": "2026-12-01T03:00:00Z", "value": "1"}
	p := &promAPI{alerts: []map[string]any{watchdog}}
	amAlerts := `[{"labels":{"alertname":"Watchdog"},"receivers":[{"name":"deadmanssnitch"}],"status":{"state":"active","silencedBy":[],"inhibitedBy":[]}}]`
	am := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, `alertname="Watchdog"`, r.URL.Query().Get("filter"))
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, amAlerts)
	})
	s := harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Prometheus: p.handler(t), harness.Alertmanager: am}, harnesstest.Env(map[string]string{harness.Env.CheckTimeout: "3s"}))
	c := check(t, "TestAlerting/alert_delivered")
	v := Evaluate(t.Context(), s, c)
	assert.Equal(t, Pass, v.Outcome, "%v", v.Err)

	amAlerts = `[{"labels":{"alertname":"Watchdog"},"receivers":[{"name":"deadmanssnitch"}],"status":{"state":"suppressed","silencedBy":["abc"],"inhibitedBy":[]}}]`
	v = Evaluate(t.Context(), s, c)
	requireFail(t, v, `state "suppressed" silenced by [abc]`)

	p.alerts = nil
	v = Evaluate(t.Context(), s, c)
	requireFail(t, v, "no Watchdog among the 0 firing alerts")
}
