package checks

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/fixtures/probes"
	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/harness/harnesstest"
)

// stagingImitation is a small Genesis for the staging checks, written from
// CONTRACT.md: it categorises and counts errors, routes and validates, and
// keeps /resilience and /metrics in step. Tests set the hostile fields.
type stagingImitation struct {
	mu       sync.Mutex
	errors   map[string]int
	requests map[string]int
	// hostile settings
	category     string        // force every error's category
	freezeErrors bool          // genesis_errors_total never grows
	routeDelay   time.Duration // each routing takes this long
	retriesExtra int           // /resilience reports this many more retries than the metrics
	breakerState string        // /resilience reports the llm breaker in this state
	noTraceID    bool
	noValidate   bool
	// latency feeds the latency histograms: measured handler times
	// (seconds) per path, or random numbers when randomLatency is set (the
	// seed repository's defect), or nothing new when frozenLatencySum is.
	latency          map[string][]float64
	randomLatency    bool
	frozenLatencySum bool
}

// latencyBounds are the imitation's histogram buckets (seconds).
var latencyBounds = []float64{.0005, .001, .0025, .005, .01, .025, .05, .075, .1, .15, .2, .3, .5, 1, 2.5, 5, 10}

// histogram writes one histogram series of the observations.
func histogram(exp *strings.Builder, name, labels string, obs []float64) {
	sep := ""
	if labels != "" {
		sep = ","
	}
	sum := 0.0
	for _, o := range obs {
		sum += o
	}
	for _, le := range latencyBounds {
		n := 0
		for _, o := range obs {
			if o <= le {
				n++
			}
		}
		fmt.Fprintf(exp, "%s_bucket{%s%sle=\"%g\"} %d\n", name, labels, sep, le, n)
	}
	fmt.Fprintf(exp, "%s_bucket{%s%sle=\"+Inf\"} %d\n", name, labels, sep, len(obs))
	fmt.Fprintf(exp, "%s_sum{%s} %g\n%s_count{%s} %d\n", name, labels, sum, name, labels, len(obs))
}

func newStagingImitation() *stagingImitation {
	return &stagingImitation{errors: map[string]int{}, requests: map[string]int{}, latency: map[string][]float64{}, breakerState: "CLOSED"}
}

// hostileStaging judges check id on a staging imitation made hostile by
// edit, and wants a failure saying each of says.
func hostileStaging(t *testing.T, id string, edit func(g *stagingImitation), says ...string) {
	t.Helper()
	g := newStagingImitation()
	edit(g)
	requireFail(t, evaluateWith(t, g, id, nil), says...)
}

func (g *stagingImitation) fail(w http.ResponseWriter, status int, code, category string, details map[string]any) {
	g.mu.Lock()
	if g.category != "" {
		category = g.category
	}
	g.errors[category]++
	g.mu.Unlock()
	harnesstest.WriteJSON(w, status, harnesstest.APIError(code, "refused", category, details))
}

func (g *stagingImitation) ok(w http.ResponseWriter, r *http.Request, data any) {
	id := fmt.Sprintf("req-%d", time.Now().UnixNano())
	trace := strings.ReplaceAll(fmt.Sprintf("%032x", time.Now().UnixNano()), " ", "0")
	w.Header().Set("X-Request-Id", id)
	md := map[string]any{"request_id": id, "timestamp": "2026-11-27T01:00:00Z", "execution_time_ms": 0.4}
	if !g.noTraceID {
		md["trace_id"] = trace
	}
	harnesstest.WriteJSON(w, 200, map[string]any{"data": data, "metadata": md})
}

