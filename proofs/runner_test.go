package proofs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/checks"
	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/harness/harnesstest"
)

// fakeStacks are n imitated stacks and, for each, which of the synthetic
// checks' components its fault has broken.
type fakeStacks struct {
	stacks []*harness.Stack
	mu     sync.Mutex
	broken map[*harness.Stack]map[string]bool
}

func newFakeStacks(t *testing.T, n int) *fakeStacks {
	fastPolls(t)
	f := &fakeStacks{broken: map[*harness.Stack]map[string]bool{}}
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	for range n {
		s := harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Genesis: ok})
		f.stacks = append(f.stacks, s)
		f.broken[s] = map[string]bool{}
	}
	return f
}

// fastPolls makes a row's waits 10 ms for t (polls): its checks answer in
// milliseconds. The runner's tests are serial tests, done before any Run on
// real stacks begins (those are parallel tests).
func fastPolls(t *testing.T) {
	old := polls
	polls.fail, polls.restore = 10*time.Millisecond, 10*time.Millisecond
	t.Cleanup(func() { polls = old })
}

func (f *fakeStacks) set(s *harness.Stack, part string, on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.broken[s][part] = on
}

func (f *fakeStacks) is(s *harness.Stack, part string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.broken[s][part]
}

// runnerCheck is a synthetic check of one part, judged by run; the
// runner's tests tell their checks apart by name and Alone alone.
func runnerCheck(part string, alone bool, run func(context.Context, *harness.Stack) error) checks.Check {
	return checks.Check{Group: "TestRunner", Name: part, Component: harness.Genesis, Part: harness.PartA, Alone: alone, Run: run}
}

// check is a synthetic check of one part: it fails, saying so, where that
// part is broken. It takes a few milliseconds, as checks take time.
func (f *fakeStacks) check(part string, alone bool, during func()) checks.Check {
	return runnerCheck(part, alone, func(_ context.Context, s *harness.Stack) error {
		if during != nil {
			during()
		}
		time.Sleep(5 * time.Millisecond)
		if f.is(s, part) {
			return fmt.Errorf("%s is down", part)
		}
		return nil
	})
}

// breaks is a row that breaks one part of the stack it runs on.
func (f *fakeStacks) breaks(name, part string) Fault {
	return Fault{Name: name, Fails: []string{"TestRunner/" + part}, Says: map[string]string{"TestRunner/" + part: part + " is down"}, Settle: 2 * time.Second,
		Action: Action{Touches: []harness.Component{harness.Genesis},
			Apply:   func(_ context.Context, s *harness.Stack) error { f.set(s, part, true); return nil },
			Restore: func(_ context.Context, s *harness.Stack) error { f.set(s, part, false); return nil }}}
}

// cellsOf is a Run's cells, row by row in the table's order.
func cellsOf(r Result) []map[string]Cell {
	var out []map[string]Cell
	for _, row := range r.Rows {
		out = append(out, row.Cells)
	}
	return out
}

// TestRunOverStacksKeepsTheTable: the rows spread over three stacks give
// the cells, the order and the indices they give on one.
func TestRunOverStacksKeepsTheTable(t *testing.T) {
	one, three := newFakeStacks(t, 1), newFakeStacks(t, 3)
	rows := func(f *fakeStacks) ([]checks.Check, []Fault) {
		cs := []checks.Check{f.check("a", false, nil), f.check("b", false, nil), f.check("timer", true, nil)}
		var faults []Fault
		for i := range 9 {
			faults = append(faults, f.breaks(fmt.Sprintf("row%d", i), []string{"a", "b", "timer"}[i%3]))
		}
		return cs, faults
	}
	cs1, f1 := rows(one)
	cs3, f3 := rows(three)
	r1 := Run(context.Background(), one.stacks, nil, cs1, f1, t.Logf)
	r3 := Run(context.Background(), three.stacks, nil, cs3, f3, t.Logf)
	require.Len(t, r3.Rows, 9)
	require.Len(t, r3.Baselines, 3)
	for _, r := range []Result{r1, r3} {
		for i, row := range r.Rows {
			assert.Equal(t, i, row.Index, "row %s in the table's place %d", row.Fault.Name, i)
		}
	}
	if d := cmp.Diff(cellsOf(r1), cellsOf(r3)); d != "" {
		t.Errorf("cells on three stacks differ from one stack's (-one +three):\n%s", d)
	}
	assert.Equal(t, 9, r3.Counts()[FailedAsExpected])
	assert.Empty(t, r3.Problems())
}

