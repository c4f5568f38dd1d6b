package harness

import (
	"context"
	"fmt"
	"net/http"

	stackfiles "github.com/smokestack-dev/smokestack/fixtures/stack"
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

// ReloadPrometheusE writes a configuration into the running Prometheus
// container and reloads it (nil: the one the stack started with). A config
// Prometheus refuses is an error: a fault must be the one intended.
func (s *Stack) ReloadPrometheusE(ctx context.Context, yml []byte) error {
	ct, ok := s.Container(Prometheus)
	if !ok {
		return fmt.Errorf("Prometheus has no container in this stack")
	}
	if yml == nil {
		s.mu.RLock()
		yml = s.promConfig
		s.mu.RUnlock()
	}
	if err := ct.CopyToContainer(ctx, yml, stackfiles.PrometheusConfigPath, 0o644); err != nil {
		return fmt.Errorf("write Prometheus config: %w", err)
	}
	resp, err := s.requester(Prometheus).Do(ctx, http.MethodPost, "/-/reload", nil, nil)
	if err != nil {
		return err
	}
	if resp.Status != http.StatusOK {
		return resp.Fail("status 200 from /-/reload", nil)
	}
	return nil
}
