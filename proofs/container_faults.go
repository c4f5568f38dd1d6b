package proofs

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/moby/moby/client"

	stackfiles "github.com/smokestack-dev/smokestack/fixtures/stack"
	"github.com/smokestack-dev/smokestack/harness"
)

// The means of breaking a running ephemeral stack that act on its
// containers and Prometheus' configuration. They live here, not on
// harness.Stack: only the proofs break a stack on purpose. What needs the
// stack's own state stays there (StartComponent learns a restarted
// container's new port, Redirect swaps a URL).

// stopComponent stops a component's container.
func stopComponent(ctx context.Context, s *harness.Stack, c harness.Component) error {
	ct, ok := s.Container(c)
	if !ok {
		return fmt.Errorf("%s has no container in this stack", c.Title())
	}
	d := 5 * time.Second
	return ct.Stop(ctx, &d)
}

// pauseComponent freezes a component's processes (pause) or thaws them:
// its port still accepts connections but nothing answers, the fault that
// proves every deadline.
func pauseComponent(ctx context.Context, s *harness.Stack, c harness.Component, pause bool) error {
	ct, ok := s.Container(c)
	if !ok {
		return fmt.Errorf("%s has no container in this stack", c.Title())
	}
	cli, err := s.Docker()
	if err != nil {
		return err
	}
	if pause {
		_, err = cli.ContainerPause(ctx, ct.GetContainerID(), client.ContainerPauseOptions{})
	} else {
		_, err = cli.ContainerUnpause(ctx, ct.GetContainerID(), client.ContainerUnpauseOptions{})
	}
	return err
}

// reloadPrometheus writes a configuration into the running Prometheus
// container and reloads it (nil: the one the stack started with). A config
// Prometheus refuses is an error: a fault must be the one intended.
func reloadPrometheus(ctx context.Context, s *harness.Stack, yml []byte) error {
	if yml == nil {
		yml = s.PrometheusConfig()
	}
	if err := s.CopyToComponent(ctx, harness.Prometheus, stackfiles.PrometheusConfigPath, yml); err != nil {
		return err
	}
	// A reload can outlast the client's 2 s per request on a loaded machine
	// (seen: a restore left the matrix on a broken config); asking again is
	// safe, the same file is read.
	return harness.Eventually(ctx, "Prometheus reloads its configuration", 20*time.Second, 500*time.Millisecond, func(ctx context.Context) error {
		resp, err := s.Prometheus().Do(ctx, http.MethodPost, "/-/reload", nil, nil)
		if err != nil {
			return err
		}
		if resp.Status != http.StatusOK {
			return harness.Permanent(resp.Fail("status 200 from /-/reload", nil))
		}
		return nil
	})
}

// reloadPrometheusRefused writes a configuration Prometheus must refuse and
// asks it to reload: the fault of a failed reload, after which the old
// configuration and rules keep running and /api/v1/status/runtimeinfo says
// reloadConfigSuccess false. A reload Prometheus accepts is an error.
func reloadPrometheusRefused(ctx context.Context, s *harness.Stack, yml []byte) error {
	if err := s.CopyToComponent(ctx, harness.Prometheus, stackfiles.PrometheusConfigPath, yml); err != nil {
		return err
	}
	resp, err := s.Prometheus().Do(ctx, http.MethodPost, "/-/reload", nil, nil)
	if err != nil {
		return err
	}
	if resp.Status == http.StatusOK {
		return resp.Fail("a refused reload (status 500), for a configuration meant to be broken", nil)
	}
	return nil
}
