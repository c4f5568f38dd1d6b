package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Preflight asks every component this stack has a URL for one question —
// does anything answer at its address? — and returns why each one that
// does not is unreachable. Any HTTP answer counts as reachable, whatever its
// status: judging the answer is the checks' business; a refused connection
// or a timeout is what turns one outage into a row of identical failures.
// Each request has the stack's HTTP deadline.
func (s *Stack) Preflight(ctx context.Context) map[Component]error {
	s.mu.RLock()
	urls := make(map[Component]string, len(s.urls))
	for c, u := range s.urls {
		urls[c] = u
	}
	s.mu.RUnlock()
	client := &http.Client{Timeout: s.cfg.Timeouts.HTTP}
	var mu sync.Mutex
	var wg sync.WaitGroup
	down := map[Component]error{}
	for c, u := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u+"/", nil)
			if err == nil {
				var resp *http.Response
				if resp, err = client.Do(req); err == nil {
					resp.Body.Close()
					return
				}
			}
			mu.Lock()
			down[c] = fmt.Errorf("%s did not answer at %s: %s", c.Title(), RedactURL(u), RedactText(rootCause(err, client.Timeout)))
			mu.Unlock()
		}()
	}
	wg.Wait()
	return down
}

// SetUnreachable records which components did not answer at the start of
// a run (or a monitor round), and why, replacing what an earlier round
// found; the checks that read them are then NOT JUDGED (dependency down)
// instead of each failing on the same refused connection. nil clears it.
func (s *Stack) SetUnreachable(down map[Component]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unreachable = down
}

// Unreachable says whether c was marked unreachable, and why.
func (s *Stack) Unreachable(c Component) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	why, ok := s.unreachable[c]
	return why, ok
}

// SortedComponents lists the keys of m in a stable order, for messages.
func SortedComponents[V any](m map[Component]V) []Component {
	out := make([]Component, 0, len(m))
	for c := range m {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// rootCause says why a request got no answer in a few words: "connection
// refused", "no answer within 5s", the resolver's "no such host".
func rootCause(err error, timeout time.Duration) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Sprintf("no answer within %s", timeout)
	}
	for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(err) {
		err = u
	}
	return err.Error()
}
