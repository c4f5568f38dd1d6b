package harness

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEventually(t *testing.T) {
	n := 0
	err := Eventually(context.Background(), "third time lucky", time.Second, time.Millisecond, func(context.Context) error {
		if n++; n < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 3, n)

	err = Eventually(context.Background(), "never", 50*time.Millisecond, 10*time.Millisecond, func(context.Context) error {
		return errors.New("last seen value 7")
	})
	var te *TimeoutError
	require.ErrorAs(t, err, &te)
	assert.Contains(t, err.Error(), "never")
	assert.Contains(t, err.Error(), "last seen value 7", "a timeout keeps the last error")

	calls := 0
	err = Eventually(context.Background(), "permanent", time.Second, time.Millisecond, func(context.Context) error {
		calls++
		return Permanent(errors.New("config is wrong"))
	})
	assert.EqualError(t, err, "config is wrong")
	assert.Equal(t, 1, calls, "a permanent error stops retrying")
}
