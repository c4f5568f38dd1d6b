package proofs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

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
	// Profile, when set, judges the row as if the user had declared this
	// profile (SMOKE_PROFILE): checks of contract parts outside it must be
	// NOT APPLICABLE, naming the profile, and every other check keeps its
	// verdict unless listed in Fails.
	Profile harness.Profile
	// Elsewhere judges the row as if the stack ran on a host of its own (a
	// live deployment's): a host reading is then the deployment's, with no
	// allowance for the suite's own work on the machine running it.
	Elsewhere bool
}

// Combined applies actions in order and restores them in reverse.
func Combined(actions ...Action) Action {
	var touches []harness.Component
	for _, a := range actions {
		touches = union(touches, a.Touches)
	}
	return Action{
		Touches: touches,
		// An action that fails to apply rolls back the ones before it: the
		// row reports the error and the stack is left as it was.
		Apply: func(ctx context.Context, s *harness.Stack) error {
			for i, a := range actions {
				if err := a.Apply(ctx, s); err != nil {
					for j := i - 1; j >= 0; j-- {
						_ = actions[j].Restore(ctx, s)
					}
					return err
				}
			}
			return nil
		},
		Restore: func(ctx context.Context, s *harness.Stack) error {
			var errs []error
			for i := len(actions) - 1; i >= 0; i-- {
				errs = append(errs, actions[i].Restore(ctx, s))
			}
			return errors.Join(errs...)
		},
	}
}

// Action breaks one thing and undoes it; both are bounded by ctx.
type Action struct {
	Apply, Restore func(ctx context.Context, s *harness.Stack) error
	// Touches declares the components the action changes. The matrix
	// scopes its serial checks (drills and timings) by it: see inScope.
	// Empty means undeclared, and every check is judged.
	Touches []harness.Component
}

// Knob sets fault knobs of the reference service at run time.
func Knob(spec string) Action {
	return faultKnobs(harness.Genesis, spec, func(s *harness.Stack) faultSetter { return s.Genesis() })
}

// faultSetter is what the reference binary's fault endpoint offers, in both
// of its roles (the Genesis service, the LLM planner upstream).
type faultSetter interface {
	SetFaults(ctx context.Context, spec string) (*harness.Reply[struct{}], error)
}

// faultKnobs sets spec on the fault endpoint of c and clears it after.
func faultKnobs(c harness.Component, spec string, of func(*harness.Stack) faultSetter) Action {
	set := func(spec string) func(ctx context.Context, s *harness.Stack) error {
		return func(ctx context.Context, s *harness.Stack) error {
			_, err := harness.Done(of(s).SetFaults(ctx, spec))
			return err
		}
	}
	return Action{Touches: []harness.Component{c}, Apply: set(spec), Restore: set("")}
}

// Stopped stops a component's container and starts it again after. It
// touches the stack's containers too: what the containers check reads.
func Stopped(c harness.Component) Action {
	return Action{
		Touches: []harness.Component{c, harness.Containers},
		Apply:   func(ctx context.Context, s *harness.Stack) error { return stopComponent(ctx, s, c) },
		Restore: func(ctx context.Context, s *harness.Stack) error {
			if err := s.StartComponent(ctx, c); err != nil || c != harness.Prometheus {
				return err
			}
			return scrapedUp(ctx, s, restartedScrapes)
		},
	}
}

// restartedScrapes bounds a restarted Prometheus's wait for a good scrape
// of every target (scrapedUp): a few 2 s scrape intervals after its start.
const restartedScrapes = time.Minute

// scrapedUp waits until Prometheus has scraped every target it lists with
// success. A restarted Prometheus holds its series from before the stop (its
// WAL) but its scrape loops know none of them until their first good
// scrape, and a loop that fails before that marks nothing stale: seen in CI
// when genesis_metrics_broken ran right after prometheus_stopped on the
// same stack, its genesis series stayed in Prometheus, 60 s old, not stale,
// and the dashboards answered from them. The restored checks alone could
// not tell: the replayed samples were still young enough.
func scrapedUp(ctx context.Context, s *harness.Stack, within time.Duration) error {
	return harness.Eventually(ctx, "Prometheus has scraped every target with success since its restart", within, 500*time.Millisecond,
		func(ctx context.Context) error {
			t, err := s.Prometheus().Targets(ctx)
			if err != nil {
				return err
			}
			if len(t.Active) == 0 {
				return errors.New("no active target yet")
			}
			for _, a := range t.Active {
				if a.Health != v1.HealthGood {
					return fmt.Errorf("target %s is %q (last error %q)", a.ScrapeURL, a.Health, a.LastError)
				}
			}
			return nil
		})
}

