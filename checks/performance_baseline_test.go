package checks

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/harness/harnesstest"
)

func TestBudgetChecks(t *testing.T) {
	v := evaluateWith(t, newStagingImitation(), "TestPerformanceBaseline/halo_p95", nil)
	requirePass(t, v)

	g := newStagingImitation()
	g.routeDelay = 120 * time.Millisecond
	s := imitateGenesis(t, g, map[string]string{harness.Env.CheckTimeout: "3s"})
	v = Evaluate(context.Background(), s, check(t, "TestPerformanceBaseline/halo_p95"))
	requireFail(t, v, "p(95)<100ms", "over the budget")

	g = newStagingImitation()
	g.noValidate = true
	v = evaluateWith(t, g, "TestPerformanceBaseline/aop_p95", nil)
	require.Contains(t, []Outcome{NotApplicable, NotJudged}, v.Outcome, "%v", v.Err)

	failing := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		harnesstest.WriteJSON(w, 500, harnesstest.APIError("INTERNAL_ERROR", "boom", "unknown", nil))
	})
	v = evaluateWith(t, failing, "TestPerformanceBaseline/htdag_p95", nil)
	requireFail(t, v, "status 500")
}

// TestBudgetFailsOnFailedRequests: a service that answers most requests
// fast but fails some never meets a budget.
func TestBudgetFailsOnFailedRequests(t *testing.T) {
	g := newStagingImitation()
	var n int
	var mu sync.Mutex
	flaky := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		k := n
		mu.Unlock()
		if r.URL.Path == "/orchestrate/decompose" && k > 10 && k%7 == 0 {
			harnesstest.WriteJSON(w, 503, harnesstest.APIError("SERVICE_UNAVAILABLE", "busy", "resource", nil))
			return
		}
		g.ServeHTTP(w, r)
	})
	v := evaluateWith(t, flaky, "TestPerformanceBaseline/htdag_p95", nil)
	requireFail(t, v, "requests failed")
}

func TestSystemResources(t *testing.T) {
	const id = "TestPerformanceBaseline/system_resources"
	run := func(values map[string]float64, extra map[string]string) Verdict {
		s := harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Prometheus: prometheusImitation(values, extra)})
		return Evaluate(context.Background(), s, check(t, id))
	}
	healthy := map[string]float64{"memory": 42, "CPU": 12.5, "disk": 70}
	v := run(healthy, nil)
	requirePass(t, v)

	for name, want := range map[string]string{"memory": "memory 80.0% >= 80%", "CPU": "CPU 95.0% >= 70%", "disk": "disk 85.0% >= 85%"} {
		bad := map[string]float64{}
		for k, x := range healthy {
			bad[k] = x
		}
		bad[name] = map[string]float64{"memory": 80, "CPU": 95, "disk": 85}[name]
		v = run(bad, nil)
		require.Equal(t, Fail, v.Outcome, name)
		assert.Contains(t, v.Err.Error(), want)
		assert.Contains(t, v.Err.Error(), `device="/dev/sda1"`)
	}

	// The rule is CPU < 70 % now (the last minute, what top shows): a host
	// busy over the last minute fails however idle it was since boot. The
	// since-boot share is evidence in the message, never an excuse.
	for _, boot := range []float64{20, 75} {
		v = run(map[string]float64{"memory": 10, "CPU": 95, "CPU sustained": boot, "disk": 10}, nil)
		require.Equal(t, Fail, v.Outcome, "95%% over the last minute, %g%% since boot: %v", boot, v.Err)
		assert.Contains(t, v.Err.Error(), "CPU 95.0% >= 70% over the last minute")
		assert.Contains(t, v.Err.Error(), fmt.Sprintf("(%.1f%% since boot)", boot))
	}
	// Just under the limit over the last minute passes, even on a host
	// A stack the suite started with smokestack up (SMOKE_STACK_RUN) runs
	// on the suite's own host: like an ephemeral stack, a busy last minute
	// with an idle since-boot share is the suite's own work.
	own := harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Prometheus: prometheusImitation(
		map[string]float64{"memory": 10, "CPU": 95, "CPU sustained": 20, "disk": 10}, nil)}, harnesstest.Env(map[string]string{"SMOKE_STACK_RUN": "1201-010412-c6d77c"}))
	v = Evaluate(context.Background(), own, check(t, id))
	requirePass(t, v)
	// A pass on an allowance says so in the run's log.
	require.Len(t, v.Notes, 1, "%q", v.Notes)
	assert.Contains(t, v.Notes[0], "CPU 95.0% >= 70% over the last minute")
	assert.Contains(t, v.Notes[0], "the stack's own share unknown")
	assert.Contains(t, v.Notes[0], "since boot under 70%: passed on that")
	own = harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Prometheus: prometheusImitation(
		map[string]float64{"memory": 10, "CPU": 95, "CPU sustained": 75, "disk": 10}, nil)}, harnesstest.Env(map[string]string{"SMOKE_STACK_RUN": "1201-010412-c6d77c"}))
	v = Evaluate(context.Background(), own, check(t, id))
	require.Equal(t, Fail, v.Outcome, "busy since boot too: %v", v.Err)

	// that was busy since boot: the judged value is the last minute's.
	v = run(map[string]float64{"memory": 10, "CPU": 69.9, "CPU sustained": 90, "disk": 10}, nil)
	requirePass(t, v)
	v = run(map[string]float64{"memory": 10, "CPU": 70, "CPU sustained": 10, "disk": 10}, nil)
	require.Equal(t, Fail, v.Outcome, "70 %% is not under 70 %%: %v", v.Err)
	assert.Contains(t, v.Err.Error(), "CPU 70.0% >= 70%")

	// No data is never a pass: memory absent, no real filesystem.
	v = run(map[string]float64{"memory": -1, "CPU": 10, "disk": 10}, nil)
	requireFail(t, v, "no data")
	v = run(map[string]float64{"memory": 10, "CPU": 10, "disk": -1}, nil)
	requireFail(t, v, "no real writable filesystem")

	// A value that is not a percentage, and an error envelope.
	v = run(map[string]float64{"memory": 10, "CPU": 10, "disk": 10}, map[string]string{"memory": `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"NaN"]}]}}`})
	requireFail(t, v, "not a percentage")
	v = run(healthy, map[string]string{"disk": `{"status":"error","errorType":"bad_data","error":"parse error"}`})
	requireFail(t, v)

	// A fresh stack without two CPU scrapes: the wait is bounded by the
	// check's deadline, and the verdict is "no data".
	start := time.Now()
	v = run(map[string]float64{"memory": 10, "CPU": -1, "disk": 10}, nil)
	requireFail(t, v, "node_cpu_seconds_total")
	assert.Less(t, time.Since(start), 5*time.Second)

	// Without Prometheus it is not applicable, saying how to include it.
	s := harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Genesis: newStagingImitation()})
	v = Evaluate(context.Background(), s, check(t, id))
	require.Equal(t, NotApplicable, v.Outcome, "%v", v.Err)
	assert.Contains(t, v.Err.Error(), harness.Env.PrometheusURL)
}

