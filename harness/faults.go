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

// ReloadPrometheusRefusedE writes a configuration Prometheus must refuse
// and asks it to reload: the fault of a failed reload, after which the old
// configuration and rules keep running and /api/v1/status/runtimeinfo says
// reloadConfigSuccess false. A reload Prometheus accepts is an error.
func (s *Stack) ReloadPrometheusRefusedE(ctx context.Context, yml []byte) error {
	if err := s.CopyToComponentE(ctx, Prometheus, stackfiles.PrometheusConfigPath, yml); err != nil {
		return err
	}
	resp, err := s.requester(Prometheus).Do(ctx, http.MethodPost, "/-/reload", nil, nil)
	if err != nil {
		return err
	}
	if resp.Status == http.StatusOK {
		return resp.Fail("a refused reload (status 500), for a configuration meant to be broken", nil)
	}
	return nil
}

// CopyToComponentE writes a file into the component's container (ephemeral
// stacks: a broken file for a fault proof, or the good one back). Missing
// directories are created.
func (s *Stack) CopyToComponentE(ctx context.Context, c Component, path string, data []byte) error {
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