// Paused freezes a component's container: connections open, nothing
// answers. Like Stopped, it touches the stack's containers too.
func Paused(c harness.Component) Action {
	return Action{
		Touches: []harness.Component{c, harness.Containers},
		Apply:   func(ctx context.Context, s *harness.Stack) error { return pauseComponent(ctx, s, c, true) },
		Restore: func(ctx context.Context, s *harness.Stack) error { return pauseComponent(ctx, s, c, false) },
	}
}

// PrometheusConfig loads another configuration into the running Prometheus
// (through its lifecycle reload) and the original one after.
func PrometheusConfig(broken []byte) Action {
	return Action{
		Touches: []harness.Component{harness.Prometheus},
		Apply:   func(ctx context.Context, s *harness.Stack) error { return reloadPrometheus(ctx, s, broken) },
		Restore: func(ctx context.Context, s *harness.Stack) error { return reloadPrometheus(ctx, s, nil) },
	}
}

// Imitation swaps a component for an HTTP server that answers with h: the
// hostile imitation of PROOFS.md, and the only way to prove checks of a
// component this machine cannot run (Grafana).
func Imitation(c harness.Component, h http.Handler) Action {
	return Proxied(c, func(*harness.Stack, *httputil.ReverseProxy) http.Handler { return h })
}

// bufferingTransport reads each upstream answer whole before the proxy
// writes it, and tries a request once more when the local hop fails
// (twice in sixteen matrix runs a proxied body was cut mid-copy by "use of
// closed network connection" on the proxy's own connection, a false alarm
// of the proof, not of the service; checks hit the service directly in
// every other row). Bodies are capped.
type bufferingTransport struct{ base http.RoundTripper }

func (b bufferingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(io.LimitReader(r.Body, 8<<20)); err != nil {
			return nil, err
		}
		r.Body.Close()
	}
	var lastErr error
	for attempt := 0; attempt < 2; attempt++ {
		req := r.Clone(r.Context())
		if body != nil {
			req.Body = io.NopCloser(bytes.NewReader(body))
			req.ContentLength = int64(len(body))
		}
		resp, err := b.base.RoundTrip(req)
		if err != nil {
			lastErr = err
			continue
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
		resp.Body.Close()
		if err != nil {
			lastErr = err
			continue
		}
		resp.Body = io.NopCloser(bytes.NewReader(data))
		return resp, nil
	}
	return nil, lastErr
}

// Proxied puts a test server in front of a component for the length of a
// fault: build gets a reverse proxy to the component (nil when the stack
// has none) and returns the server's handler. The proxy has its own
// connection pool (httptest's Close closes the idle connections of
// http.DefaultTransport) and buffers answers (see bufferingTransport).
func Proxied(c harness.Component, build func(s *harness.Stack, rp *httputil.ReverseProxy) http.Handler) Action {
	var srv *httptest.Server
	var undo func()
	return Action{
		Touches: []harness.Component{c},
		Apply: func(ctx context.Context, s *harness.Stack) error {
			var rp *httputil.ReverseProxy
			if raw := s.URL(c); raw != "" {
				target, err := url.Parse(raw)
				if err != nil || target.Host == "" {
					return fmt.Errorf("%s URL %q: %v", c, raw, err)
				}
				rp = httputil.NewSingleHostReverseProxy(target)
				rp.Transport = bufferingTransport{base: http.DefaultTransport.(*http.Transport).Clone()}
			}
			srv = httptest.NewServer(build(s, rp))
			undo = s.Redirect(c, srv.URL)
			return nil
		},
		Restore: func(ctx context.Context, s *harness.Stack) error {
			if undo == nil {
				return fmt.Errorf("the server in front of %s was not applied", c)
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