// TestDiskQuerySelectsRealFilesystems: the disk expression leaves out what
// node-exporter in a container reports besides the disk (tmpfs, overlay,
// pseudo filesystems) and read-only mounts, and guards the division.
func TestDiskQuerySelectsRealFilesystems(t *testing.T) {
	var disk string
	for _, l := range ResourceLimits {
		if l.Name == "disk" {
			disk = l.Query
		}
	}
	// PromQL anchors =~ and !~ at both ends, as ^(...)$ does here.
	m := regexp.MustCompile(`fstype!~"(.*)"$`).FindStringSubmatch(RealFilesystems)
	require.NotNil(t, m)
	excluded := regexp.MustCompile(`^(?:` + strings.ReplaceAll(m[1], `\\`, `\`) + `)$`)
	for _, fs := range []string{"tmpfs", "overlay", "squashfs", "devtmpfs", "nsfs", "cgroup2", "fuse.lxcfs"} {
		assert.True(t, excluded.MatchString(fs), fs)
	}
	for _, fs := range []string{"ext4", "xfs", "btrfs", "zfs", "nfs4", "vfat"} {
		assert.False(t, excluded.MatchString(fs), fs)
	}
	assert.Contains(t, disk, "node_filesystem_readonly == 1")
	assert.Contains(t, disk, "node_filesystem_size_bytes{"+RealFilesystems+"} > 0")
	_, err := url.ParseQuery("query=" + url.QueryEscape(disk))
	assert.NoError(t, err)
}

// prometheusImitation answers each resource query with a value (or an
// empty vector when the value is negative), and every other query empty.
func prometheusImitation(values map[string]float64, extra map[string]string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		q := r.Form.Get("query")
		for _, l := range ResourceLimits {
			if l.Sustained != "" && q == l.Sustained {
				v, ok := values[l.Name+" sustained"]
				if !ok {
					v = values[l.Name]
				}
				harnesstest.WriteJSON(w, 200, map[string]any{"status": "success", "data": map[string]any{"resultType": "vector",
					"result": []any{map[string]any{"metric": map[string]string{"instance": "node:9100"}, "value": []any{time.Now().Unix(), fmt.Sprint(v)}}}}})
				return
			}
			if q != l.Query {
				continue
			}
			if body, ok := extra[l.Name]; ok {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(body))
				return
			}
			v, ok := values[l.Name]
			if !ok || v < 0 {
				break
			}
			harnesstest.WriteJSON(w, 200, map[string]any{"status": "success", "data": map[string]any{"resultType": "vector",
				"result": []any{map[string]any{"metric": map[string]string{"instance": "node:9100", "device": "/dev/sda1", "fstype": "ext4"},
					"value": []any{time.Now().Unix(), fmt.Sprint(v)}}}}})
			return
		}
		harnesstest.WriteJSON(w, 200, map[string]any{"status": "success", "data": map[string]any{"resultType": "vector", "result": []any{}}})
	}
}
