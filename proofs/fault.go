package proofs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/smokestack-dev/smokestack/harness"
)

// Fault breaks one thing on a running ephemeral stack and puts it back.
type Fault struct {
	Name string
	// What it does, for the table's legend.
	Does string
	// Fails lists the IDs of the checks that must fail under this fault.
	// Every other check must keep the verdict it has on the healthy stack.
	Fails []string
	// Says optionally maps a check ID to text its failure must contain, so
	// the check is proven to fail for this fault's reason, not another.
	Says map[string]string
	// Passes lists checks that must PASS under this fault although they
	// skip on the healthy stack: positive controls, such as an imitation of
	// a component this stack lacks.
	Passes []string
	// Action breaks the stack and puts it back.
	Action
	// Stable is how long every check must hold its healthy verdict after
	// Restore before the next row starts. Prometheus applies target changes
	// from its discovery manager up to 5 s late, so a reloaded config can
	// flap back briefly; rows that reload it set this.
	Stable time.Duration
	// Settle bounds how long the expected failures may take to show
	// (Prometheus notices a dead target only at its next scrape).
	Settle time.Duration
}

// Action breaks one thing and undoes it; both are bounded by ctx.
type Action struct {
	Apply, Restore func(ctx context.Context, s *harness.Stack) error
}

// Knob sets fault knobs of the reference service at run time.
func Knob(spec string) Action {
	return Action{
		Apply:   func(ctx context.Context, s *harness.Stack) error { return s.Genesis().SetFaultsE(ctx, spec) },
		Restore: func(ctx context.Context, s *harness.Stack) error { return s.Genesis().SetFaultsE(ctx, "") },
	}
}

// Stopped stops a component's container and starts it again after.
func Stopped(c harness.Component) Action {
	return Action{
		Apply:   func(ctx context.Context, s *harness.Stack) error { return s.StopComponentE(ctx, c) },
		Restore: func(ctx context.Context, s *harness.Stack) error { return s.StartComponentE(ctx, c) },
	}
}

// Paused freezes a component's container: connections open, nothing answers.
func Paused(c harness.Component) Action {
	return Action{
		Apply:   func(ctx context.Context, s *harness.Stack) error { return s.PauseComponentE(ctx, c, true) },
		Restore: func(ctx context.Context, s *harness.Stack) error { return s.PauseComponentE(ctx, c, false) },
	}
}

// PrometheusConfig loads another configuration into the running Prometheus
// (through its lifecycle reload) and the original one after.
func PrometheusConfig(broken []byte) Action {
	return Action{
		Apply:   func(ctx context.Context, s *harness.Stack) error { return s.ReloadPrometheusE(ctx, broken) },
		Restore: func(ctx context.Context, s *harness.Stack) error { return s.ReloadPrometheusE(ctx, nil) },
	}
}

// Imitation swaps a component for an HTTP server that answers with h: the
// hostile imitation of PROOFS.md, and the only way to prove checks of a
// component this machine cannot run (Grafana).
func Imitation(c harness.Component, h http.Handler) Action {
	var srv *httptest.Server
	var undo func()
	return Action{
		Apply: func(ctx context.Context, s *harness.Stack) error {
			srv = httptest.NewServer(h)
			undo = s.Redirect(c, srv.URL)
			return nil
		},
		Restore: func(ctx context.Context, s *harness.Stack) error {
			if undo == nil {
				return errors.New("imitation was not applied")
			}
			undo()
			srv.CloseClientConnections()
			srv.Close()
			return nil
		},
	}
}

// JSON answers every request with status and body.
func JSON(status int, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	})
}
