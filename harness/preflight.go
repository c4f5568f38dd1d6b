package harness

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
)

// PreflightE asks every component this stack has a URL for one question —
// does anything answer at its address? — and returns why each one that
// does not is unreachable. Any HTTP answer counts as reachable, whatever its
// status: judging the answer is the checks' business; a refused connection
// or a timeout is what turns one outage into a row of identical failures.
// Each request has the stack's HTTP deadline.
func (s *Stack) PreflightE(ctx context.Context) map[Component]error {
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
			down[c] = fmt.Errorf("%s did not answer at %s: %s", c.Title(), RedactURL(u), RedactText(err.Error()))
			mu.Unlock()
		}()
	}
	wg.Wait()
	return down
}

// MarkUnreachable records that c did not answer at the start of the run,
// so the checks that read it are NOT JUDGED (dependency down) instead of
// each failing on the same refused connection; why is said in each.
func (s *Stack) MarkUnreachable(c Component, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.unreachable == nil {
		s.unreachable = map[Component]string{}
	}
	s.unreachable[c] = why
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