func (g *stagingImitation) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	b, _ := io.ReadAll(r.Body)
	g.mu.Lock()
	g.requests[r.URL.Path]++
	g.mu.Unlock()
	if r.URL.Path != "/metrics" {
		defer func() {
			took := time.Since(start).Seconds()
			g.mu.Lock()
			defer g.mu.Unlock()
			switch {
			case g.randomLatency:
				took = 0.05 + rand.Float64()*2.45
			case g.frozenLatencySum:
				took = 0
			}
			g.latency[r.URL.Path] = append(g.latency[r.URL.Path], took)
		}()
	}
	switch r.Method + " " + r.URL.Path {
	case "POST /orchestrate/decompose":
		var req struct {
			UserRequest string `json:"user_request"`
		}
		_ = json.Unmarshal(b, &req)
		if e := requestErrors(req.UserRequest); e != nil {
			code := "VALIDATION_ERROR"
			if e.status == 400 && strings.Contains(fmt.Sprint(e.body), "SECURITY") {
				code = "SECURITY_ERROR"
			}
			g.fail(w, 400, code, strings.ToLower(strings.TrimSuffix(code, "_ERROR")), nil)
			return
		}
		g.ok(w, r, harnesstest.DAG())
	case "POST /orchestrate/route":
		var req harness.RouteRequest
		_ = json.Unmarshal(b, &req)
		if len(req.Tasks) > 1000 {
			g.fail(w, 422, "RESOURCE_ERROR", "resource", map[string]any{"tasks": len(req.Tasks)})
			return
		}
		time.Sleep(g.routeDelay)
		as, ex := map[string]string{}, map[string]string{}
		for _, t := range req.Tasks {
			as[t.TaskID], ex[t.TaskID] = "builder", "builds"
		}
		g.ok(w, r, map[string]any{"routing_plan": map[string]any{"is_complete": true, "assignments": as, "explanations": ex,
			"unassigned_tasks": []string{}, "workload": map[string]int{"builder": len(req.Tasks)}}})
	case "POST /orchestrate/validate":
		if g.noValidate {
			harnesstest.WriteJSON(w, 404, map[string]any{"detail": "Not Found"})
			return
		}
		if strings.Contains(string(b), `"smoke-cycle"`) {
			g.fail(w, 422, "DECOMPOSITION_ERROR", "decomposition", map[string]any{"cycle": []string{"smoke-a", "smoke-c", "smoke-b", "smoke-a"}})
			return
		}
		g.ok(w, r, harnesstest.ValidPlan())
	case "GET /resilience":
		g.mu.Lock()
		defer g.mu.Unlock()
		harnesstest.WriteJSON(w, 200, map[string]any{"circuit_breakers": map[string]any{"llm": map[string]any{"state": g.breakerState, "failures": 0, "trips": 1}},
			"retries": map[string]int{"success": 3 + g.retriesExtra, "failure": 1, "exhausted": 0}, "degradations": map[string]int{"htdag": 2}})
	case "GET /metrics":
		g.mu.Lock()
		defer g.mu.Unlock()
		var exp strings.Builder
		exp.WriteString("# TYPE genesis_errors_total counter\n")
		for _, c := range ErrorCategories {
			n := g.errors[c]
			if g.freezeErrors {
				n = 0
			}
			fmt.Fprintf(&exp, "genesis_errors_total{category=%q} %d\n", c, n)
		}
		exp.WriteString("# TYPE genesis_http_requests_total counter\n")
		for p, n := range g.requests {
			fmt.Fprintf(&exp, "genesis_http_requests_total{route=%q,code=\"200\"} %d\n", p, n)
		}
		exp.WriteString("# TYPE genesis_http_request_duration_seconds histogram\n")
		for p, obs := range g.latency {
			histogram(&exp, "genesis_http_request_duration_seconds", fmt.Sprintf("route=%q", p), obs)
		}
		for fam, p := range map[string]string{"genesis_htdag_decomposition_duration_seconds": "/orchestrate/decompose",
			"genesis_halo_routing_duration_seconds": "/orchestrate/route", "genesis_aop_validation_duration_seconds": "/orchestrate/validate"} {
			fmt.Fprintf(&exp, "# TYPE %s histogram\n", fam)
			histogram(&exp, fam, "", g.latency[p]) // the stage took the request's time, at most
		}
		exp.WriteString("# TYPE genesis_circuit_breaker_state gauge\ngenesis_circuit_breaker_state{breaker=\"llm\"} 0\n")
		exp.WriteString("# TYPE genesis_circuit_breaker_trips_total counter\ngenesis_circuit_breaker_trips_total{breaker=\"llm\"} 1\n")
		exp.WriteString("# TYPE genesis_retries_total counter\ngenesis_retries_total{outcome=\"success\"} 3\ngenesis_retries_total{outcome=\"failure\"} 1\ngenesis_retries_total{outcome=\"exhausted\"} 0\n")
		exp.WriteString("# TYPE genesis_degradations_total counter\ngenesis_degradations_total{component=\"htdag\"} 2\n")
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = w.Write([]byte(exp.String()))
	default:
		harnesstest.WriteJSON(w, 404, map[string]any{"detail": "Not Found"})
	}
}

