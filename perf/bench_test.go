package perf

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/smokestack-dev/smokestack/harness"
)

var stack *harness.Stack

func TestMain(m *testing.M) {
	flag.Parse()
	// Benchmarks only run with -bench; without it there is nothing here
	// that needs a stack, so none is started.
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		os.Exit(m.Run())
	}
	os.Exit(harness.Main(m, &stack))
}

func BenchmarkHTDAG(b *testing.B) { benchOp(b, "htdag") }
func BenchmarkHALO(b *testing.B)  { benchOp(b, "halo") }
func BenchmarkAOP(b *testing.B)   { benchOp(b, "aop") }

// benchOp times one request per iteration, one at a time (the budgets are
// per request, not under concurrency), and judges the P95 at the end.
func benchOp(b *testing.B, name string) {
	ctx := context.Background()
	ops, skipped, err := Ops(ctx, stack)
	if err != nil {
		b.Fatalf("perf %s: preparing the plan on %s failed: %v", name, stack.URL(harness.Genesis), err)
	}
	if reason, ok := skipped[name]; ok {
		b.Skip(reason)
	}
	var op Op
	for _, o := range ops {
		if o.Name == name {
			op = o
		}
	}
	// The service's own histogram of the stage, around the timed
	// requests, where the target serves /metrics (contract part C).
	profile, _ := stack.Profile()
	serverSide := profile.Serves(harness.PartC)
	scrape := func() map[string]*dto.MetricFamily {
		famsRep, err := harness.Done(stack.GenesisMetrics().Scrape(ctx, "/metrics"))
		if err != nil {
			b.Fatalf("perf %s: reading %s from %s/metrics: %v", name, op.Histogram, stack.URL(harness.Genesis), err)
		}
		fams := *famsRep.Data
		return fams
	}
	var before map[string]*dto.MetricFamily
	if serverSide {
		before = scrape()
	}
	l := harness.NewLatencies()
	sent := 0
	h0, herr := harness.ReadHostCPU()
	for b.Loop() {
		sent++
		t0 := time.Now()
		if err := op.Do(ctx); err != nil {
			l.Fail(err)
			continue
		}
		l.Record(time.Since(t0))
	}
	ms := func(p float64) float64 { return float64(l.Percentile(p)) / float64(time.Millisecond) }
	b.ReportMetric(ms(50), "p50-ms")
	b.ReportMetric(ms(95), "p95-ms")
	b.ReportMetric(ms(99), "p99-ms")
	// How busy the suite's host was: a P95 timed from a saturated host
	// holds its run queue too (checks.SaturatedHost; the staging checks
	// measure again there). A benchmark reports it beside the latencies.
	host := "the suite's host's CPU not readable"
	if h1, err := harness.ReadHostCPU(); herr == nil && err == nil {
		if busy, ok := h1.BusySince(h0); ok {
			b.ReportMetric(100*busy, "host-busy-%")
			host = fmt.Sprintf("the suite's host %.0f%% busy", 100*busy)
		}
	}
	v := op.Budget.Judge(l)
	b.Logf("%s on %s: %s (%s), %s", name, stack.URL(harness.Genesis), v, l.Summary(), host)
	if !v.Met {
		b.Errorf("perf %s on %s: want %s, got %s (%s), %s: where that is 90%% or more, run it again where the host has room",
			name, stack.URL(harness.Genesis), op.Budget.Source, v, l.Summary(), host)
	}
	if !serverSide {
		return
	}
	sv := op.JudgeServer(l.Percentile(95), before, scrape(), sent)
	b.ReportMetric(sv.Q.Value*1000, "server-p95-ms")
	if sv.Problem != "" {
		b.Errorf("perf %s on %s/metrics: want the server-side %s from %s agreeing with the client's, got %s; %s",
			name, stack.URL(harness.Genesis), op.Budget.Source, op.Histogram, sv.Problem, sv.Next)
	}
}
