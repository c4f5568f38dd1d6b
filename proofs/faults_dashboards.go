package proofs

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/http"
	"net/http/httputil"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/smokestack-dev/smokestack/checks"
	stackfiles "github.com/smokestack-dev/smokestack/fixtures/stack"
	"github.com/smokestack-dev/smokestack/harness"
)

// Check IDs of TestDashboards, TestObservability's metrics and log checks,
// and TestComponentIntegration's log check.
const (
	dashQueries     = "TestDashboards/dashboard_queries_answer"
	dashDatasource  = "TestDashboards/datasource_healthy"
	dashProvisioned = "TestDashboards/dashboard_provisioned"
	dashPanels      = "TestDashboards/panels_via_grafana"

	obsMetrics = "TestObservability/metrics_scraped"
	obsLogs    = "TestObservability/structured_logs"
	logErrors  = "TestComponentIntegration/no_critical_errors_in_logs"
)

// grafanaChecks are the checks that read Grafana: on the healthy stack
// (no Grafana here) they are NOT APPLICABLE, so every row that puts an
// imitation Grafana in place names each of them, as failing or passing.
var grafanaChecks = []string{grafanaHealth, dashDatasource, dashProvisioned, dashPanels}

func init() {
	faultSets = append(faultSets, dashboardFaults)
	for row, ids := range map[string][]string{
		// No genesis series in Prometheus: the Genesis panels show nothing
		// and the families are not there.
		"genesis_metrics_broken":    {dashQueries, obsMetrics},
		"prometheus_target_nowhere": {dashQueries, obsMetrics},
		"prometheus_stopped":        {dashQueries, obsMetrics},
		// node-exporter's series go stale: the host panels show nothing.
		"node_exporter_stopped": {dashQueries},
		// The tampering Prometheus answers the memory query, which is the
		// "Memory used" panel's too, with no series.
		"host_memory_unknown": {dashQueries},
		// The imitations of grafana_health's rows answer its health body,
		// an error or a broken body on every path: the datasource, the
		// dashboard and the query API are not there either.
		"grafana_healthy_imitation": {dashDatasource, dashProvisioned, dashPanels},
		"grafana_database_failing":  {dashDatasource, dashProvisioned, dashPanels},
		"grafana_html_page":         {dashDatasource, dashProvisioned, dashPanels},
		"grafana_truncated_json":    {dashDatasource, dashProvisioned, dashPanels},
		// Orchestration answering 500 or refusing with 503 logs ERROR lines
		// for the suite's ordinary (not drill) requests.
		"orchestration_errors":       {logErrors},
		"flag_orchestration_off":     {logErrors},
		"flag_emergency_shutdown_on": {logErrors},
	} {
		alsoFails[row] = append(alsoFails[row], ids...)
	}
	for row, s := range map[string]map[string]string{
		"genesis_metrics_broken":     merge(says("no data", dashQueries), says("no current series of genesis_", obsMetrics)),
		"prometheus_target_nowhere":  says("genesis-nowhere", dashQueries, obsMetrics),
		"prometheus_stopped":         says("connection refused", dashQueries, obsMetrics),
		"node_exporter_stopped":      says(`panel "Memory used (limit 80 %)": no data`, dashQueries),
		"host_memory_unknown":        says(`panel "Memory used (limit 80 %)": no data`, dashQueries),
		"grafana_healthy_imitation":  merge(says(`datasource status ""`, dashDatasource), says("no dashboard in the answer", dashProvisioned), says("no results in the answer", dashPanels)),
		"grafana_database_failing":   says("status 503", dashDatasource, dashProvisioned, dashPanels),
		"grafana_html_page":          says("text/html", dashDatasource, dashProvisioned, dashPanels),
		"grafana_truncated_json":     says("unexpected EOF", dashDatasource, dashProvisioned, dashPanels),
		"orchestration_errors":       says(`status=500`, logErrors),
		"flag_orchestration_off":     says(`status=503`, logErrors),
		"flag_emergency_shutdown_on": says(`status=503`, logErrors),
	} {
		alsoSays[row] = merge(alsoSays[row], s)
	}
}

