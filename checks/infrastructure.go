package checks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/smokestack-dev/smokestack/harness"
)

// Checklist lines of "Manual Health Checks", quoted in failure messages.
const (
	lineServiceHealth = `1. Service Health: A2A /health {"status":"healthy","agents_loaded":15}; Prometheus "Prometheus Server is Healthy."; Grafana {"database":"ok","version":...}`
	lineContainers    = `2. Docker Containers: all 4 containers showing "Up" (prometheus, grafana, node-exporter, alertmanager)`
	lineMetrics       = "3. Monitoring: metrics visible in Prometheus (query: up)"
	lineMonitoring    = "Troubleshooting: monitoring containers running (alertmanager, node-exporter reachable)"
)

// Infrastructure is TestInfrastructure: the checklist's manual health checks.
var Infrastructure = []Check{
	{Group: "TestInfrastructure", Name: "a2a_health", Component: harness.Genesis, Part: harness.PartA, Line: lineServiceHealth, Alone: true, Run: a2aHealth},
	{Group: "TestInfrastructure", Name: "prometheus_health", Component: harness.Prometheus, Line: lineServiceHealth, Run: prometheusHealth},
	{Group: "TestInfrastructure", Name: "grafana_health", Component: harness.Grafana, Line: lineServiceHealth, Run: grafanaHealth},
	{Group: "TestInfrastructure", Name: "alertmanager_health", Component: harness.Alertmanager, Line: lineMonitoring, Run: alertmanagerHealth},
	{Group: "TestInfrastructure", Name: "node_exporter_metrics", Component: harness.NodeExporter, Line: lineMonitoring, Run: nodeExporterMetrics},
	{Group: "TestInfrastructure", Name: "containers_up", Component: harness.Docker, Line: lineContainers, Run: containersUp},
	{Group: "TestInfrastructure", Name: "metrics_visible", Component: harness.Prometheus, Line: lineMetrics, Run: metricsVisible},
}

// healthChecks names, per component, the check that fails when the
// component is down. When the pre-flight finds a component unreachable and
// its health check is in the run, that check alone fails; the others that
// read the component are NOT JUDGED, naming it (one outage, one failure).
var healthChecks = map[harness.Component]string{
	harness.Genesis:      "TestInfrastructure/a2a_health",
	harness.Prometheus:   "TestInfrastructure/prometheus_health",
	harness.Alertmanager: "TestInfrastructure/alertmanager_health",
	harness.NodeExporter: "TestInfrastructure/node_exporter_metrics",
	harness.Grafana:      "TestInfrastructure/grafana_health",
}

// fail builds the Failure of the named check of group Infrastructure.
func fail(check string, c harness.Component, url, want, got string, line string, evidence error) error {
	return &Failure{Check: check, Component: c, URL: url, Want: want, Got: got, Line: line, Evidence: evidence}
}

// requestFailed turns a transport/HTTP error into a Failure.
func requestFailed(check string, c harness.Component, url, want, line string, err error) error {
	var he *harness.HTTPError
	got := err.Error()
	if errors.As(err, &he) {
		if he.Status == 0 {
			got = "no answer (" + shortErr(he.Err) + ")"
		} else {
			got = fmt.Sprintf("status %d", he.Status)
			if he.Err != nil {
				got += " (" + shortErr(he.Err) + ")"
			}
		}
	}
	return fail(check, c, url, want, got, line, err)
}

func shortErr(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i > 0 && len(s) > 120 {
		s = s[i+2:]
	}
	return s
}

// absent is a check's own guard for a component it reads; the runner's
// Scope has already made such a check NOT APPLICABLE, so this only matters
// to a check evaluated by hand.
func absent(s *harness.Stack, c harness.Component) error {
	if !s.Has(c) {
		return OutOfScope("%s", s.Absent(c))
	}
	return nil
}

// componentURL is absent for a check that reads c at path: the guard, then
// the URL the check's failures name.
func componentURL(s *harness.Stack, c harness.Component, path string) (string, error) {
	if err := absent(s, c); err != nil {
		return "", err
	}
	return s.URL(c) + path, nil
}

