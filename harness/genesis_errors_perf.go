package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"

	dto "github.com/prometheus/client_model/go"
)

// This file holds what the staging groups TestErrorHandling,
// TestPerformanceBaseline and TestComponentIntegration need beyond the typed
// client: the LLM planner's fault state (to put it back as found), the
// breaker settings /resilience reports, and reading one value out of a
// scraped exposition.

// FaultsE reads the planner's active faults ("" when none), so that a
// check that breaks the planner can restore what it found.
func (p PlannerClient) FaultsE(ctx context.Context) (string, error) {
	var body struct {
		Faults *string `json:"faults"`
	}
	if _, err := p.GetJSON(ctx, "/admin/faults", http.StatusOK, &body); err != nil {
		return "", err
	}
	if body.Faults == nil {
		return "", fmt.Errorf("planner GET /admin/faults: no faults field")
	}
	return *body.Faults, nil
}

// PlannerStats are the reference planner's counters (GET /health): how
// many plans it served and refused. They tell whether the service called
// the upstream at all (a breaker that is open must not).
type PlannerStats struct {
	Served *int64 `json:"plans_served"`
	Failed *int64 `json:"plans_failed"`
}

// Calls is every plan request the planner answered.
func (s PlannerStats) Calls() int64 {
	var n int64
	if s.Served != nil {
		n += *s.Served
	}
	if s.Failed != nil {
		n += *s.Failed
	}
	return n
}

// StatsE reads the planner's counters; a planner that does not report them
// is an error.
func (p PlannerClient) StatsE(ctx context.Context) (PlannerStats, error) {
	var st PlannerStats
	resp, err := p.GetJSON(ctx, "/health", http.StatusOK, &st)
	if err != nil {
		return st, err
	}
	if st.Served == nil || st.Failed == nil {
		return st, resp.Fail("plans_served and plans_failed in the planner's /health", nil)
	}
	return st, nil
}

// ResilienceSettings is the optional `config` object of GET /resilience:
// the breaker and retry parameters the service runs with. Pointer fields
// are nil when the service does not report them.
type ResilienceSettings struct {
	FailureThreshold   *int     `json:"failure_threshold"`
	OpenTimeoutSeconds *float64 `json:"open_timeout_seconds"`
	SuccessThreshold   *int     `json:"success_threshold"`
	MaxRetries         *int     `json:"max_retries"`
}

// ResilienceSettingsOf reads `config` from a GET /resilience answer (bare
// or in the data envelope); a zero ResilienceSettings when absent.
func ResilienceSettingsOf(resp *Response) ResilienceSettings {
	var out ResilienceSettings
	if resp == nil {
		return out
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(resp.Body, &probe) != nil {
		return out
	}
	if v, ok := probe["data"]; ok && len(v) > 0 && v[0] == '{' {
		if json.Unmarshal(v, &probe) != nil {
			return out
		}
	}
	if c, ok := probe["config"]; ok {
		_ = json.Unmarshal(c, &out)
	}
	return out
}

// MetricValue sums the series of family name whose labels include every
// pair of match: a counter's or gauge's value, a histogram's or summary's
// sample count. found is false when no series matches — which a check must
// treat as "not measured", never as zero.
func MetricValue(fams map[string]*dto.MetricFamily, name string, match map[string]string) (v float64, found bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		if !labelsMatch(m.GetLabel(), match) {
			continue
		}
		found = true
		switch {
		case m.Counter != nil:
			v += m.GetCounter().GetValue()
		case m.Gauge != nil:
			v += m.GetGauge().GetValue()
		case m.Histogram != nil:
			v += float64(m.GetHistogram().GetSampleCount())
		case m.Summary != nil:
			v += float64(m.GetSummary().GetSampleCount())
		case m.Untyped != nil:
			v += m.GetUntyped().GetValue()
		}
	}
	return v, found
}

func labelsMatch(have []*dto.LabelPair, want map[string]string) bool {
	for k, v := range want {
		ok := false
		for _, l := range have {
			if l.GetName() == k && l.GetValue() == v {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// Series writes a family name and label match as PromQL would:
// genesis_errors_total{category="security"}.
func Series(name string, match map[string]string) string {
	if len(match) == 0 {
		return name
	}
	keys := make([]string, 0, len(match))
	for k := range match {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, match[k])
	}
	return name + "{" + strings.Join(parts, ",") + "}"
}
