package checks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"

	"github.com/smokestack-dev/smokestack/harness"
)

// ---- alertmanager_connected -----------------------------------------------------------

// AlertmanagerTargets are the Alertmanager addresses (host:port) a
// Prometheus configuration sends alerts to (its static_configs).
func AlertmanagerTargets(promConfig []byte) ([]string, error) {
	var cfg struct {
		Alerting struct {
			Alertmanagers []struct {
				StaticConfigs []struct {
					Targets []string `yaml:"targets"`
				} `yaml:"static_configs"`
			} `yaml:"alertmanagers"`
		} `yaml:"alerting"`
	}
	if err := yaml.Unmarshal(promConfig, &cfg); err != nil {
		return nil, err
	}
	var out []string
	for _, am := range cfg.Alerting.Alertmanagers {
		for _, sc := range am.StaticConfigs {
			out = append(out, sc.Targets...)
		}
	}
	return out, nil
}

// amDiscoveryWait bounds the wait for Prometheus to list its Alertmanager
// again after a configuration reload.
const amDiscoveryWait = 10 * time.Second

// hostOf is the host:port of a URL ("" when it has none).
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}

// hostname is the host of a host:port.
func hostname(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

func alertmanagerConnected(ctx context.Context, s *harness.Stack) error {
	url, err := componentURL(s, harness.Prometheus, "/api/v1/alertmanagers")
	if err != nil {
		return err
	}
	prom := s.Prometheus()
	var expected []string
	if cfg := s.PrometheusConfig(); len(cfg) > 0 {
		var err error
		if expected, err = AlertmanagerTargets(cfg); err != nil || len(expected) == 0 {
			return fail("", harness.Prometheus, url, "the stack's Prometheus configuration to name an Alertmanager",
				fmt.Sprintf("%v (targets %v)", err, expected), "", nil)
		}
	}
	want := "at least one active Alertmanager"
	if len(expected) > 0 {
		want = "the stack's Alertmanager (" + strings.Join(expected, ", ") + ") active"
	}
	// Right after a configuration reload the list is empty until
	// Prometheus' discovery has run again (up to its 5 s reload interval):
	// a missing Alertmanager is looked for again for a few seconds.
	var active, activeHosts []string
	var problem error
	wait := harness.Eventually(ctx, "the Alertmanager active in Prometheus", waitWithin(ctx, amDiscoveryWait), alertingPoll, func(context.Context) error {
		ams, err := prom.AlertManagers(ctx)
		if err != nil {
			problem = requestFailed("", harness.Prometheus, url, want, "", err)
			return harness.Permanent(err)
		}
		var dropped []string
		active, activeHosts = nil, nil
		for _, am := range ams.Active {
			active = append(active, am.URL)
			activeHosts = append(activeHosts, hostOf(am.URL))
		}
		for _, am := range ams.Dropped {
			dropped = append(dropped, am.URL)
		}
		got := fmt.Sprintf("active %v, dropped %v", active, dropped)
		if len(active) == 0 {
			problem = fail("", harness.Prometheus, url, want, got+": Prometheus sends its alerts to no Alertmanager", "",
				errors.New("look at the alerting section of the Prometheus configuration (alerting.alertmanagers) and the dropped ones' relabelling"))
			return problem
		}
		for _, e := range expected {
			if !slices.Contains(activeHosts, e) {
				problem = fail("", harness.Prometheus, url, want, got+": "+e+" is not among them", "", nil)
				return problem
			}
		}
		problem = nil
		return nil
	})
	if wait != nil {
		return problem
	}
	if len(expected) > 0 {
		return nil
	}
	// A live target: the Alertmanager the suite reads should be one of those
	// Prometheus sends to. Addresses differ across networks (a service name
	// inside, a forwarded port outside), so a different host is not yet a
	// failure: the alerts Prometheus fires must then be in that Alertmanager.
	amURL := s.URL(harness.Alertmanager)
	if amURL == "" {
		return nil
	}
	mine := hostname(hostOf(amURL))
	for _, h := range activeHosts {
		if hostname(h) == mine {
			return nil
		}
	}
	firing, err := firingAlerts(ctx, prom)
	if err != nil {
		return requestFailed("", harness.Prometheus, s.URL(harness.Prometheus)+"/api/v1/alerts", want, "", err)
	}
	amAlertsRep, err := harness.Done(s.Alertmanager().Alerts(ctx))
	if err != nil {
		return requestFailed("", harness.Alertmanager, amURL+"/api/v2/alerts", want, "", err)
	}
	amAlerts := *amAlertsRep.Data
	if len(firing) == 0 {
		return CannotJudge("Prometheus sends alerts to %v, not to the host of %s (%s), and fires no alert by which to tell whether they are the same Alertmanager (add the always-firing %s rule)",
			active, harness.Env.AlertmanagerURL, harness.RedactURL(amURL), WatchdogAlert)
	}
	for _, f := range firing {
		for _, a := range amAlerts {
			if labelsWithin(f.Labels, a.Labels) {
				return nil
			}
		}
	}
	return fail("", harness.Alertmanager, amURL+"/api/v2/alerts",
		fmt.Sprintf("the Alertmanager at %s to hold the alerts this Prometheus fires (it sends to %v)", harness.Env.AlertmanagerURL, active),
		fmt.Sprintf("none of the %d firing alerts (%s) among its %d alerts", len(firing), alertNames(firing), len(amAlerts)), "",
		errors.New("Prometheus sends its alerts to another Alertmanager than the one this suite checks, or they do not arrive: compare alerting.alertmanagers with "+harness.Env.AlertmanagerURL))
}

// firingAlerts lists the alerts Prometheus fires (pending ones are not sent).
func firingAlerts(ctx context.Context, prom harness.PrometheusClient) ([]v1.Alert, error) {
	res, err := prom.Alerts(ctx)
	if err != nil {
		return nil, err
	}
	var out []v1.Alert
	for _, a := range res.Alerts {
		if a.State == v1.AlertStateFiring {
			out = append(out, a)
		}
	}
	return out, nil
}

// labelsWithin says whether every label of p has the same value in am
// (Alertmanager adds Prometheus' external labels).
func labelsWithin(p model.LabelSet, am map[string]string) bool {
	for k, v := range p {
		if am[string(k)] != string(v) {
			return false
		}
	}
	return true
}

func alertNames(as []v1.Alert) string {
	var names []string
	for _, a := range as {
		n := string(a.Labels[model.AlertNameLabel])
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if len(names) > 5 {
		names = append(names[:5], "...")
	}
	return strings.Join(names, ", ")
}

// ---- alert_delivered ------------------------------------------------------------------

// NotifyIntervals are the timings of Alertmanager's root route that bound
// how often a firing alert is notified again.
type NotifyIntervals struct {
	GroupInterval, RepeatInterval time.Duration
}

// Alertmanager's defaults for a route that sets neither.
var defaultNotifyIntervals = NotifyIntervals{GroupInterval: 5 * time.Minute, RepeatInterval: 4 * time.Hour}

// ParseNotifyIntervals reads the root route's group_interval and
// repeat_interval from an Alertmanager configuration (defaults where unset).
func ParseNotifyIntervals(config string) (NotifyIntervals, error) {
	var cfg struct {
		Route struct {
			GroupInterval  string `yaml:"group_interval"`
			RepeatInterval string `yaml:"repeat_interval"`
		} `yaml:"route"`
	}
	out := defaultNotifyIntervals
	if err := yaml.Unmarshal([]byte(config), &cfg); err != nil {
		return out, err
	}
	for _, f := range []struct {
		raw string
		dst *time.Duration
	}{{cfg.Route.GroupInterval, &out.GroupInterval}, {cfg.Route.RepeatInterval, &out.RepeatInterval}} {
		if f.raw == "" {
			continue
		}
		d, err := model.ParseDuration(f.raw)
		if err != nil {
			return out, err
		}
		*f.dst = time.Duration(d)
	}
	return out, nil
}

// FreshWithin is how recently a receiver must have heard of a firing
// alert: Alertmanager notifies it again every repeat_interval, at a group
// flush (every group_interval), and a failed notification is retried at
// the next flush; 5 s more for the delivery itself.
func (n NotifyIntervals) FreshWithin() time.Duration {
	return n.RepeatInterval + 2*n.GroupInterval + 5*time.Second
}

// deliveryWait bounds how long alert_delivered waits for the Watchdog to
// show at each stage (a stack that started or reloaded seconds ago).
const deliveryWait = 20 * time.Second

// LatestFiring finds the latest notification in which a firing alert named
// alertname arrived; ok is false when none did.
func LatestFiring(notes []harness.SinkNotification, alertname string) (n harness.SinkNotification, ok bool) {
	for _, x := range notes {
		for _, a := range x.Alerts {
			if a.Labels[string(model.AlertNameLabel)] == alertname && a.Status == "firing" && (!ok || x.ReceivedAt.After(n.ReceivedAt)) {
				n, ok = x, true
			}
		}
	}
	return n, ok
}

// alertDelivered follows the always-firing Watchdog along the pipeline:
// Prometheus fires it, Alertmanager holds it active (not silenced, not
// inhibited) for a receiver, and — on a stack that runs the webhook sink —
// the receiver heard of it recently. Read-only on every target.
func alertDelivered(ctx context.Context, s *harness.Stack) error {
	if err := absent(s, harness.Alertmanager); err != nil {
		return err
	}
	if err := absent(s, harness.Prometheus); err != nil {
		return err
	}
	prom, am := s.Prometheus(), s.Alertmanager()
	promURL, amURL := s.URL(harness.Prometheus), s.URL(harness.Alertmanager)
	filter := fmt.Sprintf("%s=%q", model.AlertNameLabel, WatchdogAlert)
	var last error
	// Each look runs on the check's context, not the wait's shrinking one: a
	// request cut off by the end of the wait is no evidence of anything.
	wait := harness.Eventually(ctx, "the "+WatchdogAlert+" alert delivered", waitWithin(ctx, deliveryWait), alertingPoll, func(context.Context) error {
		last = watchdogDelivered(ctx, s, prom, am, promURL, amURL, filter)
		var f *Failure
		if errors.As(last, &f) && f.Evidence != nil {
			return permanentIfUnanswered(f.Evidence)
		}
		return last
	})
	if wait == nil {
		return nil
	}
	if last != nil {
		return last
	}
	return wait
}

// watchdogDelivered is one look along the pipeline.
func watchdogDelivered(ctx context.Context, s *harness.Stack, prom harness.PrometheusClient, am harness.AlertmanagerClient, promURL, amURL, filter string) error {
	want := fmt.Sprintf("the always-firing %s alert firing in Prometheus", WatchdogAlert)
	firing, err := firingAlerts(ctx, prom)
	if err != nil {
		return requestFailed("", harness.Prometheus, promURL+"/api/v1/alerts", want, "", err)
	}
	var watchdog *v1.Alert
	for i := range firing {
		if firing[i].Labels[model.AlertNameLabel] == WatchdogAlert {
			watchdog = &firing[i]
		}
	}
	if watchdog == nil {
		return fail("", harness.Prometheus, promURL+"/api/v1/alerts", want,
			fmt.Sprintf("no %s among the %d firing alerts (%s)", WatchdogAlert, len(firing), alertNames(firing)), "",
			errors.New("without an always-firing alert nothing proves the alerting pipeline works: no alert would mean all is well or all is broken alike; "+
				"add the Watchdog rule (fixtures/stack/rules/genesis.rules.yml) and check rules_healthy"))
	}

	want = fmt.Sprintf("%s active in Alertmanager (not silenced, not inhibited) for a receiver", WatchdogAlert)
	alertsRep, err := harness.Done(am.Alerts(ctx, filter))
	if err != nil {
		return requestFailed("", harness.Alertmanager, amURL+"/api/v2/alerts", want, "", err)
	}
	alerts, resp := *alertsRep.Data, alertsRep.Resp
	var active *harness.AlertmanagerAlert
	var seen []string
	for i, a := range alerts {
		if a.Labels[string(model.AlertNameLabel)] != WatchdogAlert {
			continue
		}
		seen = append(seen, fmt.Sprintf("state %q silenced by %v inhibited by %v receivers %v", a.Status.State, a.Status.SilencedBy, a.Status.InhibitedBy, a.ReceiverNames()))
		if a.Status.State == "active" && len(a.Receivers) > 0 {
			active = &alerts[i]
		}
	}
	if active == nil {
		got := fmt.Sprintf("no %s alert: Prometheus fires it but it does not reach Alertmanager", WatchdogAlert)
		if len(seen) > 0 {
			got = fmt.Sprintf("%s %s", WatchdogAlert, strings.Join(seen, "; "))
		}
		return fail("", harness.Alertmanager, amURL+"/api/v2/alerts", want, got, "", errors.New("body: "+resp.Excerpt()))
	}

	if !s.Has(harness.AlertSink) {
		// A live target's receivers are its own: Alertmanager's word that
		// it routes the alert to one is what the suite can read.
		return nil
	}
	stRep, err := harness.Done(am.Status(ctx))
	if err != nil {
		return requestFailed("", harness.Alertmanager, amURL+"/api/v2/status", "the routing intervals of Alertmanager's configuration", "", err)
	}
	st := stRep.Data
	iv, err := ParseNotifyIntervals(st.Config.Original)
	if err != nil {
		return fail("", harness.Alertmanager, amURL+"/api/v2/status", "a configuration with a readable route", err.Error(), "", nil)
	}
	fresh := iv.FreshWithin()
	sinkURL := s.URL(harness.AlertSink) + "/alerts"
	want = fmt.Sprintf("a firing %s notification received by the webhook sink within the last %s (repeat_interval %s + 2 x group_interval %s + 5s)",
		WatchdogAlert, fresh, iv.RepeatInterval, iv.GroupInterval)
	recRep, err := harness.Done(s.AlertSink().Record(ctx))
	if err != nil {
		return fail("", harness.AlertSink, sinkURL, want, "the receiver does not answer", "",
			errors.Join(err, notificationFailures(ctx, s)))
	}
	rec := recRep.Data
	n, ok := LatestFiring(rec.Notifications, WatchdogAlert)
	if !ok {
		return fail("", harness.AlertSink, sinkURL, want,
			fmt.Sprintf("no %s notification among the %d the sink received since it started at %s", WatchdogAlert, rec.Received, rec.StartedAt.Format(time.RFC3339)), "",
			notificationFailures(ctx, s))
	}
	if age := rec.Now.Sub(n.ReceivedAt); age > fresh {
		return fail("", harness.AlertSink, sinkURL, want,
			fmt.Sprintf("the last one %s ago (at %s, receiver %q)", age.Round(time.Second), n.ReceivedAt.Format(time.RFC3339), n.Receiver), "",
			notificationFailures(ctx, s))
	}
	return nil
}

// notificationFailures is Alertmanager's own count of failed
// notifications per integration, as evidence of why nothing arrived (nil
// when there are none or they cannot be read).
func notificationFailures(ctx context.Context, s *harness.Stack) error {
	m := harness.MetricsClient{Requester: s.Alertmanager().Requester}
	famsRep, err := harness.Done(m.Scrape(ctx, "/metrics"))
	if err != nil {
		return nil
	}
	fams := *famsRep.Data
	f, ok := fams["alertmanager_notifications_failed_total"]
	if !ok {
		return nil
	}
	var parts []string
	for _, mt := range f.GetMetric() {
		v := mt.GetCounter().GetValue()
		if v == 0 {
			continue
		}
		var ls []string
		for _, l := range mt.GetLabel() {
			ls = append(ls, l.GetName()+"="+l.GetValue())
		}
		parts = append(parts, fmt.Sprintf("%s: %g", strings.Join(ls, ","), v))
	}
	if len(parts) == 0 {
		return nil
	}
	return fmt.Errorf("failed notifications counted by Alertmanager (alertmanager_notifications_failed_total): %s; its log says why", strings.Join(parts, "; "))
}