// flagsSecurityImitation extends the contract imitation with the routes of
// the staging flag and security checks, written from CONTRACT.md: every
// flag, a progressive Phase 4 rollout halfway through, admin flag writes
// that emergency_shutdown honours, redaction that echoes requests with
// [REDACTED] markers, and guards that know the probe corpora.
type flagsSecurityImitation struct {
	*genesisImitation
	mu       sync.Mutex
	flags    map[string]map[string]any
	writes   []string // "name=bool" per admin write
	received []string // user_request texts received
}

func newFlagsSecurityImitation() *flagsSecurityImitation {
	g := &flagsSecurityImitation{genesisImitation: newGenesisImitation(), flags: map[string]map[string]any{}}
	for _, n := range CriticalFlags {
		g.flags[n] = map[string]any{"enabled": true, "strategy": "all_at_once", "rollout_percentage": 100, "owner": "extra fields are fine"}
	}
	for _, n := range SafetyFlags {
		g.flags[n] = map[string]any{"enabled": false, "strategy": "all_at_once", "rollout_percentage": 100}
	}
	g.flags[Phase4Flag] = map[string]any{"enabled": true, "strategy": "progressive", "rollout_percentage": 0}
	g.routes["GET /flags"] = func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		defer g.mu.Unlock()
		harnesstest.WriteJSON(w, 200, g.flags)
	}
	g.routes["GET /flags/*"] = func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/flags/"), "/rollout")
		g.mu.Lock()
		f, ok := g.flags[name]
		g.mu.Unlock()
		switch {
		case !ok:
			harnesstest.WriteJSON(w, 404, map[string]any{"detail": "Flag '" + name + "' not found"})
		case name == Phase4Flag:
			harnesstest.WriteJSON(w, 200, halfwayRollout(time.Now()))
		default:
			harnesstest.WriteJSON(w, 200, map[string]any{"name": name, "enabled": f["enabled"], "strategy": f["strategy"], "current_percentage": 0})
		}
	}
	g.routes["PUT /flags/*"] = func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/flags/")
		var req struct {
			Enabled *bool `json:"enabled"`
		}
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("X-Admin-Key") != "adm" {
			harnesstest.WriteJSON(w, 403, map[string]any{"detail": "Invalid admin key"})
			return
		}
		if json.Unmarshal(b, &req) != nil || req.Enabled == nil {
			harnesstest.WriteJSON(w, 422, map[string]any{"detail": "enabled required"})
			return
		}
		g.mu.Lock()
		defer g.mu.Unlock()
		g.flags[name]["enabled"] = *req.Enabled
		g.writes = append(g.writes, fmt.Sprintf("%s=%t", name, *req.Enabled))
		harnesstest.WriteJSON(w, 200, map[string]any{"name": name, "enabled": *req.Enabled, "strategy": "all_at_once"})
	}
	injections := map[string]string{}
	for _, i := range probes.Injections() {
		injections[i.Text] = i.Class
	}
	inner := g.route("POST /orchestrate/decompose")
	g.routes["POST /orchestrate/decompose"] = func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		down := g.flags[ShutdownFlag]["enabled"] == true
		g.mu.Unlock()
		if down {
			harnesstest.WriteJSON(w, 503, harnesstest.APIError("SERVICE_UNAVAILABLE", "emergency_shutdown is enabled: orchestration is refused", "resource", nil))
			return
		}
		b, _ := io.ReadAll(r.Body)
		var req struct {
			UserRequest string `json:"user_request"`
		}
		_ = json.Unmarshal(b, &req)
		g.mu.Lock()
		g.received = append(g.received, req.UserRequest)
		g.mu.Unlock()
		if class, ok := injections[req.UserRequest]; ok {
			harnesstest.WriteJSON(w, 400, harnesstest.APIError("SECURITY_ERROR", "prompt injection", "security", map[string]any{"detected_patterns": []string{class}}))
			return
		}
		if requestErrors(req.UserRequest) == nil && strings.Contains(req.UserRequest, "FAKE") {
			d := harnesstest.DAG()
			d["tasks"].([]map[string]any)[0]["description"] = harness.RedactText(req.UserRequest)
			harnesstest.Envelope(func([]byte) (int, any) { return 200, d })(w, r)
			return
		}
		r.Body = io.NopCloser(strings.NewReader(string(b)))
		inner(w, r)
	}
	dangerous := map[string]string{}
	for _, c := range probes.DangerousCode() {
		dangerous[c.Code] = "Dangerous pattern: " + c.Mentions[0]
	}
	g.routes["POST /security/validate-code"] = harnesstest.Envelope(func(b []byte) (int, any) {
		var req struct{ Code string }
		_ = json.Unmarshal(b, &req)
		if reason, ok := dangerous[req.Code]; ok {
			return 200, map[string]any{"valid": false, "reason": reason}
		}
		return 200, map[string]any{"valid": true, "reason": "ok"}
	})
	return g
}