// dashboardFaults prove the dashboard, metrics and log checks: the log
// knobs of the reference service, a tampering Prometheus for a panel
// without data and for a family stale or gone, and an imitation Grafana
// (none runs on this machine) for the Grafana checks.
func dashboardFaults() []Fault {
	errorRate := panelQuery("Error rate")
	const retries, errorsFam = "genesis_retries_total", "genesis_errors_total"
	return []Fault{
		{Name: "log_error", Does: "knob log_error: the service logs one ERROR line (lost the connection to the agents' database); every answer stays healthy",
			Action: Knob("log_error"), Fails: []string{logErrors}, Says: says("lost the connection to the agents' database", logErrors)},
		{Name: "log_stray_line", Does: "knob log_stray_line: a Python traceback (three text lines) printed on stdout beside the JSON log",
			Action: Knob("log_stray_line"), Fails: []string{obsLogs}, Says: says("Traceback (most recent call last)", obsLogs)},
		// Plain lines carry no correlation id: credential_redaction cannot
		// find its own requests in the log either.
		{Name: "logs_plain", Does: "knob logs_plain: every line a plain text line instead of a JSON object",
			Action: Knob("logs_plain"), Fails: []string{obsLogs, scRedaction},
			Says: merge(says("not a JSON object", obsLogs), says("the log never showed this check's requests", scRedaction))},
		{Name: "dashboard_panel_empty", Does: `tampering Prometheus: the "Error rate" panel's query answers no series`,
			Action: PrometheusAnswers(map[string]func() string{errorRate: emptyVector}), Fails: []string{dashQueries},
			Says: says(`panel "Error rate`, dashQueries)},
		{Name: "metrics_family_stale", Does: "tampering Prometheus: the newest genesis_retries_total sample is 10 minutes old (scrapes stopped reaching it)",
			Action: PrometheusAnswers(map[string]func() string{checks.MetricsAgeQuery(): metricAges(map[string]float64{retries: 600})}),
			Fails:  []string{obsMetrics}, Says: says("stale: "+retries+" (newest sample 10m0s old", obsMetrics)},
		{Name: "metrics_family_gone", Does: "tampering Prometheus: no current genesis_errors_total series",
			Action: PrometheusAnswers(map[string]func() string{checks.MetricsAgeQuery(): metricAges(map[string]float64{errorsFam: -1})}),
			Fails:  []string{obsMetrics}, Says: says("no current series of "+errorsFam, obsMetrics)},

		{Name: "grafana_imitation_whole", Does: "positive control: an imitation Grafana with the provisioned datasource and dashboard, its query API answering from the stack's Prometheus",
			Action: Proxied(harness.Grafana, grafanaImitation(grafanaHealthy)), Passes: grafanaChecks},
		{Name: "grafana_datasource_unreachable", Does: "imitation Grafana: the datasource's Prometheus URL does not resolve; its health check and every query fail",
			Action: Proxied(harness.Grafana, grafanaImitation(grafanaDatasourceDown)), Fails: []string{dashDatasource, dashPanels},
			Passes: []string{grafanaHealth, dashProvisioned}, Says: says("no such host", dashDatasource, dashPanels)},
		{Name: "grafana_dashboard_missing", Does: "imitation Grafana: the 48-hour dashboard is not provisioned (404 Dashboard not found)",
			Action: Proxied(harness.Grafana, grafanaImitation(grafanaNoDashboard)), Fails: []string{dashProvisioned},
			Passes: []string{grafanaHealth, dashDatasource, dashPanels}, Says: says("status 404", dashProvisioned)},
		{Name: "grafana_dashboard_stale", Does: `imitation Grafana: an older dashboard without the "Spans exported per hour" panel`,
			Action: Proxied(harness.Grafana, grafanaImitation(grafanaStaleDashboard)), Fails: []string{dashProvisioned},
			Passes: []string{grafanaHealth, dashDatasource, dashPanels}, Says: says(`panels missing: "Spans exported per hour`, dashProvisioned)},
		{Name: "grafana_dashboard_hand_made", Does: "imitation Grafana: the dashboard is there but saved by hand (meta.provisioned false)",
			Action: Proxied(harness.Grafana, grafanaImitation(grafanaHandMade)), Fails: []string{dashProvisioned},
			Passes: []string{grafanaHealth, dashDatasource, dashPanels}, Says: says("meta.provisioned is false", dashProvisioned)},
		{Name: "grafana_panel_no_data", Does: `imitation Grafana: the "Error rate" panel's query comes back without data`,
			Action: Proxied(harness.Grafana, grafanaImitation(grafanaPanelEmpty)), Fails: []string{dashPanels},
			Passes: []string{grafanaHealth, dashDatasource, dashProvisioned}, Says: says(`panel "Error rate`, dashPanels)},
	}
}

