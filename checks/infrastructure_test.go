package checks

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/harness/harnesstest"
)

func TestA2AHealthShapes(t *testing.T) {
	const ts = `"timestamp":"2026-11-27T01:00:00Z"`
	cases := []struct {
		name, body string
		status     int
		want       Outcome
		says       string
	}{
		{"lazy, none loaded yet", `{"status":"healthy","agents_registered":15,"agents_loaded":0,"lazy_loading":true,` + ts + `}`, 200, Pass, ""},
		{"eager, all loaded (the checklist's answer)", `{"status":"healthy","agents_loaded":15,` + ts + `}`, 200, Pass, ""},
		{"eager, one missing", `{"status":"healthy","agents_loaded":14,` + ts + `}`, 200, Fail, "agents_loaded=15 (eager loading)"},
		{"lazy, one registered short", `{"status":"healthy","agents_registered":14,"agents_loaded":3,"lazy_loading":true,` + ts + `}`, 200, Fail, "agents_registered=14"},
		{"lazy, more loaded than registered", `{"status":"healthy","agents_registered":15,"agents_loaded":16,"lazy_loading":true,` + ts + `}`, 200, Fail, "agents_loaded=16"},
		{"lazy, loaded missing", `{"status":"healthy","agents_registered":15,"lazy_loading":true,` + ts + `}`, 200, Fail, "agents_loaded=absent"},
		{"status only", `{"status":"healthy"}`, 200, Fail, "agents_loaded=absent"},
		{"unhealthy 503", `{"status":"unhealthy","agents_loaded":15,` + ts + `}`, 503, Fail, `status 503 and status "unhealthy"`},
		{"degraded with 200", `{"status":"degraded","agents_loaded":15,` + ts + `}`, 200, Fail, `status "degraded"`},
		{"wrong type", `{"status":"healthy","agents_loaded":"15",` + ts + `}`, 200, Fail, "cannot unmarshal"},
		{"no timestamp", `{"status":"healthy","agents_loaded":15}`, 200, Fail, "no timestamp"},
		{"bad timestamp", `{"status":"healthy","agents_loaded":15,"timestamp":"yesterday"}`, 200, Fail, "yesterday"},
		{"truncated", `{"status":"healthy","agents_lo`, 200, Fail, "unexpected EOF"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Genesis: body(c.status, "application/json", c.body)})
			v := Evaluate(context.Background(), s, check(t, "TestInfrastructure/a2a_health"))
			require.Equal(t, c.want, v.Outcome, "%v", v.Err)
			if c.says != "" {
				assert.Contains(t, v.Err.Error(), c.says)
				assert.Contains(t, v.Err.Error(), "checklist:", "the failure quotes the checklist line")
				assert.Contains(t, v.Err.Error(), "/health", "the failure names the URL")
			}
		})
	}
}

func TestHangingComponentIsBounded(t *testing.T) {
	hang := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
	}
	handlers := map[harness.Component]http.Handler{}
	for _, c := range []harness.Component{harness.Genesis, harness.Prometheus, harness.Alertmanager, harness.NodeExporter, harness.Grafana} {
		handlers[c] = http.HandlerFunc(hang)
	}
	s := harnesstest.NewStack(t, handlers)
	for _, c := range Infrastructure {
		if c.Name == "containers_up" {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			start := time.Now()
			v := Evaluate(context.Background(), s, c)
			assert.Equal(t, Fail, v.Outcome, "%v", v.Err)
			assert.Less(t, time.Since(start), 5*time.Second)
			assert.Contains(t, v.Err.Error(), "no answer")
		})
	}
}

func TestMetricsVisibleJudgesPrometheusAnswers(t *testing.T) {
	api := func(result string) http.HandlerFunc {
		return body(200, "application/json", `{"status":"success","data":{"resultType":"vector","result":`+result+`}}`)
	}
	up := `{"metric":{"__name__":"up","job":"node","instance":"node-exporter:9100"},"value":[1700000000,"1"]}`
	down := `{"metric":{"__name__":"up","job":"genesis","instance":"genesis:8080"},"value":[1700000000,"0"]}`
	judgeComponentAnswers(t, harness.Prometheus, "TestInfrastructure/metrics_visible", map[string]componentAnswer{
		"all up":          {api("[" + up + "]"), Pass, ""},
		"no results":      {api("[]"), Fail, "no results"},
		"one target down": {api("[" + up + "," + down + "]"), Fail, "1 of 2 targets down: genesis/genesis:8080"},
		"error envelope":  {body(200, "application/json", `{"status":"error","errorType":"bad_data","error":"parse error"}`), Fail, "parse error"},
		"HTML":            {body(200, "text/html", "<html>login</html>"), Fail, ""},
	})
}

func TestNodeExporterNeedsResourceSeries(t *testing.T) {
	full := ""
	for _, n := range NodeSeries {
		full += n + " 1\n"
	}
	partial := strings.Replace(full, "node_filesystem_avail_bytes 1\n", "", 1)
	judgeComponentAnswers(t, harness.NodeExporter, "TestInfrastructure/node_exporter_metrics", map[string]componentAnswer{
		"all series":     {body(200, "text/plain", full), Pass, ""},
		"disk missing":   {body(200, "text/plain", partial), Fail, "missing node_filesystem_avail_bytes"},
		"not exposition": {body(200, "text/plain", "{{{ not metrics"), Fail, "parse"},
		"500":            {body(500, "text/plain", "oops"), Fail, "status 500"},
	})
}

// componentAnswer pairs a component's answer with the verdict a person on
// call must see for it; says is words the failure must hold, "" for none.
type componentAnswer struct {
	h    http.HandlerFunc
	want Outcome
	says string
}

// judgeComponentAnswers gives each case a stack in which component is the
// only one that answers, so the verdict of check id can come from nothing
// but that answer.
func judgeComponentAnswers(t *testing.T, component harness.Component, id string, cases map[string]componentAnswer) {
	t.Helper()
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			s := harnesstest.NewStack(t, map[harness.Component]http.Handler{component: c.h})
			v := Evaluate(context.Background(), s, check(t, id))
			require.Equal(t, c.want, v.Outcome, "%v", v.Err)
			if c.says != "" {
				assert.Contains(t, v.Err.Error(), c.says)
			}
		})
	}
}

func TestAbsentComponentsSkipWithReason(t *testing.T) {
	s := harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Genesis: body(200, "application/json", `{}`)})
	for _, id := range []string{"TestInfrastructure/grafana_health", "TestInfrastructure/prometheus_health", "TestInfrastructure/containers_up"} {
		v := Evaluate(context.Background(), s, check(t, id))
		require.Contains(t, []Outcome{NotApplicable, NotJudged}, v.Outcome, "%s: %v", id, v.Err)
		assert.Contains(t, v.Err.Error(), "SMOKE_", "the reason says which variable to set")
	}
}
