package harness

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCloseRemovesContainersAtOnceThenTheRest: a stack's containers are
// removed side by side (each waits on its own stop), and what they stand
// in (the network) only after the last of them.
func TestCloseRemovesContainersAtOnceThenTheRest(t *testing.T) {
	const n = 3
	s := &Stack{}
	var (
		mu    sync.Mutex
		order []string
		all   sync.WaitGroup // every removal under way
	)
	all.Add(n)
	for range n {
		s.onRemove(func(context.Context) error {
			all.Done()
			together := make(chan struct{})
			go func() { all.Wait(); close(together) }()
			mu.Lock()
			defer mu.Unlock()
			order = append(order, "container")
			select {
			case <-together:
				return nil
			case <-time.After(10 * time.Second):
				return errors.New("the other removals had not begun 10 s after this one: one at a time")
			}
		})
	}
	s.onClose(func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		order = append(order, "network")
		return nil
	})
	require.NoError(t, s.Close(context.Background()))
	assert.Equal(t, []string{"container", "container", "container", "network"}, order)
	require.NoError(t, s.Close(context.Background()), "a second Close has nothing left to do")
	assert.Len(t, order, 4)
}