// panelQuery is the query dashboard_queries_answer sends for the first
// panel whose title starts with prefix: its variables expanded.
func panelQuery(prefix string) string {
	d, err := checks.FixtureDashboard()
	if err != nil {
		panic(err)
	}
	vars, err := checks.DashboardVars(d)
	if err != nil {
		panic(err)
	}
	for _, p := range d.Panels {
		if strings.HasPrefix(p.Title, prefix) {
			q, err := checks.PanelExpr(p.Queries[0].Expr, vars)
			if err != nil {
				panic(err)
			}
			return q
		}
	}
	panic("no panel " + prefix)
}

// metricAges answers metrics_scraped's query: every contract family 1 s
// old in job genesis, but the ages given (a negative age: no series).
func metricAges(ages map[string]float64) func() string {
	return func() string {
		var result []string
		now := float64(time.Now().UnixMilli()) / 1000
		for _, f := range checks.ContractMetrics {
			age, ok := ages[f]
			if !ok {
				age = 1
			}
			if age < 0 {
				continue
			}
			result = append(result, fmt.Sprintf(`{"metric":{"family":%q,"job":"genesis"},"value":[%.3f,"%g"]}`, f, now, age))
		}
		return `{"status":"success","data":{"resultType":"vector","result":[` + strings.Join(result, ",") + `]}}`
	}
}

// ---- the imitation Grafana ----------------------------------------------------------

// grafanaFault is what the imitation Grafana gets wrong.
type grafanaFault int

const (
	grafanaHealthy grafanaFault = iota
	grafanaDatasourceDown
	grafanaNoDashboard
	grafanaStaleDashboard
	grafanaHandMade
	grafanaPanelEmpty
)

// unresolvable is what Grafana says when its datasource URL names a host
// that does not resolve.
const unresolvable = `Post "http://prometheus:9090/api/v1/query": dial tcp: lookup prometheus on 127.0.0.11:53: no such host`

// grafanaImitation answers the part of Grafana's HTTP API the checks read:
// /api/health, the datasource health check, the dashboard by uid (the
// fixture, provisioned) and the query API, which expands Grafana's
// variables for the request's range and interval and runs the query on the
// stack's Prometheus, answering data frames as Grafana does.
func grafanaImitation(fault grafanaFault) func(*harness.Stack, *httputil.ReverseProxy) http.Handler {
	return func(s *harness.Stack, _ *httputil.ReverseProxy) http.Handler {
		dashboard, err := fs.ReadFile(stackfiles.FS, stackfiles.GrafanaDashboard)
		if err != nil {
			panic(err)
		}
		mux := http.NewServeMux()
		writeJSON := func(w http.ResponseWriter, status int, v any) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(v)
		}
		mux.HandleFunc("GET /api/health", func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, 200, map[string]string{"commit": "abc", "database": "ok", "version": "12.2.0"})
		})
		mux.HandleFunc("GET /api/datasources/uid/{uid}/health", func(w http.ResponseWriter, r *http.Request) {
			switch {
			case r.PathValue("uid") != stackfiles.DatasourceUID:
				writeJSON(w, 404, map[string]string{"message": "Data source not found"})
			case fault == grafanaDatasourceDown:
				writeJSON(w, 400, map[string]string{"status": "ERROR", "message": unresolvable})
			default:
				writeJSON(w, 200, map[string]string{"status": "OK", "message": "Successfully queried the Prometheus API."})
			}
		})
		mux.HandleFunc("GET /api/dashboards/uid/{uid}", func(w http.ResponseWriter, r *http.Request) {
			if r.PathValue("uid") != stackfiles.DashboardUID || fault == grafanaNoDashboard {
				writeJSON(w, 404, map[string]string{"message": "Dashboard not found"})
				return
			}
			model := json.RawMessage(dashboard)
			if fault == grafanaStaleDashboard {
				model = withoutPanel(dashboard, "Spans exported per hour")
			}
			meta := map[string]any{"provisioned": fault != grafanaHandMade, "folderTitle": "Genesis", "url": "/d/" + stackfiles.DashboardUID}
			if fault != grafanaHandMade {
				meta["provisionedExternalId"] = "genesis-48h.json"
			}
			writeJSON(w, 200, map[string]any{"dashboard": model, "meta": meta})
		})
		mux.HandleFunc("POST /api/ds/query", func(w http.ResponseWriter, r *http.Request) {
			var req harness.GrafanaQueryRequest
			if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
				writeJSON(w, 400, map[string]string{"message": "bad request data"})
				return
			}
			rng, err := checks.RelativeRange(req.From, req.To)
			if err != nil {
				writeJSON(w, 400, map[string]string{"message": err.Error()})
				return
			}
			results := map[string]any{}
			status := 200
			for _, q := range req.Queries {
				scrape := checks.DatasourceScrapeInterval()
				interval := max(time.Duration(q.IntervalMs)*time.Millisecond, scrape)
				vars := checks.GrafanaVars{Range: rng, Interval: interval, RateInterval: max(interval+scrape, 4*scrape)}
				switch {
				case fault == grafanaDatasourceDown:
					results[q.RefID] = map[string]any{"error": unresolvable, "errorSource": "downstream", "status": 500}
					status = 400
					continue
				case fault == grafanaPanelEmpty && strings.HasPrefix(q.Expr, "(sum(rate(genesis_http_requests_total{code=~\"5..\"}"):
					results[q.RefID] = map[string]any{"status": 200, "frames": []any{emptyFrame(q.RefID)}}
					continue
				}
				v, err := s.Prometheus().QueryE(r.Context(), vars.Expand(q.Expr))
				if err != nil {
					results[q.RefID] = map[string]any{"error": err.Error(), "errorSource": "downstream", "status": 500}
					status = 400
					continue
				}
				results[q.RefID] = map[string]any{"status": 200, "frames": frames(q.RefID, v)}
			}
			writeJSON(w, status, map[string]any{"results": results})
		})
		return mux
	}
}

