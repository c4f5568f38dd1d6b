package checks

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/smokestack-dev/smokestack/harness"
)

// lineHealthUnderLoad is the checklist's service-health line, held to the
// health budget while agents load: the real service loads agents on its
// event loop, and its /health took 4.75 s during one load.
const lineHealthUnderLoad = `1. Service Health: A2A /health {"status":"healthy"} — within the health budget (SMOKE_HEALTH_BUDGET) at P95, also while agents load`

// checkHealthP95 loads the agents the target has not loaded yet, so it is a
// mutation: on a live target it needs SMOKE_ALLOW_MUTATION=1.
var checkHealthP95 = Check{Group: "TestPerformanceBaseline", Name: "health_p95", Component: harness.Genesis, Part: harness.PartA,
	Line: lineHealthUnderLoad, Mutates: true, Run: probed(healthP95)}

// HealthSampling bounds health_p95: at least 30 samples, enough for a P95
// that is not one request's luck, and more while loads last; 15 s bounds it
// when every sample waits for a load.
var HealthSampling = harness.Sampling{Samples: 30, MaxDuration: 15 * time.Second}

// healthSampleGap spaces the samples taken while loads last, so a fast
// /health is asked a few hundred times at most, not thousands.
const healthSampleGap = 20 * time.Millisecond

// sampleHealthWhileLoading times fn at least sp.Samples times and goes on
// while loading says loads are in flight, all within sp.MaxDuration and ctx.
// It stops early when time runs out and says so; the caller judges what was
// recorded.
func sampleHealthWhileLoading(ctx context.Context, sp harness.Sampling, loading *atomic.Bool, fn func() error) (*harness.Latencies, error) {
	ctx, cancel := context.WithTimeout(ctx, sp.MaxDuration)
	defer cancel()
	l := harness.NewLatencies()
	for n := 0; n < sp.Samples || loading.Load(); n++ {
		if n > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(healthSampleGap):
			}
		}
		if ctx.Err() != nil {
			return l, fmt.Errorf("sampling stopped after %d requests: %w", n, ctx.Err())
		}
		t0 := time.Now()
		if err := fn(); err != nil {
			l.Fail(err)
			continue
		}
		l.Record(time.Since(t0))
	}
	return l, nil
}

// healthP95 samples GET /health while, beside it, every agent the target has
// not loaded yet is loaded (one NAME.<no such tool> call each: it loads the
// agent and executes nothing). A /health that waits for a load shows here
// and nowhere else: a2a_health asks once, on an idle service. A lazy
// service with nothing left to load cannot show it: NOT JUDGED, unless
// even its idle /health is over budget. An eager one (lazy_loading false)
// loads only at start-up, so its idle /health is the whole judgement.
func healthP95(ctx context.Context, p probe) error {
	s := p.s
	limit := s.Config().Timeouts.Health
	budget := harness.Budget{Source: fmt.Sprintf("p(95)<%s", limit), Percentile: 95, Limit: limit}
	want := fmt.Sprintf("GET /health healthy with %s (%s) over %d samples while the agents not yet loaded load",
		budget.Source, harness.Env.HealthBudget, HealthSampling.Samples)
	aRep, err := harness.Done(p.g.Agents(ctx))
	if err != nil {
		return p.requestFailed("/a2a/agents", want, err)
	}
	a := aRep.Data
	var toLoad []string
	for _, n := range a.RegisteredAgents {
		if !slices.Contains(a.LoadedAgents, n) {
			toLoad = append(toLoad, n)
		}
	}

	loadCtx, stopLoads := context.WithCancel(ctx)
	defer stopLoads()
	var loading atomic.Bool
	loading.Store(len(toLoad) > 0)
	loadsDone := make(chan int, 1)
	go func() {
		defer loading.Store(false)
		sent := 0
		for _, name := range toLoad {
			if loadCtx.Err() != nil {
				break
			}
			// Whether the agent loads is agents_loadable's question; here
			// only the load's effect on /health is judged.
			_, _ = p.g.Invoke(loadCtx, harness.InvokeRequest{Tool: name + "." + loadProbeTool, Arguments: map[string]any{}})
			sent++
		}
		loadsDone <- sent
	}()

	sp := HealthSampling
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl) * 2 / 3; left < sp.MaxDuration {
			sp.MaxDuration = left
		}
	}
	var during int
	var m budgetTry
	m.hostAround(func() {
		m.l, m.serr = sampleHealthWhileLoading(ctx, sp, &loading, func() error {
			busy := loading.Load()
			rep, err := p.g.Health(ctx)
			switch {
			case err != nil:
				return err
			case rep.Resp.Status != http.StatusOK || rep.Data.Status != "healthy":
				return fmt.Errorf("status %d and status %q", rep.Resp.Status, rep.Data.Status)
			}
			if busy {
				during++
			}
			return nil
		})
	})
	// The loads it started are finished (or the check's deadline ends
	// them), so the target is left loaded rather than mid-load.
	sent := <-loadsDone
	l, serr := m.l, m.serr
	if l == nil {
		return p.fail("/health", want, "no measurement", serr)
	}
	v := budget.Judge(l)
	m.v = v
	got := fmt.Sprintf("%s; %d of those samples taken while %d of %d agents were sent to load", v, during, sent, len(toLoad))
	switch {
	case m.saturatedMiss():
		// See performance_baseline_host.go: a miss the suite's busy host
		// may have made is not the service's.
		return hostSaturated(p.base+"/health", want, []budgetTry{m},
			"a second would find loaded the agents this one loaded, and time an idle /health",
			"first after the service starts: go test ./staging -run TestPerformanceBaseline/health_p95")
	case !v.Met:
		return p.fail("/health", want, got, fmt.Errorf("%s%s; look in the service's log for agent loads holding the server", l.Summary(), m.host()))
	case serr != nil && v.Samples < minBudgetSamples:
		return p.fail("/health", want, fmt.Sprintf("%s (only %d samples: %v)", got, v.Samples, serr), fmt.Errorf("%s", l.Summary()))
	case len(toLoad) == 0 && a.LazyLoading != nil && *a.LazyLoading:
		// A lazy service loads agents again after every restart; that its
		// /health is quick once all are loaded says nothing about then.
		return CannotJudge("the service loads agents lazily (lazy_loading true) but all %d registered agents were already loaded, so /health could not be timed while one loads (idle: %s): "+
			"this run's agents_loadable, earlier traffic or an earlier run loaded them; run it first after the service starts: go test ./staging -run TestPerformanceBaseline/health_p95",
			len(a.RegisteredAgents), v)
	}
	return nil
}
