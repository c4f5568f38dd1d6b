package harness

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// TimeoutError says a bounded wait ran out, with what it waited for and the
// last error seen — the part terratest's retry loses and on-call needs.
type TimeoutError struct {
	Description string
	Attempts    int
	Elapsed     time.Duration
	Last        error
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("%s: not true after %d attempts in %s; last: %v",
		e.Description, e.Attempts, e.Elapsed.Round(time.Millisecond), e.Last)
}

func (e *TimeoutError) Unwrap() error { return e.Last }

// permanent marks an error that no retry can fix.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent wraps err so that Eventually stops at once and returns it.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// Eventually calls fn every interval until it returns nil, returns a
// Permanent error, or timeout (or ctx) runs out. fn gets a context bounded by
// the remaining time. Every wait in the suite goes through here, so none is
// unbounded and every timeout says what it waited for.
func Eventually(ctx context.Context, description string, timeout, interval time.Duration, fn func(context.Context) error) error {
	if interval <= 0 {
		interval = 250 * time.Millisecond
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	attempts := 0
	for {
		attempts++
		last = fn(ctx)
		if last == nil {
			return nil
		}
		var p permanent
		if errors.As(last, &p) {
			return p.err
		}
		select {
		case <-ctx.Done():
			return &TimeoutError{Description: description, Attempts: attempts, Elapsed: time.Since(start), Last: last}
		case <-time.After(interval):
		}
	}
}