// withoutPanel is a dashboard model without the panel whose title starts
// with prefix (rows searched too).
func withoutPanel(dashboard []byte, prefix string) json.RawMessage {
	var d map[string]any
	if err := json.Unmarshal(dashboard, &d); err != nil {
		panic(err)
	}
	var drop func([]any) []any
	drop = func(ps []any) []any {
		var out []any
		for _, p := range ps {
			m, _ := p.(map[string]any)
			if t, _ := m["title"].(string); strings.HasPrefix(t, prefix) {
				continue
			}
			if inner, ok := m["panels"].([]any); ok {
				m["panels"] = drop(inner)
			}
			out = append(out, p)
		}
		return out
	}
	d["panels"] = drop(d["panels"].([]any))
	out, err := json.Marshal(d)
	if err != nil {
		panic(err)
	}
	return out
}

// emptyFrame is Grafana's answer for a query without series: one frame
// without fields.
func emptyFrame(refID string) map[string]any {
	return map[string]any{"schema": map[string]any{"refId": refID, "fields": []any{}}, "data": map[string]any{"values": []any{}}}
}

// frames turns an instant query's result into Grafana's data frames: one
// per series, a time and a value column of one row.
func frames(refID string, v model.Value) []any {
	var out []any
	add := func(t model.Time, val float64, labels model.Metric) {
		lbls := map[string]string{}
		for k, x := range labels {
			lbls[string(k)] = string(x)
		}
		out = append(out, map[string]any{
			"schema": map[string]any{"refId": refID, "fields": []any{
				map[string]any{"name": "Time", "type": "time"},
				map[string]any{"name": "Value", "type": "number", "labels": lbls},
			}},
			"data": map[string]any{"values": []any{[]int64{int64(t)}, []any{jsonNumber(val)}}},
		})
	}
	switch x := v.(type) {
	case model.Vector:
		for _, smp := range x {
			add(smp.Timestamp, float64(smp.Value), smp.Metric)
		}
	case *model.Scalar:
		add(x.Timestamp, float64(x.Value), nil)
	}
	if len(out) == 0 {
		return []any{emptyFrame(refID)}
	}
	return out
}

// jsonNumber is a float JSON can hold: Grafana writes NaN and ±Inf as null.
func jsonNumber(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return f
}