// TestRunOverStacksTakesALateStack: stacks that join a Run under way take
// rows beside the first and the table is the one stack's table; one that
// is not ready before every row is taken is called off, and the Run ends
// without it; one that fails to start is the Run's problem; a Run too short
// for one to join starts none.
func TestRunOverStacksTakesALateStack(t *testing.T) {
	rows := func(f *fakeStacks, n int) ([]checks.Check, []Fault) {
		cs := []checks.Check{f.check("a", false, nil), f.check("b", false, nil)}
		var faults []Fault
		for i := range n {
			faults = append(faults, f.breaks(fmt.Sprintf("row%d", i), []string{"a", "b"}[i%2]))
		}
		return cs, faults
	}
	ready := func(s *harness.Stack) Late {
		return func(context.Context) (*harness.Stack, error) { return s, nil }
	}
	one, three := newFakeStacks(t, 1), newFakeStacks(t, 3)
	n := 4 * lateRowsLeft
	cs1, f1 := rows(one, n)
	cs3, f3 := rows(three, n)
	var mu sync.Mutex
	ran := map[*harness.Stack]int{}
	for i := range f3 {
		apply := f3[i].Apply
		f3[i].Apply = func(ctx context.Context, s *harness.Stack) error {
			mu.Lock()
			ran[s]++
			mu.Unlock()
			time.Sleep(time.Millisecond) // a row takes a while: every stack ready gets some
			return apply(ctx, s)
		}
	}
	r1 := Run(context.Background(), one.stacks, nil, cs1, f1, t.Logf)
	joined := Run(context.Background(), three.stacks[:1], []Late{ready(three.stacks[1]), ready(three.stacks[2])}, cs3, f3, t.Logf)
	require.Len(t, joined.Baselines, 3, "the late stacks' healthy verdicts are in the result")
	require.Len(t, joined.Rows, n)
	for _, s := range three.stacks[1:] {
		assert.Positive(t, ran[s], "each late stack took rows (rows by stack: %v)", ran)
	}
	if d := cmp.Diff(cellsOf(r1), cellsOf(joined)); d != "" {
		t.Errorf("cells with late stacks differ from one stack's (-one +late):\n%s", d)
	}
	assert.Empty(t, joined.Problems())

	never, calledOff := newFakeStacks(t, 1), make(chan error, 1)
	cs, faults := rows(never, lateRowsLeft)
	res := Run(context.Background(), never.stacks, []Late{func(ctx context.Context) (*harness.Stack, error) {
		select {
		case <-ctx.Done():
			calledOff <- ctx.Err()
		case <-time.After(time.Minute):
			calledOff <- errors.New("not called off a minute after the Run began")
		}
		return nil, errors.New("no stack")
	}}, cs, faults, t.Logf)
	require.Len(t, res.Rows, lateRowsLeft)
	assert.Len(t, res.Baselines, 1)
	assert.ErrorIs(t, <-calledOff, context.Canceled, "the late start is called off once every row is taken")
	assert.Empty(t, res.Problems(), "a start called off is no problem")

	broken := newFakeStacks(t, 1)
	cs, faults = rows(broken, lateRowsLeft)
	for i := range faults {
		apply := faults[i].Apply
		faults[i].Apply = func(ctx context.Context, s *harness.Stack) error {
			time.Sleep(20 * time.Millisecond) // rows still untaken when the start fails
			return apply(ctx, s)
		}
	}
	res = Run(context.Background(), broken.stacks, []Late{func(context.Context) (*harness.Stack, error) {
		return nil, errors.New("prometheus did not answer within 60s")
	}}, cs, faults, t.Logf)
	require.Len(t, res.Rows, lateRowsLeft, "the stacks under way ran every row")
	assert.Equal(t, []string{"could not start: stack to join 1 of 1: prometheus did not answer within 60s"}, res.Problems())

	few := newFakeStacks(t, 1)
	cs, faults = rows(few, lateRowsLeft-1)
	var started atomic.Bool
	res = Run(context.Background(), few.stacks, []Late{func(context.Context) (*harness.Stack, error) {
		started.Store(true)
		return nil, errors.New("no stack")
	}}, cs, faults, t.Logf)
	require.Len(t, res.Rows, lateRowsLeft-1)
	assert.False(t, started.Load(), "a Run of fewer rows than a late stack needs to join starts none")
}

