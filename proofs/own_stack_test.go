package proofs

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/harness"
)

// ephemeralOnly skips a proof that starts, breaks or switches stacks: on a
// live target it would change a deployment the suite does not own. why is
// the skip's message.
func ephemeralOnly(t *testing.T, why string) {
	t.Helper()
	if stack.Mode() != harness.Ephemeral {
		t.Skip(why)
	}
}

// breakStack sets the shared stack's reference-service faults to spec and
// clears them when t ends, so that a failed proof leaves no fault behind
// for the tests after it.
func breakStack(t *testing.T, ctx context.Context, spec string) {
	t.Helper()
	_, err := harness.Done(stack.Genesis().SetFaults(ctx, spec))
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = stack.Genesis().SetFaults(context.Background(), "") })
}

// openOwnStack starts a stack of the test's own, for proofs that need one
// the package's shared stack cannot be (another surface, faults from the
// start, a window no other test disturbs): configured from the environment,
// then by edit (nil: as it is), logged to the test, closed at its end, with a
// context that allows the start and then budget.
func openOwnStack(t *testing.T, budget time.Duration, edit func(*harness.Config), opts ...harness.Option) (context.Context, *harness.Stack) {
	t.Helper()
	ctx, stacks := ownStacks(t, 1, budget, edit, opts...)
	return ctx, stacks[0]
}

// ownStacks is openOwnStack for n stacks alike, for proofs that spread
// their work over several: started side by side, which costs about what
// one start costs.
func ownStacks(t *testing.T, n int, budget time.Duration, edit func(*harness.Config), opts ...harness.Option) (context.Context, []*harness.Stack) {
	t.Helper()
	cfg, err := harness.LoadConfig(os.LookupEnv)
	require.NoError(t, err)
	if edit != nil {
		edit(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeouts.Start+budget)
	t.Cleanup(cancel)
	stacks := make([]*harness.Stack, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for k := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stacks[k], errs[k] = startOwn(ctx, t, false, cfg, opts...)
		}()
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...), "start %d stacks", n)
	return ctx, stacks
}

// startOwn starts one stack of t's own, closed at t's end (even when its
// start fails half-way), when one of the starts at once allowed is free;
// held: on one of the places the fault matrix holds (holdStarts), before
// every other start. It may run in any goroutine: it reports, it does not
// fail t.
func startOwn(ctx context.Context, t *testing.T, held bool, cfg harness.Config, opts ...harness.Option) (*harness.Stack, error) {
	if err := starting.take(ctx, held); err != nil {
		return nil, fmt.Errorf("waiting for one of %d starts at once: %w", startsAtOnce, err)
	}
	defer starting.give()
	// A start is the costliest work of a stack: a Run's measurement alone
	// waits for it (quiet), not for the starts still waiting their turn.
	quiet.RLock()
	defer quiet.RUnlock()
	s, err := harness.Open(ctx, cfg, append(slices.Clone(opts), harness.WithLogf(t.Logf))...)
	if s != nil {
		t.Cleanup(func() { _ = s.Close(context.Background()) })
	}
	return s, err
}

// startsAtOnce bounds the stacks the package's proofs start at once. Side
// by side, a dozen of them start together; all at once, on two cores, a
// start took a minute, and the fault matrix's healthy verdicts, taken
// meanwhile, had 21 checks without an answer within 2 s (each then measured
// again alone, the others waiting).
const startsAtOnce = 2

// starting hands out the starts at once (startsAtOnce).
var starting = newSlots(startsAtOnce)

// holdStarts holds n starts for t ahead of every start not held, from the
// end of the serial tests until each is taken (startOwn with held) or t
// ends. The fault matrix outlasts every other proof by minutes, and the
// proofs side by side all begin with a start: behind theirs, the matrix's
// stacks joined its rows 36-38 s after it began (101 s into the package);
// held ahead, 15-18 s after.
//
// Only with -parallel at proofsParallel or more, where every parallel proof
// of the package runs at once (seven): with fewer places, a proof waiting
// for the held starts could hold the place the matrix waits for, and
// neither would go on until its start's deadline.
func holdStarts(t *testing.T, n int) {
	if p, _ := strconv.Atoi(flag.Lookup("test.parallel").Value.String()); p < proofsParallel {
		t.Logf("-parallel %d: the matrix's starts wait their turn with the others' (held ahead only with -parallel %d or more)", p, proofsParallel)
		return
	}
	starting.hold(n)
	t.Cleanup(func() { starting.release() })
}

// slots is a counting semaphore whose held places (hold) go before the
// others. Held places count only once the serial tests have ended
// (sideBySide): a serial test that starts a stack while the matrix, paused
// in t.Parallel, holds places would wait for a start that comes after it.
type slots struct {
	mu     sync.Mutex
	free   int
	held   int           // places held and not taken yet
	honour bool          // the serial tests have ended: held places count
	change chan struct{} // closed and replaced at every change
}

func newSlots(n int) *slots { return &slots{free: n, change: make(chan struct{})} }

