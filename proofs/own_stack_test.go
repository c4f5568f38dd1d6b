package proofs

import (
	"context"
	"errors"
	"os"
	"slices"
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
			stacks[k], errs[k] = harness.Open(ctx, cfg, append(slices.Clone(opts), harness.WithLogf(t.Logf))...)
		}()
	}
	wg.Wait()
	for _, s := range stacks {
		if s != nil {
			t.Cleanup(func() { _ = s.Close(context.Background()) })
		}
	}
	require.NoError(t, errors.Join(errs...), "start %d stacks", n)
	return ctx, stacks
}