// TestRunOverStacksGoesOnWithoutABrokenStack: a stack whose row cannot be
// restored stops, the others run every row left, and the table says so.
func TestRunOverStacksGoesOnWithoutABrokenStack(t *testing.T) {
	f := newFakeStacks(t, 3)
	cs := []checks.Check{f.check("a", false, nil), f.check("b", false, nil)}
	var faults []Fault
	for i := range 9 {
		faults = append(faults, f.breaks(fmt.Sprintf("row%d", i), []string{"a", "b"}[i%2]))
	}
	stuck := &faults[2]
	stuck.Restore = func(context.Context, *harness.Stack) error { return errors.New("the knob does not turn back") }
	res := Run(context.Background(), f.stacks, nil, cs, faults, t.Logf)
	require.Len(t, res.Rows, 9, "every row run, by the stacks left")
	for i, row := range res.Rows {
		var re *RestoreError
		assert.Equal(t, i == 2, errors.As(row.Err, &re), "row %s: %v", row.Fault.Name, row.Err)
	}
	assert.Contains(t, res.Problems(), "fault row2: restore: the knob does not turn back")
}

// TestRunOverStacksNamesTheRowsNoStackRan: when every stack has stopped on
// a row it could not restore, the rows left are named as not run, never
// dropped from the table in silence.
func TestRunOverStacksNamesTheRowsNoStackRan(t *testing.T) {
	f := newFakeStacks(t, 2)
	cs := []checks.Check{f.check("a", false, nil)}
	var faults []Fault
	for i := range 5 {
		row := f.breaks(fmt.Sprintf("row%d", i), "a")
		row.Restore = func(context.Context, *harness.Stack) error { return errors.New("stuck") }
		faults = append(faults, row)
	}
	res := Run(context.Background(), f.stacks, nil, cs, faults, t.Logf)
	require.Len(t, res.Rows, 2, "each stack stops on its first row")
	require.Len(t, res.Unrun, 3)
	assert.Contains(t, res.Problems(), "3 rows not run, every stack having stopped on a row it could not restore: "+strings.Join(res.Unrun, ", "))
}

// TestRunOverStacksRefusesUnlikeStacks: two stacks whose healthy verdicts
// differ were not alike, and the rows of each were judged against another
// healthy stack: the run says so.
func TestRunOverStacksRefusesUnlikeStacks(t *testing.T) {
	f := newFakeStacks(t, 2)
	f.set(f.stacks[1], "a", true) // broken before the run: its healthy verdict is FAIL
	res := Run(context.Background(), f.stacks, nil, []checks.Check{f.check("a", false, nil)}, nil, t.Logf)
	assert.Contains(t, res.Problems(), "healthy stacks disagree: TestRunner/a is PASS on stack 1 and FAIL on stack 2: a is down")
}

// TestTimingChecksMeasureAgainAlone: a timing check that fails beside
// the other stacks' checks where it should pass is measured again with
// every other stack waiting, and that measurement is its verdict: here a
// timer that fails whenever another check runs while it measures keeps its healthy
// verdict in every row that does not break it, and still fails, for its
// reason, in every row that does.
func TestTimingChecksMeasureAgainAlone(t *testing.T) {
	f := newFakeStacks(t, 3)
	var others atomic.Int32
	other := func() {
		others.Add(1)
		defer others.Add(-1)
		time.Sleep(20 * time.Millisecond)
	}
	timer := runnerCheck("timer", true, func(_ context.Context, s *harness.Stack) error {
		busy := others.Load() > 0
		time.Sleep(20 * time.Millisecond)
		switch {
		case f.is(s, "timer"):
			return errors.New("timer is down")
		case busy || others.Load() > 0:
			return errors.New("slow: measured beside other checks")
		}
		return nil
	})
	cs := []checks.Check{f.check("a", false, other), f.check("b", false, other), timer}
	var faults []Fault
	for i := range 12 {
		faults = append(faults, f.breaks(fmt.Sprintf("row%d", i), []string{"a", "timer", "b"}[i%3]))
	}
	res := Run(context.Background(), f.stacks, nil, cs, faults, t.Logf)
	assert.Empty(t, res.Problems())
	assert.Equal(t, 12, res.Counts()[FailedAsExpected])
	t.Logf("measured again: %q", res.MeasuredAgain)
}