func halfwayRollout(now time.Time) map[string]any {
	return map[string]any{"name": Phase4Flag, "enabled": true, "strategy": "progressive", "current_percentage": 50.0, "phase": "in_progress",
		"start_date": now.Add(-84 * time.Hour).UTC().Format(time.RFC3339Nano), "end_date": now.Add(84 * time.Hour).UTC().Format(time.RFC3339Nano),
		"initial_percentage": 0, "end_percentage": 100}
}

var flagsSecurityEnv = map[string]string{harness.Env.AllowMutation: "1", harness.Env.AdminKey: "adm"}

// hostile runs one check against the imitation after edit, and wants a
// failure saying want (or, with want "SKIP", a skip).
func hostile(t *testing.T, id string, edit func(g *flagsSecurityImitation), want string, env map[string]string) (*flagsSecurityImitation, Verdict) {
	t.Helper()
	g := newFlagsSecurityImitation()
	edit(g)
	if env == nil {
		env = flagsSecurityEnv
	}
	v := Evaluate(context.Background(), imitateGenesis(t, g, env), check(t, id))
	if want == "SKIP" {
		require.Contains(t, []Outcome{NotApplicable, NotJudged}, v.Outcome, "%v", v.Err)
		return g, v
	}
	requireFail(t, v, want)
	return g, v
}

func route(key string, h http.HandlerFunc) func(*flagsSecurityImitation) {
	return func(g *flagsSecurityImitation) { g.routes[key] = h }
}

// loadingGenesis imitates the real service's lazy loading: an invoke of
// NAME.tool loads agent NAME, holding a server-wide lock for loadTime, and
// /health waits on that lock when blocking is set (the real service's
// defect).
type loadingGenesis struct {
	mu       sync.Mutex // the server-wide load lock
	state    sync.Mutex // guards loaded
	loaded   map[string]bool
	loadTime time.Duration
	blocking bool
	eager    bool // lazy_loading false: every agent was loaded at start-up
}

func (g *loadingGenesis) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	names := []string{"marketing", "builder", "qa", "seo", "support", "legal"}
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/a2a/agents":
		g.state.Lock()
		var loaded []string
		for _, n := range names {
			if g.loaded[n] {
				loaded = append(loaded, n)
			}
		}
		g.state.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"registered_agents": names, "loaded_agents": loaded, "total_registered": len(names), "total_loaded": len(loaded), "lazy_loading": !g.eager})
	case "/a2a/invoke":
		var req struct{ Tool string }
		_ = json.NewDecoder(r.Body).Decode(&req)
		agent, _, _ := strings.Cut(req.Tool, ".")
		g.mu.Lock()
		time.Sleep(g.loadTime)
		g.state.Lock()
		g.loaded[agent] = true
		g.state.Unlock()
		g.mu.Unlock()
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"detail":"Tool not found"}`))
	case "/health":
		if g.blocking {
			g.mu.Lock()
			//lint:ignore SA2001 waiting for the load lock is the defect imitated
			g.mu.Unlock()
		}
		_, _ = w.Write([]byte(`{"status":"healthy","agents_registered":6,"agents_loaded":0,"lazy_loading":true,"timestamp":"2026-11-27T01:00:00Z"}`))
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}
