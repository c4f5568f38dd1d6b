package checks

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/harness"
)

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