// take waits for a place, or ctx's end; held: one of the places held.
func (s *slots) take(ctx context.Context, held bool) error {
	s.mu.Lock()
	for {
		if s.free > 0 && (held || !s.honour || s.held == 0) {
			s.free--
			if held && s.held > 0 {
				s.held--
				s.changed()
			}
			s.mu.Unlock()
			return nil
		}
		change := s.change
		s.mu.Unlock()
		select {
		case <-change:
			s.mu.Lock()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// give returns a place taken.
func (s *slots) give() { s.update(func() { s.free++ }) }

// hold holds n places for takers with held, release drops those not taken.
func (s *slots) hold(n int)  { s.update(func() { s.held += n }) }
func (s *slots) release()    { s.update(func() { s.held = 0 }) }
func (s *slots) sideBySide() { s.update(func() { s.honour = true }) }

// update changes s under its lock and wakes every waiter to look again.
func (s *slots) update(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
	s.changed()
}

// changed wakes every waiter to look again; s.mu is held.
func (s *slots) changed() {
	close(s.change)
	s.change = make(chan struct{})
}

// beside runs t side by side with the package's other proofs that call
// it (t.Parallel: they start once every serial test has ended, as many at
// once as -parallel allows): the fault matrix and the proofs on stacks of
// their own, mostly waits for a scrape, a log line, a start. The proofs that
// load the whole machine or time the package's stack wait for them all
// (afterBesides).
func beside(t *testing.T) {
	besides.Add(1)
	others.Add(1)
	t.Cleanup(func() {
		others.Done()
		besides.Done()
	})
	t.Parallel()
	starting.sideBySide()
}

// besideLongest is beside for the fault matrix, the longest of the proofs
// side by side: it is not among the others, whose end it waits for to take
// their share of the machine (matrixLate).
func besideLongest(t *testing.T) {
	besides.Add(1)
	t.Cleanup(besides.Done)
	t.Parallel()
	starting.sideBySide()
}

// besideWaiting is beside for a proof that, once its stacks have started,
// mostly waits (Prometheus's scrapes of a window): the matrix's fourth
// stack does not wait for its end (matrixLate), the proofs after the others
// do. The success-metric proofs end a minute after the rest; the fourth
// stack, started after them, had that minute less (its 14 rows against
// 24-27).
func besideWaiting(t *testing.T) {
	besideLongest(t)
}

// besides counts the proofs running beside one another (beside,
// besideLongest, besideWaiting), others those of them that load the
// machine to their end (beside). Each adds itself before its t.Parallel,
// that is while the serial tests run, before anything waits on it.
var besides, others sync.WaitGroup

// afterBesides runs t once every proof beside the others has ended, and
// alone: a row that burns the machine (cpu_burn), or a budget measured on
// the package's stack, which the fault matrix uses until its end. It too
// is a parallel test, so it waits holding one of -parallel's places: where
// fewer than 3 are given (two waiting would leave none to the proofs
// waited for), it runs as a serial test instead, before the others, and
// says so.
func afterBesides(t *testing.T) {
	if n, _ := strconv.Atoi(flag.Lookup("test.parallel").Value.String()); n < 3 {
		t.Logf("-parallel %d: runs before the proofs that run side by side, not after them (it would need one of their places to wait in)", n)
		return
	}
	t.Parallel()
	done := make(chan struct{})
	go func() {
		besides.Wait()
		close(done)
	}()
	var until <-chan time.Time
	if d, ok := t.Deadline(); ok {
		until = time.After(time.Until(d) - time.Minute)
	}
	select {
	case <-done:
	case <-until:
		t.Fatal("the proofs side by side had not ended a minute before go test's -timeout: this proof, which must run after them, was not run")
	}
	afterAlone.Lock()
	t.Cleanup(afterAlone.Unlock)
}

// afterAlone keeps the proofs that run after the others (afterBesides) one
// at a time: a burnt machine fails a budget measured beside it.
var afterAlone sync.Mutex

// readQuiet holds quiet for reading from here to t's end, so that a Run
// beside t measures a timing check again with t's work at rest too
// (machine.again). Call it after t's stacks have started (ownStacks holds
// quiet itself), and never around a Run, which holds it itself.
func readQuiet(t *testing.T) {
	quiet.RLock()
	t.Cleanup(quiet.RUnlock)
}

// TestHeldStartsGoFirst: once the serial tests have ended, a start on a
// held place takes the next free one before a start that was waiting
// longer without; before that, and once the holder lets go, held places
// hold nobody back.
func TestHeldStartsGoFirst(t *testing.T) {
	s := newSlots(1)
	s.hold(1)
	serial, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, s.take(serial, false), "in the serial tests a held place holds nobody back")
	s.sideBySide()
	got := make(chan string, 2)
	wait := func(name string, held bool) {
		go func() {
			if err := s.take(context.Background(), held); err == nil {
				got <- name
			}
		}()
	}
	wait("not held", false)
	time.Sleep(20 * time.Millisecond) // "not held" waits first
	wait("held", true)
	s.give()
	require.Equal(t, "held", <-got, "the held start took the place first")
	s.give()
	require.Equal(t, "not held", <-got)

	s.hold(1)
	ctx, cancelShort := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancelShort()
	s.give()
	require.ErrorIs(t, s.take(ctx, false), context.DeadlineExceeded, "a place held and not taken holds the others back")
	s.release()
	require.NoError(t, s.take(context.Background(), false), "released, it holds nobody back")
}
