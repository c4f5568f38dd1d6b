package harness

import (
	"context"
	"fmt"
)

// Redirect points a component at another URL (a hostile imitation in a
// fault proof) and returns the function that undoes it.
func (s *Stack) Redirect(c Component, url string) (undo func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prevURL, hadURL := s.urls[c]
	prevAbsent, hadAbsent := s.absent[c]
	s.urls[c] = url
	delete(s.absent, c)
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if hadURL {
			s.urls[c] = prevURL
		} else {
			delete(s.urls, c)
		}
		if hadAbsent {
			s.absent[c] = prevAbsent
		}
	}
}

// CopyToComponent writes a file into the component's container (ephemeral
// stacks: a broken file for a fault proof, or the good one back). Missing
// directories are created.
func (s *Stack) CopyToComponent(ctx context.Context, c Component, path string, data []byte) error {
	ct, ok := s.Container(c)
	if !ok {
		return fmt.Errorf("%s has no container in this stack", c.Title())
	}
	if err := ct.CopyToContainer(ctx, data, path, 0o644); err != nil {
		return fmt.Errorf("write %s into the %s container: %w", path, c.Title(), err)
	}
	return nil
}

// PrometheusConfig is the configuration Prometheus started with (ephemeral
// stacks; nil on a live one).
func (s *Stack) PrometheusConfig() []byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]byte(nil), s.promConfig...)
}

// PrometheusRuleFiles are the rule files the ephemeral stack mounted into
// Prometheus, by their path in the container (nil on a live stack): what
// Prometheus must have loaded.
func (s *Stack) PrometheusRuleFiles() map[string][]byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.ruleFiles == nil {
		return nil
	}
	out := make(map[string][]byte, len(s.ruleFiles))
	for p, b := range s.ruleFiles {
		out[p] = b
	}
	return out
}