// TestHealthyVerdictsMeasureAgainAlone: a check that FAILs on the healthy
// stack beside the others' start (here: its first evaluation on each
// stack, as a query with no answer within its deadline while three stacks
// start at once) is measured again alone before it becomes the verdict
// every row is judged against; without that its later PASSes would all be
// false alarms. A check the healthy stack fails alone too keeps its FAIL.
func TestHealthyVerdictsMeasureAgainAlone(t *testing.T) {
	f := newFakeStacks(t, 3)
	var mu sync.Mutex
	seen := map[*harness.Stack]bool{}
	startled := runnerCheck("startled", false, func(_ context.Context, s *harness.Stack) error {
		mu.Lock()
		first := !seen[s]
		seen[s] = true
		mu.Unlock()
		if first {
			return errors.New("no answer within its deadline")
		}
		if f.is(s, "startled") {
			return errors.New("startled is down")
		}
		return nil
	})
	cs := []checks.Check{f.check("a", false, nil), startled}
	var faults []Fault
	for i := range 6 {
		faults = append(faults, f.breaks(fmt.Sprintf("row%d", i), []string{"a", "startled"}[i%2]))
	}
	res := Run(context.Background(), f.stacks, nil, cs, faults, t.Logf)
	assert.Empty(t, res.Problems())
	assert.Equal(t, 6, res.Counts()[FailedAsExpected])
	for k, b := range res.Baselines {
		assert.Equal(t, checks.Pass, b["TestRunner/startled"].Outcome, "stack %d's healthy verdict", k+1)
	}
	var again int
	for _, s := range res.MeasuredAgain {
		if strings.HasPrefix(s, "TestRunner/startled in the healthy stack: FAIL, then PASS; first it saw no answer within its deadline") {
			again++
		}
	}
	assert.Equal(t, 3, again, "each stack's healthy FAIL measured again and listed: %q", res.MeasuredAgain)
}

// TestChecksFailingForAnotherReasonMeasureAgainAlone: a check a row
// breaks that fails beside the others for another reason than the row's
// (here: its first evaluation under each fault says "slow", as a timer on
// its budget or a query on its deadline would) is measured again alone,
// and that verdict, for the row's reason, is its cell: a timing check and
// a check that times nothing alike.
func TestChecksFailingForAnotherReasonMeasureAgainAlone(t *testing.T) {
	f := newFakeStacks(t, 3)
	var mu sync.Mutex
	saidSlow := map[string]bool{}
	slowFirst := func(part string, alone bool) checks.Check {
		return runnerCheck(part, alone, func(_ context.Context, s *harness.Stack) error {
			if !f.is(s, part) {
				return nil
			}
			mu.Lock()
			defer mu.Unlock()
			k := fmt.Sprintf("%p %s", s, part)
			saidSlow[k] = !saidSlow[k]
			if saidSlow[k] {
				return errors.New("slow: over its deadline beside other checks")
			}
			return errors.New(part + " is down")
		})
	}
	var faults []Fault
	for i := range 6 {
		faults = append(faults, f.breaks(fmt.Sprintf("row%d", i), []string{"timer", "prober"}[i%2]))
	}
	res := Run(context.Background(), f.stacks, nil, []checks.Check{f.check("a", false, nil), slowFirst("timer", true), slowFirst("prober", false)}, faults, t.Logf)
	assert.Empty(t, res.Problems())
	assert.Equal(t, 6, res.Counts()[FailedAsExpected])
	assert.Len(t, res.MeasuredAgain, 6, "%q", res.MeasuredAgain)
}