func a2aHealth(ctx context.Context, s *harness.Stack) error {
	const name = "TestInfrastructure/a2a_health"
	url, err := componentURL(s, harness.Genesis, "/health")
	if err != nil {
		return err
	}
	want := `status 200 and {"status":"healthy"}`
	hRep, err := s.Genesis().Health(ctx)
	if err != nil {
		return requestFailed(name, harness.Genesis, url, want, lineServiceHealth, err)
	}
	h, resp := hRep.Data, hRep.Resp
	if resp.Status != http.StatusOK || h.Status != "healthy" {
		return fail(name, harness.Genesis, url, want, fmt.Sprintf("status %d and status %q", resp.Status, h.Status),
			lineServiceHealth, errors.New("body: "+resp.Excerpt()))
	}
	if err := judgeAgents(s.Config().Expect.Agents, h.AgentsRegistered, h.AgentsLoaded, h.LazyLoading); err != nil {
		return fail(name, harness.Genesis, url, err.want, err.got, lineServiceHealth, errors.New("body: "+resp.Excerpt()))
	}
	if h.Timestamp == "" {
		return fail(name, harness.Genesis, url, "an ISO-8601 timestamp", "no timestamp field", lineServiceHealth, nil)
	}
	if _, err := parseISO(h.Timestamp); err != nil {
		return fail(name, harness.Genesis, url, "an ISO-8601 timestamp", fmt.Sprintf("%q", h.Timestamp), lineServiceHealth, err)
	}
	// Judged last, so a wrong answer is named before a slow one.
	if budget := s.Config().Timeouts.Health; resp.Elapsed > budget {
		return fail(name, harness.Genesis, url,
			fmt.Sprintf("an answer within %s (%s)", budget, harness.Env.HealthBudget),
			fmt.Sprintf("a healthy answer after %s", resp.Elapsed.Round(time.Millisecond)), lineServiceHealth,
			fmt.Errorf("body: %s; a /health that blocks (an agent loading, a busy event loop) fails load-balancer probes: look in the service's log for what ran at that time",
				resp.Excerpt()))
	}
	return nil
}

type wantGot struct{ want, got string }

// judgeAgents applies the contract's rule: a lazy-loading service must
// register the expected agents and have loaded between 0 and all of them;
// an eager one must have loaded them all (the checklist's agents_loaded: 15).
func judgeAgents(expect int, registered, loaded *int, lazy *bool) *wantGot {
	show := func(p *int) string {
		if p == nil {
			return "absent"
		}
		return fmt.Sprint(*p)
	}
	if lazy != nil && *lazy {
		if registered == nil || *registered != expect {
			return &wantGot{fmt.Sprintf("agents_registered=%d (lazy loading)", expect), "agents_registered=" + show(registered)}
		}
		if loaded == nil || *loaded < 0 || *loaded > *registered {
			return &wantGot{fmt.Sprintf("0 <= agents_loaded <= %d (lazy loading)", *registered), "agents_loaded=" + show(loaded)}
		}
		return nil
	}
	if loaded == nil || *loaded != expect {
		return &wantGot{fmt.Sprintf("agents_loaded=%d (eager loading)", expect), "agents_loaded=" + show(loaded)}
	}
	if registered != nil && *registered != expect {
		return &wantGot{fmt.Sprintf("agents_registered=%d", expect), "agents_registered=" + show(registered)}
	}
	return nil
}

func parseISO(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not ISO-8601: %q", s)
}

func prometheusHealth(ctx context.Context, s *harness.Stack) error {
	const name = "TestInfrastructure/prometheus_health"
	url, err := componentURL(s, harness.Prometheus, "/-/healthy")
	if err != nil {
		return err
	}
	want := `status 200 "Prometheus Server is Healthy."`
	if _, err := harness.Done(s.Prometheus().Healthy(ctx)); err != nil {
		return requestFailed(name, harness.Prometheus, url, want, lineServiceHealth, err)
	}
	return nil
}

func grafanaHealth(ctx context.Context, s *harness.Stack) error {
	const name = "TestInfrastructure/grafana_health"
	url, err := componentURL(s, harness.Grafana, "/api/health")
	if err != nil {
		return err
	}
	want := `status 200 with database "ok" and a version`
	hRep, err := harness.Done(s.Grafana().Health(ctx))
	if err != nil {
		return requestFailed(name, harness.Grafana, url, want, lineServiceHealth, err)
	}
	h, resp := hRep.Data, hRep.Resp
	if h.Database != "ok" || h.Version == "" {
		return fail(name, harness.Grafana, url, want, fmt.Sprintf("database %q, version %q", h.Database, h.Version),
			lineServiceHealth, errors.New("body: "+resp.Excerpt()))
	}
	return nil
}

func alertmanagerHealth(ctx context.Context, s *harness.Stack) error {
	const name = "TestInfrastructure/alertmanager_health"
	base, err := componentURL(s, harness.Alertmanager, "")
	if err != nil {
		return err
	}
	am := s.Alertmanager()
	if _, err := harness.Done(am.Healthy(ctx)); err != nil {
		return requestFailed(name, harness.Alertmanager, base+"/-/healthy", "status 200", lineMonitoring, err)
	}
	stRep, err := harness.Done(am.Status(ctx))
	url := base + "/api/v2/status"
	want := `a version and cluster status "ready" or "disabled"`
	if err != nil {
		return requestFailed(name, harness.Alertmanager, url, want, lineMonitoring, err)
	}
	st, resp := stRep.Data, stRep.Resp
	if st.VersionInfo.Version == "" || (st.Cluster.Status != "ready" && st.Cluster.Status != "disabled") {
		return fail(name, harness.Alertmanager, url, want,
			fmt.Sprintf("version %q, cluster status %q", st.VersionInfo.Version, st.Cluster.Status),
			lineMonitoring, errors.New("body: "+resp.Excerpt()))
	}
	if strings.TrimSpace(st.Config.Original) == "" {
		return fail(name, harness.Alertmanager, url, "a loaded configuration", "an empty config.original", lineMonitoring, nil)
	}
	return nil
}

