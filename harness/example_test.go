package harness_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/harness/harnesstest"
)

// liveSettings is a lookup over fixed settings, in place of the
// environment: what SMOKE_TARGET=live SMOKE_A2A_URL=... would give.
func liveSettings(settings map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := settings[k]
		return v, ok
	}
}

// attachLive is ExampleAttach's two steps for the examples of what comes
// after them: it prints what went wrong instead, as ExampleAttach does, and
// gives nil then.
func attachLive(settings map[string]string) *harness.Stack {
	cfg, err := harness.LoadConfig(liveSettings(settings))
	if err != nil {
		fmt.Println("configuration:", err)
		return nil
	}
	s, err := harness.Attach(cfg)
	if err != nil {
		fmt.Println("attach:", err)
		return nil
	}
	return s
}

// A live target is attached by its URLs. Here the target is one Genesis
// (an httptest server), so SMOKE_REQUIRE names it alone: the components it
// leaves out are absent, and their checks will say why.
func ExampleAttach() {
	genesis := httptest.NewServer(harnesstest.Genesis(nil))
	defer genesis.Close()

	cfg, err := harness.LoadConfig(liveSettings(map[string]string{
		"SMOKE_TARGET":  "live",
		"SMOKE_A2A_URL": genesis.URL,
		"SMOKE_REQUIRE": "genesis",
	}))
	if err != nil {
		fmt.Println("configuration:", err)
		return
	}
	s, err := harness.Attach(cfg)
	if err != nil {
		fmt.Println("attach:", err)
		return
	}
	fmt.Println(s.Mode(), s.URL(harness.Genesis) == genesis.URL)
	fmt.Println(s.Absent(harness.Prometheus))
	// Output:
	// live true
	// Prometheus is not part of this live target: SMOKE_REQUIRE=genesis omits it and SMOKE_PROMETHEUS_URL is unset
}

// A live configuration that requires a component without its URL is
// refused before any check runs, naming what to set.
func ExampleLoadConfig() {
	_, err := harness.LoadConfig(liveSettings(map[string]string{
		"SMOKE_TARGET":  "live",
		"SMOKE_REQUIRE": "genesis,prometheus",
		"SMOKE_A2A_URL": "http://genesis.example:8080",
	}))
	fmt.Println(err)
	// Output:
	// required components without a URL: set SMOKE_PROMETHEUS_URL, or drop the component from SMOKE_REQUIRE (required now: genesis,prometheus, SMOKE_REQUIRE)
}

// Describe is the stack on one line, for a log: mode, each URL (secrets
// redacted) and what is absent.
func ExampleStack_Describe() {
	s := attachLive(map[string]string{
		"SMOKE_TARGET":         "live",
		"SMOKE_REQUIRE":        "genesis,prometheus",
		"SMOKE_A2A_URL":        "http://genesis.example:8080",
		"SMOKE_PROMETHEUS_URL": "https://ops:s3cret@prometheus.example:9090",
	})
	if s == nil {
		return
	}
	fmt.Println(s.URL(harness.Genesis))
	fmt.Println(s.Describe())
	// Output:
	// http://genesis.example:8080
	// live stack genesis=http://genesis.example:8080 prometheus=https://ops:REDACTED@prometheus.example:9090 alertmanager=absent node-exporter=absent grafana=absent llm-planner=absent jaeger=absent
}

// Every wait goes through Eventually: bounded, described, and stopped at
// once by an error no retry can fix.
func ExampleEventually() {
	tries := 0
	err := harness.Eventually(context.Background(), "genesis reports healthy", time.Second, time.Millisecond,
		func(context.Context) error {
			if tries++; tries < 3 {
				return errors.New("still starting")
			}
			return nil
		})
	fmt.Println(err, "after", tries, "tries")

	err = harness.Eventually(context.Background(), "genesis reports healthy", time.Second, time.Millisecond,
		func(context.Context) error { return harness.Permanent(errors.New("401: the API key is wrong")) })
	fmt.Println(err)
	// Output:
	// <nil> after 3 tries
	// 401: the API key is wrong
}

// Health returns a Reply: the decoded answer whatever its status, with the
// response (status, elapsed time, body) as evidence. Only a lost request
// or a body that does not decode is an error.
func ExampleGenesisClient_Health() {
	genesis := httptest.NewServer(harnesstest.Genesis(map[string]http.HandlerFunc{
		"GET /health": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"status":"unhealthy","agents_registered":15,"agents_loaded":0}`)
		},
	}))
	defer genesis.Close()
	s := attachLive(map[string]string{
		"SMOKE_TARGET": "live", "SMOKE_A2A_URL": genesis.URL, "SMOKE_REQUIRE": "genesis",
	})
	if s == nil {
		return
	}
	rep, err := s.Genesis().Health(context.Background())
	if err != nil {
		fmt.Println("health:", err)
		return
	}
	fmt.Println(rep.Resp.Status, rep.Data.Status, *rep.Data.AgentsRegistered)
	// Output:
	// 503 unhealthy 15
}

// Open gives the stack a configuration describes. In live mode it
// attaches and settles the target's profile (declared here; unset, it is
// discovered with three read-only requests); in ephemeral mode (the default) the same call starts
// the whole stack under Docker and waits until every component answers.
// The stack comes back even on error, so Close is deferred before the
// check.
func ExampleOpen() {
	genesis := httptest.NewServer(harnesstest.Genesis(nil))
	defer genesis.Close()
	cfg, err := harness.LoadConfig(liveSettings(map[string]string{
		"SMOKE_TARGET": "live", "SMOKE_A2A_URL": genesis.URL, "SMOKE_REQUIRE": "genesis", "SMOKE_PROFILE": "full",
	}))
	if err != nil {
		fmt.Println("configuration:", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeouts.Start)
	defer cancel()
	s, err := harness.Open(ctx, cfg)
	defer func() { _ = s.Close(context.Background()) }()
	if err != nil {
		fmt.Println("open:", err)
		return
	}
	profile, how := s.Profile()
	fmt.Println(profile)
	fmt.Println(how)
	// Output:
	// full
	// SMOKE_PROFILE=full
}
