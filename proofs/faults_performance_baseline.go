package proofs

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/smokestack-dev/smokestack/checks"
)

// stageBudgets are the stages' P95 checks: each decomposes, routes and
// validates requests of its own, so a broken decomposition fails all three.
var stageBudgets = []string{htdagP95, haloP95, aopP95}

// healthLatencyFaults prove the /health budget with the reference
// service's knobs for the real service's slow /health.
func healthLatencyFaults() []Fault {
	return []Fault{
		// The proofs run with SMOKE_HEALTH_BUDGET=300ms (TestMain).
		{Name: "a2a_health_slow", Does: "knob health_slow=500ms: /health answers healthy, after 500 ms (the proofs' health budget is 300 ms)",
			Action: Knob("health_slow=500ms"), Fails: []string{healthP95, a2aHealth},
			Says: map[string]string{a2aHealth: "a healthy answer after 5", healthP95: "is over the budget 300ms"}},
		{Name: "a2a_agent_load_time", Does: "knob agent_load_time=500ms: every agent unloaded; each load takes 500 ms and /health waits for it, as on the real service",
			Action: Knob("agent_load_time=500ms"), Fails: []string{healthP95}, Says: says("is over the budget 300ms", healthP95)},
	}
}

// stageLatencyFaults prove the stages' P95 budgets with the reference
// service's latency knobs at run time.
func stageLatencyFaults() []Fault {
	return []Fault{
		{Name: "latency_htdag", Does: "knob latency_htdag=300ms: every decomposition 300 ms slower",
			Action: Knob("latency_htdag=300ms"), Fails: []string{htdagP95}, Says: says("p(95)<200ms", htdagP95)},
		{Name: "tail_latency_htdag", Does: "knob tail_latency_htdag=20:300ms: a fifth of decompositions 300 ms slower (the mean stays under budget)",
			Action: Knob("tail_latency_htdag=20:300ms"), Fails: []string{htdagP95}, Says: says("over the budget", htdagP95)},
		{Name: "latency_halo", Does: "knob latency_halo=150ms: every routing 150 ms slower",
			Action: Knob("latency_halo=150ms"), Fails: []string{haloP95}, Says: says("p(95)<100ms", haloP95)},
		{Name: "latency_aop", Does: "knob latency_aop=80ms: every validation 80 ms slower",
			Action: Knob("latency_aop=80ms"), Fails: []string{aopP95}, Says: says("p(95)<50ms", aopP95)},
		{Name: "latency_histograms_random", Does: "knob latency_histograms_random: the stage histograms observe random 0-5 s durations, not the stages' time",
			Action: Knob("latency_histograms_random"), Fails: slices.Concat(stageBudgets, []string{obsIntegrated}),
			Says: merge(says("does not move with these requests' latency", stageBudgets...), says("a server cannot record more time than its client waited", obsIntegrated))},
	}
}

// hostResourceFaults prove system_resources with a tampering Prometheus
// answering the host's resource queries.
func hostResourceFaults() []Fault {
	return []Fault{
		{Name: "host_memory_95", Does: "tampering Prometheus: host memory 95 % used",
			Action: PrometheusAnswers(map[string]func() string{resourceQuery("memory"): percentVector(95, nil)}), Fails: []string{systemResources}, Says: says("memory 95.0% >= 80%", systemResources)},
		// As a production host: on the suite's own host the stack's own
		// containers (idle here) excuse a busy host; cpu_burn_at_start
		// (TestStartupFaults) proves that leg with a stack that burns.
		{Name: "host_cpu_95", Does: "tampering Prometheus: host CPU 95 % busy, judged as a deployment's own host",
			Action: PrometheusAnswers(map[string]func() string{resourceQuery("CPU"): percentVector(95, nil), sustainedQuery("CPU"): percentVector(90, nil)}), Elsewhere: true,
			Fails: []string{systemResources}, Says: says("CPU 95.0% >= 70%", systemResources)},
		{Name: "host_cpu_95_suite_host", Does: "tampering Prometheus: host CPU 95 % busy (90 % since boot) on the suite's own host, the stack's containers idle: the load is not the deployment's",
			Action: PrometheusAnswers(map[string]func() string{resourceQuery("CPU"): percentVector(95, nil), sustainedQuery("CPU"): percentVector(90, nil)}),
			Passes: []string{systemResources}},
		{Name: "host_disk_95", Does: "tampering Prometheus: the host's ext4 filesystem 95 % used",
			Action: PrometheusAnswers(map[string]func() string{resourceQuery("disk"): percentVector(95, map[string]string{"device": "/dev/vda", "fstype": "ext4"})}),
			Fails:  []string{systemResources}, Says: says("disk 95.0% >= 85%", systemResources)},
		{Name: "host_no_real_filesystem", Does: "tampering Prometheus: node-exporter reports no real filesystem (only tmpfs/overlay)",
			Action: PrometheusAnswers(map[string]func() string{resourceQuery("disk"): emptyVector}), Fails: []string{systemResources}, Says: says("no real writable filesystem", systemResources)},
		// The memory query is the "Memory used" panel's too: it shows no data.
		{Name: "host_memory_unknown", Does: "tampering Prometheus: no node memory series",
			Action: PrometheusAnswers(map[string]func() string{resourceQuery("memory"): emptyVector}), Fails: []string{systemResources, dashQueries},
			Says: merge(says("no data", systemResources), says(`panel "Memory used (limit 80 %)": no data`, dashQueries))},
	}
}

// resourceQuery is the PromQL of one of the checks' resource limits.
func resourceQuery(name string) string { return resourceLimit(name).Query }

// sustainedQuery is the long-run confirmation of a resource limit.
func sustainedQuery(name string) string { return resourceLimit(name).Sustained }

func resourceLimit(name string) checks.ResourceLimit {
	for _, l := range checks.ResourceLimits {
		if l.Name == name {
			return l
		}
	}
	panic("no resource limit " + name)
}

// percentVector is a one-series instant vector of value v for node-exporter.
func percentVector(v float64, labels map[string]string) func() string {
	return func() string {
		m := map[string]string{"instance": "node-exporter:9100"}
		for k, x := range labels {
			m[k] = x
		}
		metric, _ := json.Marshal(m)
		return fmt.Sprintf(`{"status":"success","data":{"resultType":"vector","result":[{"metric":%s,"value":[%d,"%g"]}]}}`,
			metric, time.Now().Unix(), v)
	}
}

// HostLoadFaults prove system_resources' leg for the suite's own host: a
// busy host fails only where the stack's own containers are the load. Each
// row burns the machine, so it runs after the fault matrix, when no other
// check runs beside it (own_host_test.go).
func HostLoadFaults() []StartupFault {
	return []StartupFault{
		{Name: "cpu_burn_at_start", Does: "knob cpu_burn from start-up: the reference service keeps every CPU of the machine busy; on the suite's own host the stack's own containers are the load",
			Faults: "cpu_burn=2m", Fails: []string{systemResources}, Says: says("containers used", systemResources)},
	}
}
