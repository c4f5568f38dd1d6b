package proofs

import (
	"encoding/json"
	"net/http"
)

// logErrorFaults prove no_critical_errors_in_logs with the reference
// service's log knob.
func logErrorFaults() []Fault {
	return []Fault{
		{Name: "log_error", Does: "knob log_error: the service logs one ERROR line (lost the connection to the agents' database); every answer stays healthy",
			Action: Knob("log_error"), Fails: []string{logErrors}, Says: says("lost the connection to the agents' database", logErrors)},
	}
}

// integrationFaults prove TestComponentIntegration where no knob breaks
// what it judges: a tampering proxy for /resilience disagreeing with the
// metrics, a run on the wrong agent, requests that are not counted.
func integrationFaults() []Fault {
	return []Fault{
		{Name: "resilience_disagrees", Does: "proxy: /resilience reports 7 more successful retries than genesis_retries_total",
			Action: Tampered(tamper{match: route("GET", "/resilience"), response: addRetries(7)}),
			Fails:  []string{errIntegrated}, Says: says("retries.success", errIntegrated)},
		{Name: "run_on_wrong_agent", Does: "proxy: a run reports one task executed by an agent other than its assignment",
			Action: Tampered(onData("POST", "/orchestrate/run", swapAgent)), Fails: []string{fullPipeline}, Says: says("ran on agent", fullPipeline)},
		{Name: "requests_not_counted", Does: "proxy: /metrics reports genesis_http_requests_total frozen at 0",
			Action: Tampered(tamper{match: route("GET", "/metrics"), response: freezeFamily(requestsFamily)}),
			Fails:  []string{obsIntegrated}, Says: says(requestsFamily, obsIntegrated)},
	}
}

// addRetries adds n to retries.success in a /resilience answer.
func addRetries(n int) func(*http.Request, int, http.Header, []byte) (int, []byte) {
	return func(_ *http.Request, status int, h http.Header, body []byte) (int, []byte) {
		var m map[string]any
		if status != http.StatusOK || json.Unmarshal(body, &m) != nil {
			return status, body
		}
		r, _ := m["retries"].(map[string]any)
		if r == nil {
			return status, body
		}
		v, _ := r["success"].(float64)
		r["success"] = v + float64(n)
		out, err := json.Marshal(m)
		if err != nil {
			return status, body
		}
		return status, out
	}
}

// swapAgent reports the first completed task of a run as executed by an
// agent other than the one it was assigned to.
func swapAgent(data map[string]any) {
	results, _ := data["results"].(map[string]any)
	for _, r := range results {
		m, ok := r.(map[string]any)
		if !ok {
			continue
		}
		if a, _ := m["agent"].(string); a != "" {
			m["agent"] = map[bool]string{true: "qa", false: "legal"}[a != "qa"]
			return
		}
	}
}
