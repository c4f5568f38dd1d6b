package proofs

import (
	"encoding/json"
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
				v, err := s.Prometheus().Query(r.Context(), vars.Expand(q.Expr))
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
