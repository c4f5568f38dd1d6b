package checks

import (
	"context"
	"errors"
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

// busyHost is a suite host whose CPU is as busy as the test says, from the
// last reading to this one; the route counter lets it say "during the
// first measurement".
type busyHost struct {
	mu        sync.Mutex
	now       harness.HostCPU
	saturated func(routes int) bool // nil: the host cannot be read
	routes    *routeCounter
}

func (h *busyHost) read() (harness.HostCPU, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.saturated == nil {
		return harness.HostCPU{}, errors.New("no /proc/stat")
	}
	h.now.Total += 1000
	if h.saturated(h.routes.n()) {
		h.now.Busy += 970
	} else {
		h.now.Busy += 300
	}
	return h.now, nil
}

// routeCounter wraps the staging imitation: it counts the routings and
// delays those slow says, by their number (1 is the first).
type routeCounter struct {
	mu    sync.Mutex
	count int
	next  http.Handler
	slow  func(i int) bool
}

func (r *routeCounter) n() int { r.mu.Lock(); defer r.mu.Unlock(); return r.count }

func (r *routeCounter) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path == "/orchestrate/route" {
		r.mu.Lock()
		r.count++
		i := r.count
		r.mu.Unlock()
		if r.slow(i) {
			time.Sleep(130 * time.Millisecond) // over HALO's 100 ms
		}
	}
	r.next.ServeHTTP(w, req)
}

// TestBudgetOnASaturatedHost: a budget missed while the suite's host was
// saturated is measured again once the host calms; it is judged on a
// measurement with room, or NOT JUDGED (ErrHostSaturated) when every one
// ran saturated. A miss with room, a miss where no request was within the
// budget, and a miss on a host that cannot be read stay FAILs.
func TestBudgetOnASaturatedHost(t *testing.T) {
	const id = "TestPerformanceBaseline/halo_p95"
	oldSampling, oldRead, oldWait, oldWindow := BudgetSampling, readHostCPU, calmWait, calmWindow
	t.Cleanup(func() { BudgetSampling, readHostCPU, calmWait, calmWindow = oldSampling, oldRead, oldWait, oldWindow })
	// 20 timed routings a measurement: two slow ones (a tenth) put the
	// P95 (the 19th) over the budget, while most are within it.
	const n = 20
	BudgetSampling = harness.Sampling{Warmup: 0, Samples: n, MaxDuration: 20 * time.Second}
	calmWait, calmWindow = 50*time.Millisecond, 5*time.Millisecond
	tail := func(i int) bool { return i%10 == 0 }
	// perf.Ops routes once before the timed requests: the first
	// measurement is routings 2 to n+1.
	firstOnly := func(f func(int) bool) func(int) bool { return func(i int) bool { return i <= n+1 && f(i) } }
	always := func(int) bool { return true }

	run := func(slow func(int) bool, saturated func(routes int) bool) (Verdict, int) {
		t.Helper()
		rc := &routeCounter{next: newStagingImitation(), slow: slow}
		h := &busyHost{routes: rc, saturated: saturated}
		readHostCPU = h.read
		v := evaluateWith(t, rc, id, nil)
		return v, rc.n()
	}

	// The tail came from the busy host: measured again with room, PASS,
	// and the run's log says what the first measurement saw.
	v, routes := run(firstOnly(tail), firstOnly(always))
	requirePass(t, v)
	assert.Equal(t, 1+2*n, routes, "measured twice")
	require.NotEmpty(t, v.Notes)
	assert.Contains(t, v.Notes[len(v.Notes)-1], "halo measured again: FAIL p(95)<100ms")
	assert.Contains(t, v.Notes[len(v.Notes)-1], "the suite's host 97% busy")

	// The same tail with room on the second measurement: the service's.
	v, routes = run(tail, firstOnly(always))
	requireFail(t, v, "p(95)<100ms", "the suite's host 30% busy", "measured again after FAIL p(95)<100ms", "the suite's host 97% busy")
	assert.Equal(t, 1+2*n, routes)

	// Saturated every time: NOT JUDGED, with the cause a runner acts on.
	v, routes = run(tail, always)
	require.Equal(t, NotJudged, v.Outcome, "%v", v.Err)
	assert.True(t, errors.Is(v.Err, ErrHostSaturated), "%v", v.Err)
	assert.Contains(t, v.Err.Error(), "at least 90% busy during each of 3 measurements")
	assert.Regexp(t, `at http://127\.0\.0\.1:\d+/orchestrate/route could not be judged`, v.Err.Error())
	assert.Equal(t, 1+budgetTries*n, routes, "measured budgetTries times, no more")

	// A miss with room is the service's at once.
	v, routes = run(tail, func(int) bool { return false })
	requireFail(t, v, "p(95)<100ms", "the suite's host 30% busy")
	assert.NotContains(t, v.Err.Error(), "measured again")
	assert.Equal(t, 1+n, routes)

	// No request within the budget: a busy host delays some requests, not
	// every one, so it is the service's at once.
	v, routes = run(always, always)
	requireFail(t, v, "p(95)<100ms", "the suite's host 97% busy")
	assert.LessOrEqual(t, routes, 1+n, "one measurement (cut short by the check's deadline)")

	// A host that cannot be read is no excuse.
	v, routes = run(tail, nil)
	requireFail(t, v, "p(95)<100ms", "the suite's host's CPU not readable")
	assert.Equal(t, 1+n, routes)
}

// TestBudgetTriesAgainOnlyWithTime: a check whose deadline leaves no room
// for another measurement ends with what it has (NOT JUDGED here).
func TestBudgetTriesAgainOnlyWithTime(t *testing.T) {
	m := budgetTry{took: 10 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Second)
	defer cancel()
	assert.False(t, m.canTryAgain(ctx, 1), "10 s a measurement, 12 s left")
	assert.True(t, m.canTryAgain(context.Background(), budgetTries-1))
	assert.False(t, m.canTryAgain(context.Background(), budgetTries))
}