// TestFalseAlarmsMeasureAgainAlone: a check a row does not name that fails
// beside the other stacks' checks (here: every other evaluation, as a
// query with no answer within its deadline on a loaded machine) is
// measured again alone, with the fault in place, and keeps its healthy
// verdict where it then passes. A fault that does reach it (row leak,
// which names only a) fails it alone too: that false alarm stays.
func TestFalseAlarmsMeasureAgainAlone(t *testing.T) {
	f := newFakeStacks(t, 3)
	var mu sync.Mutex
	lost := map[*harness.Stack]bool{}
	victim := runnerCheck("victim", false, func(_ context.Context, s *harness.Stack) error {
		if f.is(s, "victim") {
			return errors.New("victim is down")
		}
		mu.Lock()
		defer mu.Unlock()
		lost[s] = !lost[s]
		if lost[s] {
			return errors.New("no answer within its deadline")
		}
		return nil
	})
	var faults []Fault
	for i := range 6 {
		faults = append(faults, f.breaks(fmt.Sprintf("row%d", i), []string{"a", "victim"}[i%2]))
	}
	leak := f.breaks("leak", "a")
	apply, restore := leak.Apply, leak.Restore
	leak.Apply = func(ctx context.Context, s *harness.Stack) error { f.set(s, "victim", true); return apply(ctx, s) }
	leak.Restore = func(ctx context.Context, s *harness.Stack) error { f.set(s, "victim", false); return restore(ctx, s) }
	faults = append(faults, leak)
	res := Run(context.Background(), f.stacks, nil, []checks.Check{f.check("a", false, nil), victim}, faults, t.Logf)
	assert.Equal(t, []string{"FALSE ALARM: TestRunner/victim under fault leak: FAIL: victim is down"}, res.Problems())
	assert.Equal(t, 7, res.Counts()[FailedAsExpected])
	var rows int
	for _, s := range res.MeasuredAgain {
		if strings.HasPrefix(s, "TestRunner/victim in fault row") && strings.Contains(s, "FAIL, then PASS; first it saw no answer within its deadline") {
			rows++
		}
	}
	assert.Positive(t, rows, "a false alarm of a row measured again and listed: %q", res.MeasuredAgain)
}

// TestLongRowsGoFirst: the stacks take the rows that wait for a stable
// period first, then those that stop a container, then the rest in the
// matrix's order, and the table keeps the matrix's order.
func TestLongRowsGoFirst(t *testing.T) {
	rows := []Fault{
		{Name: "knob"},
		{Name: "stopped", Action: Action{Touches: []harness.Component{harness.Jaeger, harness.Containers}}},
		{Name: "knob2"},
		{Name: "reload", Stable: 8 * time.Second},
	}
	assert.Equal(t, []int{3, 1, 0, 2}, longFirst(rows))

	f := newFakeStacks(t, 1)
	cs := []checks.Check{f.check("a", false, nil)}
	faults := []Fault{f.breaks("row0", "a"), f.breaks("row1", "a")}
	faults[1].Stable = time.Millisecond
	var took []string
	for i := range faults {
		apply, name := faults[i].Apply, faults[i].Name
		faults[i].Apply = func(ctx context.Context, s *harness.Stack) error {
			took = append(took, name)
			return apply(ctx, s)
		}
	}
	res := Run(context.Background(), f.stacks, nil, cs, faults, t.Logf)
	assert.Equal(t, []string{"row1", "row0"}, took, "the row with a stable period ran first")
	require.Len(t, res.Rows, 2)
	assert.Equal(t, "row0", res.Rows[0].Fault.Name, "the table keeps the matrix's order")
}

// TestRestartedPrometheusWaitsForGoodScrapes: a Prometheus restarted by a
// row is restored once every target it lists was scraped with success
// (scrapedUp), not when it answers: until then its scrape loops would mark
// nothing stale under the next row's fault. A target that stays down is a
// restore that failed, with the target and its error named.
func TestRestartedPrometheusWaitsForGoodScrapes(t *testing.T) {
	targets := func(calls *atomic.Int32, goodAfter int32) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/api/v1/targets" {
				http.NotFound(w, r)
				return
			}
			genesis, lastError := "unknown", ""
			if n := calls.Add(1); n > goodAfter {
				genesis = "up"
			} else if n > 1 {
				genesis, lastError = "down", "server returned HTTP status 500"
			}
			harnesstest.WriteJSON(w, 200, map[string]any{"status": "success", "data": map[string]any{"activeTargets": []map[string]any{
				{"scrapeUrl": "http://node-exporter:9100/metrics", "health": "up", "lastError": ""},
				{"scrapeUrl": "http://genesis:8080/metrics", "health": genesis, "lastError": lastError},
			}, "droppedTargets": []any{}}})
		})
	}
	var calls atomic.Int32
	s := harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Prometheus: targets(&calls, 3)})
	require.NoError(t, scrapedUp(context.Background(), s, 10*time.Second))
	assert.Equal(t, int32(4), calls.Load(), "asked until every target was up")

	var never atomic.Int32
	s = harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Prometheus: targets(&never, 1<<30)})
	err := scrapedUp(context.Background(), s, 1200*time.Millisecond)
	require.Error(t, err)
	assert.Contains(t, err.Error(), fmt.Sprintf("target %s is %q (last error %q)", "http://genesis:8080/metrics", "down", "server returned HTTP status 500"))
}