// NodeSeries are the node-exporter series the checklist's resource limits
// are computed from (memory, CPU, disk); without them the 48-hour
// monitoring cannot judge the host.
var NodeSeries = []string{
	"node_memory_MemTotal_bytes", "node_memory_MemAvailable_bytes",
	"node_cpu_seconds_total", "node_filesystem_avail_bytes", "node_filesystem_size_bytes",
}

func nodeExporterMetrics(ctx context.Context, s *harness.Stack) error {
	const name = "TestInfrastructure/node_exporter_metrics"
	url, err := componentURL(s, harness.NodeExporter, "/metrics")
	if err != nil {
		return err
	}
	want := "a Prometheus exposition with " + strings.Join(NodeSeries, ", ")
	famsRep, err := harness.Done(s.NodeExporter().Scrape(ctx, "/metrics"))
	if err != nil {
		return requestFailed(name, harness.NodeExporter, url, want, lineMonitoring, err)
	}
	fams := *famsRep.Data
	var missing []string
	for _, n := range NodeSeries {
		if f, ok := fams[n]; !ok || len(f.GetMetric()) == 0 {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return fail(name, harness.NodeExporter, url, want, fmt.Sprintf("%d families, missing %s", len(fams), strings.Join(missing, ", ")), lineMonitoring, nil)
	}
	return nil
}

func containersUp(ctx context.Context, s *harness.Stack) error {
	const name = "TestInfrastructure/containers_up"
	names := s.ContainerNames()
	if len(names) == 0 {
		return OutOfScope("%s", s.Absent(harness.Containers))
	}
	cli, err := s.Docker()
	if err == nil {
		err = harness.PingDocker(ctx, cli, s.Config().Timeouts.HTTP)
	}
	if err != nil {
		return fail(name, harness.Docker, harness.DockerHost(), "a Docker engine that answers", "none", lineContainers, err)
	}
	var bad, seen []string
	// Every monitoring component of the target must have a container that
	// is Up: one named container of four says nothing about the other three.
	for _, c := range harness.Monitoring {
		if !s.Has(c) && !s.Requires(c) {
			continue // not part of this target (declared: SMOKE_REQUIRE, or Grafana off)
		}
		n, ok := names[c]
		if !ok && s.Mode() == harness.Ephemeral {
			continue // not a container of this run (a proof's imitation)
		}
		if !ok {
			bad = append(bad, fmt.Sprintf("%s: no container named for it (set %s=%s=CONTAINER)", c, harness.Env.Containers, c))
			continue
		}
		st, err := harness.InspectContainer(ctx, cli, n, s.Config().Timeouts.HTTP)
		switch {
		case err != nil:
			bad = append(bad, fmt.Sprintf("%s (%s): %v", c, n, err))
		case !st.Up():
			bad = append(bad, fmt.Sprintf("%s (%s): %s", c, n, st))
		default:
			seen = append(seen, fmt.Sprintf("%s Up", c))
		}
	}
	if len(bad) > 0 {
		return fail(name, harness.Docker, harness.DockerHost(), "every monitoring container running (Up)",
			strings.Join(bad, "; "), lineContainers, fmt.Errorf("up: %s", strings.Join(seen, ", ")))
	}
	if len(seen) == 0 {
		return fail(name, harness.Docker, harness.DockerHost(), "at least one monitoring container to inspect",
			"none of "+fmt.Sprint(harness.Monitoring)+" among the configured containers", lineContainers, nil)
	}
	return nil
}

func metricsVisible(ctx context.Context, s *harness.Stack) error {
	const name = "TestInfrastructure/metrics_visible"
	url, err := componentURL(s, harness.Prometheus, "/api/v1/query?query=up")
	if err != nil {
		return err
	}
	want := "`up` has results and every series is 1"
	vec, err := promVector(ctx, s, "up", name, url, want, lineMetrics)
	if err != nil {
		return err
	}
	if len(vec) == 0 {
		return fail(name, harness.Prometheus, url, want, "no results (nothing scraped)", lineMetrics, nil)
	}
	var down []string
	for _, smp := range vec {
		if smp.Value != 1 {
			down = append(down, fmt.Sprintf("%s/%s", smp.Metric["job"], smp.Metric["instance"]))
		}
	}
	if len(down) > 0 {
		sort.Strings(down)
		ev := targetErrors(ctx, s)
		return fail(name, harness.Prometheus, url, want,
			fmt.Sprintf("%d of %d targets down: %s", len(down), len(vec), strings.Join(down, ", ")), lineMetrics, ev)
	}
	return nil
}

// targetErrors fetches the scrape errors of unhealthy targets: the "why"
// behind up == 0 that on-call needs next.
func targetErrors(ctx context.Context, s *harness.Stack) error {
	t, err := s.Prometheus().Targets(ctx)
	if err != nil {
		return err
	}
	var out []string
	for _, a := range t.Active {
		if a.Health != "up" {
			out = append(out, fmt.Sprintf("%s %s: %s", a.ScrapePool, a.ScrapeURL, a.LastError))
		}
	}
	if len(out) == 0 {
		return nil
	}
	return errors.New("scrape errors: " + strings.Join(out, "; "))
}
